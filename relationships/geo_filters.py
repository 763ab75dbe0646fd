"""The map's filters: the lists' own FilterSets, so that the map shows what the lists show.

Actors are filtered by the stakeholder list's FilterSet as it is (``kind``, ``country``,
``region``, ``sector``, ``capability``, ``outcome``, ``scope``, ``women_led``, ``tag``, ``q``…).
Engagements by the engagement list's, under the prefix ``engagement-`` (``engagement-kind``,
``engagement-format``, ``engagement-country``, ``engagement-start_after``…), with the two
filters the map needs besides: the outcome served and the UN M49 region.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from index.filtersets import EngagementFilterSet
from stakeholders.filtersets import REGION_CHOICES
from stakeholders.models import Outcome
from stakeholders.regions import countries_in_region

ENGAGEMENT_PREFIX = "engagement"


class MapEngagementFilterSet(EngagementFilterSet):
    outcome = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=Outcome.objects.all(),
            field_name="outcomes",
            distinct=True,
            label="Serving the outcome",
        )
    )
    region = django_filters.ChoiceFilter(
        choices=REGION_CHOICES, method="filter_region", label="Region (UN M49)"
    )

    class Meta(EngagementFilterSet.Meta):
        fields = [*EngagementFilterSet.Meta.fields, "outcome", "region"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", ENGAGEMENT_PREFIX)
        super().__init__(*args, **kwargs)
        # The map draws; it does not sort or pick one participant.
        for name in ("ordering", "participant", "partnership"):
            self.filters.pop(name, None)

    def filter_region(self, queryset, name, value):
        return queryset.filter(country__in=countries_in_region(value))
