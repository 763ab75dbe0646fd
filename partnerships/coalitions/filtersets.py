"""The one FilterSet of the coalition list: the Coalitions page and ``/api/v1/coalitions/``.

It filters a queryset that already went through ``coalition_visible_to``; the member filter
accepts only stakeholders the requesting person may see, so a hidden actor's id fails exactly
like an id that does not exist.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from stakeholders.choices import Kind
from stakeholders.filtersets import visible_stakeholders
from stakeholders.models import Outcome

from .models import Coalition, CoalitionMember


class CoalitionFilterSet(django_filters.FilterSet):
    outcome = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=Outcome.objects.order_by("title"),
            field_name="outcome",
            label="Outcome",
            empty_label="Any outcome",
        )
    )
    member = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=visible_stakeholders,
            method="filter_member",
            label="Member (stakeholder id)",
            widget=forms.HiddenInput,
        )
    )
    member_kind = django_filters.ChoiceFilter(
        choices=Kind.choices,
        method="filter_member_kind",
        label="With a member of kind",
        empty_label="Any kind",
    )
    min_value = django_filters.NumberFilter(
        field_name="value",
        lookup_expr="gte",
        label="Minimum value",
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1"}),
    )
    ordering = django_filters.OrderingFilter(
        fields=(("value", "value"), ("coverage", "coverage"), ("trust", "trust")),
        label="Sort by",
        empty_label="Value (best first)",
    )

    class Meta:
        model = Coalition
        fields = ["outcome", "member", "member_kind", "min_value"]

    def filter_member(self, queryset, name, value):
        return queryset.filter(
            Exists(CoalitionMember.objects.filter(coalition=OuterRef("pk"), stakeholder=value))
        )

    def filter_member_kind(self, queryset, name, value):
        return queryset.filter(
            Exists(
                CoalitionMember.objects.filter(coalition=OuterRef("pk"), stakeholder__kind=value)
            )
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A stable order for pagination whatever the sort: the key breaks ties.
        return queryset.order_by(*queryset.query.order_by, "key")
