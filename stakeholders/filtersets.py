"""One FilterSet per list, shared by the pages, the API and the CSV exports.

Each filters a queryset that already went through the restriction selector; choices that point at
stakeholders are limited to those the requesting user may see, so that filtering by a hidden
actor's id fails exactly like filtering by an id that does not exist.
"""

import django_filters
from django.db.models import Case, Q, When
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .choices import (
    CAPABILITY_LABELS,
    MACHINE_ORIGINS,
    Capability,
    Kind,
    Origin,
    Position,
    Scope,
    Sensitivity,
    Theme,
)
from .models import Outcome, Sector, Stake, Stakeholder, Tie
from .regions import REGIONS, countries_in_region
from .selectors import sensitivities_visible_to, stakeholder_visible_to, tags_visible_to

CAPABILITY_FILTER_CHOICES = [
    (member.name.lower(), CAPABILITY_LABELS[member]) for member in Capability
]
REGION_CHOICES = [(region, region) for region in REGIONS]
LISTING_DEFAULT = "curated"
LISTING_CHOICES = [
    (LISTING_DEFAULT, "Curated and promoted outcomes"),
    ("machine", "Machine-made outcomes only"),
    ("all", "All outcomes"),
]


def _user(request):
    return getattr(request, "user", None)


def visible_stakeholders(request):
    return stakeholder_visible_to(_user(request))


def visible_tags(request):
    return tags_visible_to(_user(request))


def _tag_filter():
    return extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=visible_tags,
            field_name="tags__name",
            to_field_name="name",
            distinct=True,
            label="Tags",
            help_text="A tag's name; repeat for any of several.",
        )
    )


class StakeholderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices)
    country = django_filters.MultipleChoiceFilter(choices=list(countries))
    region = django_filters.ChoiceFilter(
        choices=REGION_CHOICES, method="filter_region", label="Region (UN M49)"
    )
    sector = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Sector.objects.all(),
            field_name="sectors__code",
            to_field_name="code",
            distinct=True,
            label="Sector",
            help_text="OECD DAC sector code, e.g. 15170; repeat for any of several.",
        )
    )
    capability = django_filters.MultipleChoiceFilter(
        choices=CAPABILITY_FILTER_CHOICES,
        method="filter_capability",
        label="Capabilities (all of)",
    )
    # Method filters: drf-spectacular cannot read their type from the model; they take ids.
    outcome = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=Outcome.objects.all(), method="filter_outcome", label="Has a stake in"
        )
    )
    scope = django_filters.MultipleChoiceFilter(choices=Scope.choices)
    women_led = django_filters.BooleanFilter()
    sensitivity = django_filters.MultipleChoiceFilter(
        choices=Sensitivity.choices, method="filter_sensitivity"
    )
    origin = django_filters.MultipleChoiceFilter(
        choices=Origin.choices, label="Source", help_text="Where the record came from."
    )
    # Choices are the stakeholders the reader may see: a hidden publisher's id is refused
    # exactly like one that does not exist, and a record whose publisher is hidden matches no
    # publisher, as it would had the import linked none (``stakeholders.provenance``).
    publisher = django_filters.ModelMultipleChoiceFilter(
        queryset=visible_stakeholders,
        field_name="source_publisher",
        label="Publisher",
        help_text="The id of the stakeholder that published the IATI activity the record was "
        "first read in; repeat for any of several.",
    )
    tag = _tag_filter()
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("kind", "kind"),
            ("country", "country"),
            ("updated_at", "updated"),
        )
    )

    class Meta:
        model = Stakeholder
        fields = ["q", "kind", "country", "region", "sector", "capability", "outcome", "scope",
                  "women_led", "sensitivity", "origin", "publisher", "tag"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = sensitivities_visible_to(_user(self.request))
        if len(allowed) == 1:
            # Nothing to choose between for an uncleared user: do not even offer the filter.
            del self.filters["sensitivity"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(recorded_name__icontains=value)
            | Q(acronym__iexact=value)
            | Q(description__icontains=value)
            | Q(external_ids__value__iexact=value)
        ).distinct()

    def filter_region(self, queryset, name, value):
        return queryset.filter(country__in=countries_in_region(value))

    def filter_capability(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(capabilities__has=Capability.from_names(value))

    def filter_outcome(self, queryset, name, value):
        return queryset.filter(stakes__outcome=value)

    def filter_sensitivity(self, queryset, name, value):
        return queryset.filter(sensitivity__in=value) if value else queryset


class OutcomeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    theme = django_filters.MultipleChoiceFilter(choices=Theme.choices)
    country = django_filters.ChoiceFilter(
        choices=list(countries), method="filter_country", label="Country"
    )
    region = django_filters.ChoiceFilter(
        choices=REGION_CHOICES, method="filter_region", label="Region (UN M49)"
    )
    needs = django_filters.MultipleChoiceFilter(
        choices=CAPABILITY_FILTER_CHOICES, method="filter_needs", label="Needs (all of)"
    )
    listing = django_filters.ChoiceFilter(
        choices=LISTING_CHOICES,
        method="filter_listing",
        label="Show",
        empty_label=None,
        help_text="Machine-made outcomes (an import's '<sector> in <country>') are left out "
        "until an officer promotes them; 'machine' lists only them, grouped by sector.",
    )
    origin = django_filters.MultipleChoiceFilter(
        choices=Origin.choices, label="Source", help_text="Where the record came from."
    )
    sector = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelChoiceFilter(
            queryset=Sector.objects.filter(outcomes__isnull=False).distinct(),
            field_name="sector__code",
            to_field_name="code",
            label="Sector",
            help_text="OECD DAC sector code a machine-made outcome is grouped under.",
        )
    )
    tag = _tag_filter()
    ordering = django_filters.OrderingFilter(
        fields=(("title", "title"), ("theme", "theme"), ("updated_at", "updated"))
    )

    class Meta:
        model = Outcome
        fields = ["q", "theme", "country", "region", "needs", "listing", "origin", "sector", "tag"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        listing = self.form.cleaned_data.get("listing") or LISTING_DEFAULT
        if listing == LISTING_DEFAULT:
            queryset = queryset.listed()
        elif listing == "machine":
            queryset = queryset.machine_made()
        if listing != LISTING_DEFAULT and not self.form.cleaned_data.get("ordering"):
            # Curated first, then the machine-made ones grouped under their sector.
            queryset = queryset.order_by(
                Case(
                    When(Q(origin__in=MACHINE_ORIGINS, promoted_at__isnull=True), then=1),
                    default=0,
                ),
                "sector__name",
                "title",
                "pk",
            )
        return queryset

    def filter_listing(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where an absent value means the default

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(geography__icontains=value)
        )

    def filter_country(self, queryset, name, value):
        # Countries are stored comma-separated ("ML,NE"); two-letter codes cannot match across a
        # comma, so a substring test is exact.
        return queryset.filter(countries__contains=value)

    def filter_region(self, queryset, name, value):
        condition = Q()
        for code in countries_in_region(value):
            condition |= Q(countries__contains=code)
        return queryset.filter(condition)

    def filter_needs(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(needed_capabilities__has=Capability.from_names(value))


class StakeFilterSet(django_filters.FilterSet):
    stakeholder = django_filters.ModelChoiceFilter(queryset=visible_stakeholders)
    outcome = django_filters.ModelChoiceFilter(queryset=Outcome.objects.all())
    kind = django_filters.MultipleChoiceFilter(
        field_name="stakeholder__kind", choices=Kind.choices, label="Stakeholder kind"
    )
    position = django_filters.MultipleChoiceFilter(choices=Position.choices)
    min_interest = django_filters.NumberFilter(field_name="interest", lookup_expr="gte")
    origin = django_filters.MultipleChoiceFilter(
        choices=Origin.choices, label="Source", help_text="Where the record came from."
    )
    min_influence = django_filters.NumberFilter(field_name="influence", lookup_expr="gte")
    ordering = django_filters.OrderingFilter(
        fields=(("interest", "interest"), ("influence", "influence"), ("updated_at", "updated"))
    )

    class Meta:
        model = Stake
        fields = ["stakeholder", "outcome", "kind", "position", "min_interest", "min_influence",
                  "origin"]  # fmt: skip


class TieFilterSet(django_filters.FilterSet):
    stakeholder = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=visible_stakeholders,
            method="filter_either_end",
            label="Stakeholder (either end)",
        )
    )
    from_stakeholder = django_filters.ModelChoiceFilter(queryset=visible_stakeholders)
    to_stakeholder = django_filters.ModelChoiceFilter(queryset=visible_stakeholders)
    kind = django_filters.MultipleChoiceFilter(choices=Tie.Kind.choices)
    min_strength = django_filters.NumberFilter(field_name="strength", lookup_expr="gte")
    origin = django_filters.MultipleChoiceFilter(
        choices=Origin.choices, label="Source", help_text="Where the record came from."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("strength", "strength"), ("start_date", "start"), ("updated_at", "updated"))
    )

    class Meta:
        model = Tie
        fields = ["stakeholder", "from_stakeholder", "to_stakeholder", "kind", "min_strength",
                  "origin"]  # fmt: skip

    def filter_either_end(self, queryset, name, value):
        return queryset.filter(Q(from_stakeholder=value) | Q(to_stakeholder=value))
