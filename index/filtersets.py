"""FilterSets of the index: the engagement list page and the scores API."""

import django_filters
from django import forms
from django_countries import countries

from stakeholders.selectors import stakeholder_visible_to

from .choices import EngagementFormat, EngagementKind
from .models import Engagement, Score


class EngagementFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=EngagementKind.choices)
    format = django_filters.MultipleChoiceFilter(choices=EngagementFormat.choices)
    country = django_filters.ChoiceFilter(choices=list(countries), empty_label="Any country")
    start_after = django_filters.DateFilter(
        field_name="start_date", lookup_expr="gte", label="Starting on or after"
    )
    start_before = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label="Starting on or before"
    )

    participant = django_filters.ModelChoiceFilter(
        queryset=lambda request: stakeholder_visible_to(getattr(request, "user", None)),
        field_name="participants__stakeholder",
        distinct=True,
        widget=forms.HiddenInput,
        label="Participant",
    )
    partnership = django_filters.NumberFilter(field_name="partnership_id", widget=forms.HiddenInput)
    # The score columns are annotations of ``index.selectors.engagement_list`` (the reader's
    # audience's scores under the current methodology).
    ordering = django_filters.OrderingFilter(
        fields=(
            ("title", "title"),
            ("start_date", "start"),
            ("country", "country"),
            ("digital", "digital"),
            ("multi_stakeholder", "multi_stakeholder"),
            ("feminist", "feminist"),
            ("composite", "composite"),
            ("completeness", "completeness"),
        ),
        label="Sort by",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Engagement
        fields = ["q", "kind", "format", "country", "start_after", "start_before"]


def country_choices() -> list[tuple[str, str]]:
    return list(countries)


def _visible_partnerships(request):
    from partnerships.models import Partnership
    from partnerships.selectors import partnership_visible_to

    user = getattr(request, "user", None)
    if user is None:
        return Partnership.objects.none()
    return partnership_visible_to(user).prefetch_related(None)


def _visible_stakeholders(request):
    return stakeholder_visible_to(getattr(request, "user", None))


class ScoreFilterSet(django_filters.FilterSet):
    """Filters of the scores list. A stakeholder hidden from the caller fails like a missing id."""

    engagement = django_filters.ModelChoiceFilter(
        queryset=Engagement.objects.all(), help_text="Scores of this engagement (its id)."
    )
    partnership = django_filters.ModelChoiceFilter(
        queryset=_visible_partnerships,
        field_name="engagement__partnership",
        help_text="Scores of engagements serving this partnership (its id); one you may not "
        "see fails like a missing id.",
    )
    stakeholder = django_filters.ModelChoiceFilter(
        queryset=_visible_stakeholders,
        field_name="engagement__participants__stakeholder",
        distinct=True,
        help_text="Engagements this stakeholder took part in (its id).",
    )
    outcome = django_filters.NumberFilter(
        field_name="engagement__outcomes",
        distinct=True,
        help_text="Engagements serving this outcome (its id).",
    )
    # A callable: the ~250 choices are then not deep-copied for every request's FilterSet.
    country = django_filters.ChoiceFilter(
        field_name="engagement__country",
        choices=country_choices,
        help_text="ISO 3166-1 alpha-2 code of the engagement's country.",
    )
    start_after = django_filters.DateFilter(
        field_name="engagement__start_date",
        lookup_expr="gte",
        help_text="Engagements starting on or after this date (YYYY-MM-DD).",
    )
    start_before = django_filters.DateFilter(
        field_name="engagement__start_date",
        lookup_expr="lte",
        help_text="Engagements starting on or before this date (YYYY-MM-DD).",
    )
    methodology_version = django_filters.NumberFilter(
        field_name="methodology__version",
        help_text="Scores under this methodology version (the summary defaults to the current "
        "published one).",
    )
    min_digital = django_filters.NumberFilter(
        field_name="digital", lookup_expr="gte", help_text="Digital pillar at least this (0–100)."
    )
    min_multi_stakeholder = django_filters.NumberFilter(
        field_name="multi_stakeholder",
        lookup_expr="gte",
        help_text="Multi-stakeholder pillar at least this (0–100).",
    )
    min_feminist = django_filters.NumberFilter(
        field_name="feminist", lookup_expr="gte", help_text="Feminist pillar at least this (0–100)."
    )
    min_composite = django_filters.NumberFilter(
        field_name="composite", lookup_expr="gte", help_text="Composite at least this (0–100)."
    )
    ordering = django_filters.OrderingFilter(
        fields=["composite", "digital", "multi_stakeholder", "feminist", "computed_at", "id"],
        help_text="Sort by composite, digital, multi_stakeholder, feminist, computed_at or id; "
        "prefix with - for descending. Default: id.",
    )

    class Meta:
        model = Score
        fields: list[str] = []
