"""/api/v1/graph/ and /api/v1/graph/path/: the graph explorer's data.

Signed-in people only: partner tokens are refused (the graph shows who works with whom, which is
more than the registry's public rows say one by one).
"""

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import restricted_read_record
from smartdiplomacy.api.permissions import HasTokenScope

from ..selectors import (
    SAVED_VIEWS_LISTED,
    graph_path,
    graph_view,
    outcome_gaps_list,
    saved_view_visible_to,
)
from ..services import graph_view_save
from .map_cache import is_whole_map, whole_map_answer
from .serializers import (
    GraphColumnsSerializer,
    GraphFilterDocsSerializer,
    GraphSerializer,
    OutcomeGapsSerializer,
    PathQuerySerializer,
    PathSerializer,
    SavedViewSerializer,
    graph_options,
)

RESTRICTION_NOTE = (
    "Restricted and confidential stakeholders exist here only for people cleared for them: for "
    "everyone else they are not nodes, their ties are not edges, and the metrics come from a "
    "snapshot computed without them. Partner tokens cannot use this endpoint."
)


def graph_payload(view) -> dict:
    return {
        "nodes": view.nodes,
        "edges": view.edges,
        "candidates": view.candidates,
        "truncated": view.truncated,
        "total_nodes": view.total_nodes,
        "total_edges": view.total_edges,
        "metrics_computed_at": view.computed_at,
        "gaps": view.gaps,
    }


METRIC_FIELDS = ("degree", "betweenness", "constraint", "effective_size", "community")
STAKE_FIELDS = ("interest", "influence", "position")


def graph_columns(view) -> dict:
    """The same graph as ``graph_payload``, one array per field (``shape=columns``).

    A whole 20,000-actor map is 12.8 MB as objects, since every node repeats its field names
    and nests two more objects; as columns the names appear once, which the browser parses in a
    fraction of the time and the server encodes faster. Same view, so the same audience."""
    nodes = view.nodes
    positions = [node["position"] for node in nodes]
    node_metrics = [node["metrics"] for node in nodes]
    stakes = [node["stake"] for node in nodes]
    columns: dict = {
        field: [node[field] for node in nodes]
        for field in ("id", "name", "kind", "country", "scope", "sensitivity", "degree")
    }
    columns["x"] = [p["x"] if p else None for p in positions]
    columns["y"] = [p["y"] if p else None for p in positions]
    columns["metrics"] = (
        {name: [m.get(name) if m else None for m in node_metrics] for name in METRIC_FIELDS}
        if any(node_metrics)
        else None
    )
    columns["stake"] = (
        {name: [s[name] if s else None for s in stakes] for name in STAKE_FIELDS}
        if view.outcome is not None
        else None
    )
    edges = view.edges
    return {
        "shape": "columns",
        "nodes": columns,
        "edges": {
            field: [edge[field] for edge in edges]
            for field in ("id", "source", "target", "kind", "strength")
        },
        "candidates": view.candidates,
        "truncated": view.truncated,
        "total_nodes": view.total_nodes,
        "total_edges": view.total_edges,
        "metrics_computed_at": view.computed_at,
        "gaps": view.gaps,
    }


class GraphApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = None  # closed to partner tokens

    @extend_schema(
        operation_id="graph_retrieve",
        summary="The stakeholder graph",
        description="Nodes (stakeholders with cached metrics and layout positions) and edges "
        "(ties) for the registry's stakeholder filters, plus `min_strength`, `tie_kind`, an ego "
        "view (`ego`, `hops`) and optionally candidate partnerships. At most `max_nodes` nodes "
        "(the best connected) and at most `max_edges` edges (the strongest); `truncated` says "
        "so. `shape=columns` returns the same graph as one array per field (the map asks for "
        "it, with 20,000 nodes and 100,000 edges at most). " + RESTRICTION_NOTE,
        parameters=[GraphFilterDocsSerializer],
        responses={
            200: PolymorphicProxySerializer(
                component_name="GraphResponse",
                serializers=[GraphSerializer, GraphColumnsSerializer],
                resource_type_field_name=None,
            )
        },
        tags=["graph"],
    )
    def get(self, request):
        options = graph_options(request.query_params)
        if is_whole_map(request.query_params):
            return self._whole_map(request, options)
        view = graph_view(user=request.user, filters=request.query_params, options=options)
        restricted = view.restricted_ids
        if restricted:
            restricted_read_record(
                user=request.user, method=request.method, path=request.get_full_path(),
                stakeholder_ids=restricted,
            )  # fmt: skip
        # The payload already has the documented shape; serializing 10,000s of edges through
        # DRF fields would cost more than the whole query.
        if request.query_params.get("shape") == "columns":  # validated by graph_options
            return Response(graph_columns(view))
        return Response(graph_payload(view))

    def _whole_map(self, request, options):
        """The map's opening answer, kept per audience (map_cache), gzipped where accepted."""
        answer = whole_map_answer(user=request.user, options=options, build=graph_columns)
        if answer.restricted_ids:
            restricted_read_record(
                user=request.user, method=request.method, path=request.get_full_path(),
                stakeholder_ids=answer.restricted_ids,
            )  # fmt: skip
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        if accepts_gzip and answer.gzipped is not None:
            response = HttpResponse(answer.gzipped, content_type="application/json")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(answer.plain(), content_type="application/json")
        patch_vary_headers(response, ("Accept-Encoding",))
        return response


class GraphPathApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = None

    @extend_schema(
        operation_id="graph_path_retrieve",
        summary="Who can introduce us? The shortest chain of ties between two actors",
        description="The fewest-hop path over ties the reader may see. An id of a stakeholder "
        "you may not see is refused like one that does not exist. " + RESTRICTION_NOTE,
        parameters=[PathQuerySerializer],
        responses={200: PathSerializer, 400: OpenApiResponse(description="Invalid input.")},
        tags=["graph"],
    )
    def get(self, request):
        query = PathQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = graph_path(user=request.user, **query.validated_data)
        return Response(
            PathSerializer(
                {"found": bool(result.nodes), "nodes": result.nodes, "edges": result.edges}
            ).data
        )


class OutcomeGapsApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = None

    @extend_schema(
        operation_id="graph_gaps_list",
        summary="Outcomes whose stakeholders lack a women's group, a local or a diaspora actor",
        description="Every outcome with at least one gap, most gaps first, computed over the "
        "stakes the reader may see (an outcome with no visible stakeholders lacks all three). "
        "A hidden actor never closes a gap for someone not cleared for it. " + RESTRICTION_NOTE,
        responses={200: OutcomeGapsSerializer(many=True)},
        tags=["graph"],
    )
    def get(self, request):
        rows = outcome_gaps_list(user=request.user)
        return Response(OutcomeGapsSerializer(rows, many=True).data)


class SavedViewListApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = None

    @extend_schema(
        operation_id="graph_views_list",
        summary="Saved views of the graph you may open (newest 50)",
        description="Views saved by cleared people are listed to cleared people only. "
        + RESTRICTION_NOTE,
        responses={
            200: inline_serializer(
                "SavedViewList", fields={"results": SavedViewSerializer(many=True)}
            )
        },
        tags=["graph"],
    )
    def get(self, request):
        views = saved_view_visible_to(request.user)[:SAVED_VIEWS_LISTED]
        return Response({"results": SavedViewSerializer(views, many=True).data})

    @extend_schema(
        operation_id="graph_views_create",
        summary="Save the graph page's state under a name, to share by its link",
        request=SavedViewSerializer,
        responses={201: SavedViewSerializer, 400: OpenApiResponse(description="Invalid input.")},
        tags=["graph"],
    )
    def post(self, request):
        incoming = SavedViewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        view = graph_view_save(user=request.user, **incoming.validated_data)
        return Response(SavedViewSerializer(view).data, status=201)
