"""/api/v1/map/: the map's features, clusters and countries, as the caller may see them.

People only (partner tokens are refused, as for the graph: the map says who works where, which
is more than the registry's public rows say one by one).
"""

from django.core.exceptions import ValidationError
from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import restricted_read_record
from index.choices import EngagementFormat, EngagementKind
from smartdiplomacy.api.permissions import HasTokenScope
from stakeholders.choices import Kind, Scope
from stakeholders.regions import REGIONS

from ..geo import LAYERS, ZOOM_MAX, map_view
from ..map_views import ENGAGEMENT_VIEW

RULE = (
    "A restricted or confidential stakeholder the caller is not cleared for is never a feature, "
    "never in a cluster and never counted; the countries' composites are the index by country "
    "for the caller's audience (each engagement's public score for anyone not cleared). "
    "Partner tokens cannot use this endpoint."
)
REGION_CHOICES = [(region, region) for region in REGIONS]


class MapQuerySerializer(serializers.Serializer):
    """The query, for checking and for the schema; the filters are the lists' FilterSets."""

    layer = serializers.ListField(
        child=serializers.ChoiceField(choices=LAYERS), required=False,
        help_text="stakeholders, engagements; repeat for both (the default).",
    )  # fmt: skip
    zoom = serializers.FloatField(
        required=False, min_value=1.0, max_value=ZOOM_MAX, default=1.0,
        help_text="The map's zoom (1: the whole world). Below 3 markers cluster by country; "
        "from 3 by a grid of 24/zoom degrees (those known only by country stay by country).",
    )  # fmt: skip


class MapFilterDocsSerializer(MapQuerySerializer):
    """Only for the schema: the stakeholder list's filters and the engagement list's."""

    q = serializers.CharField(required=False, help_text="Actors: search names and descriptions.")
    kind = serializers.ListField(
        child=serializers.ChoiceField(choices=Kind.choices), required=False,
        help_text="Actors: kinds; repeat for several.",
    )  # fmt: skip
    country = serializers.ListField(
        child=serializers.ChoiceField(choices=list(countries)), required=False,
        help_text="Actors: ISO 3166-1 alpha-2 codes; repeat for several.",
    )  # fmt: skip
    region = serializers.ChoiceField(
        choices=REGION_CHOICES, required=False, help_text="Actors: UN M49 region."
    )
    outcome = serializers.IntegerField(
        required=False, min_value=1, help_text="Actors with a stake in this outcome (id)."
    )
    sector = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Actors: OECD DAC sector codes."
    )
    scope = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), required=False
    )
    tag = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Actors: tag names."
    )


# The engagement filters carry the prefix of their FilterSet (``engagement-kind``): not a Python
# name, so these fields are added by name.
MapFilterDocsSerializer = type(
    "MapFilterDocsSerializer",
    (MapFilterDocsSerializer,),
    {
        "__doc__": MapFilterDocsSerializer.__doc__,
        "engagement-kind": serializers.ListField(
            child=serializers.ChoiceField(choices=EngagementKind.choices), required=False,
            help_text="Engagements: kinds; repeat for several.",
        ),
        "engagement-format": serializers.ListField(
            child=serializers.ChoiceField(choices=EngagementFormat.choices), required=False,
            help_text="Engagements: formats (in person, virtual, hybrid).",
        ),
        "engagement-country": serializers.ChoiceField(
            choices=list(countries), required=False, help_text="Engagements: ISO 3166-1 code."
        ),
        "engagement-outcome": serializers.IntegerField(
            required=False, min_value=1, help_text="Engagements serving this outcome (id)."
        ),
        "engagement-region": serializers.ChoiceField(
            choices=REGION_CHOICES, required=False, help_text="Engagements: UN M49 region."
        ),
        "engagement-start_after": serializers.DateField(
            required=False, help_text="Engagements starting on or after this day."
        ),
        "engagement-start_before": serializers.DateField(
            required=False, help_text="Engagements starting on or before this day."
        ),
    },
)  # fmt: skip


class FeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Feature")
    id = serializers.CharField(help_text="stakeholder:<id> or engagement:<id>")
    geometry = serializers.JSONField(
        allow_null=True, help_text="A GeoJSON Point [longitude, latitude], or null when only the "
        "country (or nothing) is known.",
    )  # fmt: skip
    properties = serializers.JSONField(
        help_text="layer, pk, name, kind, country, subnational_area, precision (point, country "
        "or none), url; stakeholders also kind_label and sensitivity; engagements start_date and "
        "composite (the caller's audience's score under the current methodology)."
    )


class ClusterSerializer(serializers.Serializer):
    key = serializers.CharField()
    by = serializers.ChoiceField(choices=["country", "point"])
    country = serializers.CharField()
    coordinates = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    count = serializers.IntegerField()
    stakeholders = serializers.IntegerField()
    engagements = serializers.IntegerField()
    members = serializers.ListField(child=serializers.CharField())


class CountrySerializer(serializers.Serializer):
    country = serializers.CharField()
    name = serializers.CharField()
    numeric = serializers.CharField(allow_null=True, help_text="ISO 3166-1 numeric (world-atlas).")
    stakeholders = serializers.IntegerField()
    engagements = serializers.IntegerField()
    mean_composite = serializers.FloatField(allow_null=True)
    scored = serializers.IntegerField(help_text="Scored engagements behind mean_composite.")


class MapSerializer(serializers.Serializer):
    type = serializers.CharField()
    features = FeatureSerializer(many=True)
    clusters = ClusterSerializer(many=True)
    countries = CountrySerializer(many=True)
    unplaced = serializers.IntegerField(help_text="Features with neither a point nor a country.")
    truncated = serializers.BooleanField()
    methodology_version = serializers.IntegerField(allow_null=True)
    layers = serializers.ListField(child=serializers.CharField())
    zoom = serializers.FloatField()


class MapApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = None  # closed to partner tokens

    @extend_schema(
        operation_id="map_retrieve",
        summary="Stakeholders and engagements on the map, clustered, with the index by country",
        description="A GeoJSON FeatureCollection of actors and engagements (a Point where "
        "coordinates are known, else null with the country), their clusters at `zoom`, and per "
        "country the actors and engagements shown and the mean composite of its scored "
        "engagements (the index dashboard's by-country figures). The actors' filters are the "
        "stakeholder list's; the engagements' are the engagement list's, prefixed "
        "`engagement-`. At most 5,000 features of each layer; `truncated` says so. " + RULE,
        parameters=[MapFilterDocsSerializer],
        responses={200: MapSerializer, 400: OpenApiResponse(description="Invalid filter.")},
        tags=["map"],
    )
    def get(self, request):
        query = MapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        layers = query.validated_data.get("layer") or list(LAYERS)
        if not request.user.has_perm(ENGAGEMENT_VIEW):
            layers = [layer for layer in layers if layer != "engagements"]
        try:
            view = map_view(
                user=request.user,
                filters=request.query_params,
                layers=layers,
                zoom=query.validated_data["zoom"],
            )
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from error
        if view.restricted_ids:
            restricted_read_record(
                user=request.user, method=request.method, path=request.get_full_path(),
                stakeholder_ids=view.restricted_ids,
            )  # fmt: skip
        # Already in the documented shape; serializing thousands of features through DRF fields
        # would cost more than the queries.
        return Response(view.payload())
