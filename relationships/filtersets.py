"""One FilterSet per list, shared by the pages and the API."""

import django_filters
from django import forms

from partnerships.selectors import partnership_visible_to
from stakeholders.models import Outcome
from stakeholders.selectors import stakeholder_visible_to

from .choices import InteractionKind
from .models import FollowUp, Interaction, SalienceAssessment


def _stakeholders(request):
    return stakeholder_visible_to(getattr(request, "user", None))


def _partnerships(request):
    return partnership_visible_to(getattr(request, "user", None)).prefetch_related(None)


class InteractionFilterSet(django_filters.FilterSet):
    """Filters of the interaction list (page and API)."""

    q = django_filters.CharFilter(field_name="notes", lookup_expr="icontains", label="Search")
    kind = django_filters.MultipleChoiceFilter(
        choices=InteractionKind.choices, widget=forms.CheckboxSelectMultiple
    )
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="On or after"
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label="On or before"
    )
    stakeholder = django_filters.ModelChoiceFilter(
        queryset=_stakeholders, field_name="stakeholders", widget=forms.HiddenInput
    )
    outcome = django_filters.ModelChoiceFilter(
        queryset=Outcome.objects.all(), field_name="outcomes", widget=forms.HiddenInput
    )
    partnership = django_filters.ModelChoiceFilter(
        queryset=_partnerships, field_name="partnership", widget=forms.HiddenInput
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Only those I took part in", widget=forms.CheckboxInput
    )

    class Meta:
        model = Interaction
        fields = ["q", "kind", "date_after", "date_before"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(our_people=user)


class FollowUpFilterSet(django_filters.FilterSet):
    stakeholder = django_filters.ModelChoiceFilter(
        queryset=_stakeholders, field_name="stakeholder", widget=forms.HiddenInput
    )
    open = django_filters.BooleanFilter(
        field_name="done_at", lookup_expr="isnull", label="Open only"
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due on or before"
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only mine")

    class Meta:
        model = FollowUp
        fields = ["stakeholder", "open", "due_before"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(owner=user)


class SalienceFilterSet(django_filters.FilterSet):
    """Filters of the salience assessments (API): by stakeholder and outcome."""

    stakeholder = django_filters.ModelChoiceFilter(queryset=_stakeholders)
    outcome = django_filters.ModelChoiceFilter(queryset=Outcome.objects.all())

    class Meta:
        model = SalienceAssessment
        fields = ["stakeholder", "outcome"]
