"""The one FilterSet of the candidate list, used by the Candidates page and the API.

It filters a queryset that already went through ``candidate_visible_to``; the stakeholder filter
accepts only stakeholders the requesting user may see, so a hidden actor's id fails exactly like
an id that does not exist.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from stakeholders.choices import Kind
from stakeholders.filtersets import visible_stakeholders
from stakeholders.models import Outcome

from .models import Candidate, Partnership, PartnershipMember, PartnershipStatus
from .selectors import (
    CANDIDATE_ORDER_BY_LIKELIHOOD,
    candidates_sharing_outcome,
    partnership_members_visible,
)

SORT_CHOICES = (
    ("priority", "Priority (likelihood with the inclusion preference)"),
    ("likelihood", "Likelihood (the evidence alone)"),
)
DISMISSED_CHOICES = (
    ("hide", "Hide dismissed"),
    ("only", "Only dismissed"),
    ("all", "Show all"),
)


class CandidateFilterSet(django_filters.FilterSet):
    # Method filters: drf-spectacular cannot read their type from the model; they take ids.
    stakeholder = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=visible_stakeholders,
            method="filter_stakeholder",
            label="Stakeholder (either side)",
            widget=forms.HiddenInput,
        )
    )
    actor = django_filters.CharFilter(method="filter_actor", label="Actor name contains")
    outcome = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=Outcome.objects.order_by("title"),
            method="filter_outcome",
            label="Shared outcome",
            empty_label="Any outcome",
        )
    )
    kind_a = django_filters.ChoiceFilter(
        choices=Kind.choices,
        method="filter_nothing",
        label="One actor's kind",
        empty_label="Any kind",
    )
    kind_b = django_filters.ChoiceFilter(
        choices=Kind.choices,
        method="filter_nothing",
        label="The other actor's kind",
        empty_label="Any kind",
    )
    min_score = django_filters.NumberFilter(
        field_name="score",
        lookup_expr="gte",
        label="Minimum priority",
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1"}),
    )
    dismissed = django_filters.ChoiceFilter(
        choices=DISMISSED_CHOICES,
        method="filter_nothing",
        label="Dismissed pairs",
        empty_label=None,
    )
    min_likelihood = django_filters.NumberFilter(
        field_name="likelihood",
        lookup_expr="gte",
        label="Minimum likelihood",
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1"}),
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES,
        method="filter_nothing",
        label="Sort by",
        empty_label=None,
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("score", "score"),
            ("likelihood", "likelihood"),
            ("overlap", "overlap"),
            ("complementarity", "complementarity"),
            ("inclusion", "inclusion"),
            ("shared_count", "shared"),
        ),  # fmt: skip
        label="Order by (API)",
        empty_label="Priority (best first)",
    )

    class Meta:
        model = Candidate
        fields = [
            "stakeholder", "actor", "outcome", "kind_a", "kind_b", "min_score", "min_likelihood",
            "dismissed", "sort",
        ]  # fmt: skip

    def filter_nothing(self, queryset, name, value):
        # Applied together in filter_queryset: kinds are a pair, dismissed has a default.
        return queryset

    def filter_stakeholder(self, queryset, name, value):
        return queryset.filter(Q(stakeholder_a=value) | Q(stakeholder_b=value))

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(stakeholder_a__name__icontains=value) | Q(stakeholder_b__name__icontains=value)
        )

    def filter_outcome(self, queryset, name, value):
        return candidates_sharing_outcome(queryset, value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        kinds = [kind for kind in (data.get("kind_a"), data.get("kind_b")) if kind]
        if len(kinds) == 2:
            first, second = kinds
            queryset = queryset.filter(
                Q(stakeholder_a__kind=first, stakeholder_b__kind=second)
                | Q(stakeholder_a__kind=second, stakeholder_b__kind=first)
            )
        elif kinds:
            queryset = queryset.filter(
                Q(stakeholder_a__kind=kinds[0]) | Q(stakeholder_b__kind=kinds[0])
            )
        if data.get("sort") == "likelihood" and not data.get("ordering"):
            queryset = queryset.order_by(*CANDIDATE_ORDER_BY_LIKELIHOOD)
        dismissed = data.get("dismissed") or "hide"
        if dismissed == "hide":
            queryset = queryset.filter(is_dismissed=False)
        elif dismissed == "only":
            queryset = queryset.filter(is_dismissed=True)
        return queryset


class PartnershipFilterSet(django_filters.FilterSet):
    """The one FilterSet of the partnership list: the page, its CSV export and the API.

    Member and kind of member look only at members the requesting person may see, so filtering
    by kind never reveals that a hidden actor of that kind takes part.
    """

    q = django_filters.CharFilter(method="filter_title", label="Title contains")
    status = django_filters.MultipleChoiceFilter(choices=PartnershipStatus.choices, label="Status")
    outcome = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=Outcome.objects.order_by("title"),
            method="filter_outcome",
            label="Outcome",
            empty_label="Any outcome",
        )
    )
    member = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=visible_stakeholders,
            method="filter_member",
            label="Member (stakeholder id)",
            widget=forms.NumberInput,
        )
    )
    member_kind = django_filters.ChoiceFilter(
        choices=Kind.choices,
        method="filter_member_kind",
        label="Kind of member",
        empty_label="Any kind",
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("title", "title"),
            ("status", "status"),
            ("updated_at", "updated"),
            ("submitted_at", "submitted"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Partnership
        fields = ["q", "status", "outcome", "member", "member_kind"]

    def _members(self):
        user = getattr(self.request, "user", None)
        return partnership_members_visible(
            PartnershipMember.objects.filter(partnership=OuterRef("pk")), user
        )

    def filter_title(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(title__icontains=value) if value else queryset

    def filter_outcome(self, queryset, name, value):
        return queryset.filter(
            Exists(Partnership.outcomes.through.objects.filter(
                partnership=OuterRef("pk"), outcome=value
            ))
        )  # fmt: skip

    def filter_member(self, queryset, name, value):
        return queryset.filter(Exists(self._members().filter(stakeholder=value)))

    def filter_member_kind(self, queryset, name, value):
        return queryset.filter(Exists(self._members().filter(stakeholder__kind=value)))
