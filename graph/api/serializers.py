"""Input and output shapes of the graph API (the output serializers document the schema)."""

from django.urls import reverse
from django.utils import timezone
from django_countries import countries
from rest_framework import serializers

from smartdiplomacy.api.errors import ID_MAX
from stakeholders.choices import Kind, Position, Scope, Sensitivity, TieKind
from stakeholders.regions import REGIONS

from ..selectors import MAX_EDGES, MAX_NODES, GraphOptions


class GraphQuerySerializer(serializers.Serializer):
    """The graph's own options; the stakeholder filters are the registry's FilterSet."""

    min_strength = serializers.FloatField(
        required=False, min_value=0.0, max_value=1.0,
        help_text="Only ties at least this strong, 0–1.",
    )  # fmt: skip
    tie_kind = serializers.ListField(
        child=serializers.ChoiceField(choices=TieKind.choices), required=False,
        help_text="Only ties of these kinds; repeat for several.",
    )  # fmt: skip
    ego = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX,
        help_text="Show only this stakeholder and the actors within `hops` ties of it.",
    )  # fmt: skip
    hops = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=2, help_text="1 or 2 (with `ego`)."
    )
    candidates = serializers.BooleanField(
        required=False, default=False,
        help_text="Also return candidate partnerships between the actors shown.",
    )  # fmt: skip
    max_nodes = serializers.IntegerField(
        required=False, default=MAX_NODES, min_value=1, max_value=MAX_NODES,
        help_text=f"At most this many nodes (1–{MAX_NODES}); the best connected are kept.",
    )  # fmt: skip
    max_edges = serializers.IntegerField(
        required=False, default=MAX_EDGES, min_value=1, max_value=MAX_EDGES,
        help_text=f"At most this many ties (1–{MAX_EDGES:,}); the strongest are kept.",
    )  # fmt: skip
    as_of = serializers.DateField(
        required=False,
        help_text="Only ties that held on this day (YYYY-MM-DD): begun by then, not yet ended.",
    )
    shape = serializers.ChoiceField(
        choices=[("objects", "objects"), ("columns", "columns")], required=False,
        default="objects",
        help_text="`objects` (default): a list of node objects and a list of edge objects. "
        "`columns`: the same values as one array per field (`nodes.id[i]`, `nodes.name[i]`, "
        "... describe the i-th node), a third of the size, for clients that draw the whole "
        "graph (the map). Not `format`, which names the renderer.",
    )  # fmt: skip
    recorded_on = serializers.DateField(
        required=False,
        help_text="The registry as recorded at the end of this day (YYYY-MM-DD, up to today): "
        "actors and ties as they were recorded then, ties that held on `as_of` or else on that "
        "day; actors the caller may not see today are absent, also where they were public then. "
        "Metrics (today's) are left out; positions are today's layout.",
    )

    def validate_recorded_on(self, value):
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError("Give a day up to today: nothing is recorded yet.")
        return value


class GraphFilterDocsSerializer(GraphQuerySerializer):
    """Only for the schema: the stakeholder filters shared with the registry's list."""

    q = serializers.CharField(required=False, help_text="Search names and descriptions.")
    kind = serializers.ListField(
        child=serializers.ChoiceField(choices=Kind.choices), required=False,
        help_text="Stakeholder kinds; repeat for several.",
    )  # fmt: skip
    country = serializers.ListField(
        child=serializers.ChoiceField(choices=list(countries)), required=False,
        help_text="ISO 3166-1 alpha-2 codes; repeat for several.",
    )  # fmt: skip
    region = serializers.ChoiceField(
        choices=[(region, region) for region in REGIONS], required=False, help_text="UN M49."
    )
    outcome = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        help_text="Only actors with a stake in this outcome (id).",
    )
    sector = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="OECD DAC sector codes."
    )
    scope = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), required=False
    )


class PositionSerializer(serializers.Serializer):
    x = serializers.FloatField()
    y = serializers.FloatField()


class NodeMetricsSerializer(serializers.Serializer):
    degree = serializers.IntegerField(help_text="Actors tied to it in the whole graph.")
    betweenness = serializers.FloatField(help_text="Normalised; sampled on large graphs.")
    constraint = serializers.FloatField(
        allow_null=True, help_text="Burt's constraint (low: bridges structural holes)."
    )
    effective_size = serializers.FloatField(allow_null=True, help_text="Burt's effective size.")
    community = serializers.IntegerField(allow_null=True, help_text="Louvain community, 0 largest.")


class NodeStakeSerializer(serializers.Serializer):
    interest = serializers.FloatField(help_text="0 (none) to 1 (vital).")
    influence = serializers.FloatField(help_text="0 (none) to 1 (decisive).")
    position = serializers.ChoiceField(choices=Position.choices)


class GraphNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty.")
    scope = serializers.ChoiceField(choices=Scope.choices)
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    degree = serializers.IntegerField(help_text="Ties shown in this view.")
    metrics = NodeMetricsSerializer(
        allow_null=True, help_text="From the last snapshot; null if none yet."
    )
    position = PositionSerializer(allow_null=True, help_text="Cached layout; null if none yet.")
    stake = NodeStakeSerializer(
        allow_null=True,
        help_text="With `outcome`: this actor's stake in it (the outcome view's coordinates).",
    )


class GraphEdgeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The tie's id.")
    source = serializers.IntegerField(help_text="From stakeholder.")
    target = serializers.IntegerField(help_text="To stakeholder.")
    kind = serializers.ChoiceField(choices=TieKind.choices)
    strength = serializers.FloatField()


class CandidateEdgeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The candidate's id.")
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    score = serializers.FloatField()


class GraphSerializer(serializers.Serializer):
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    candidates = CandidateEdgeSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text="More nodes matched than `max_nodes`, or more ties than `max_edges`."
    )
    total_nodes = serializers.IntegerField(help_text="Nodes matched before the cap.")
    total_edges = serializers.IntegerField(help_text="Ties among the nodes kept, before the cap.")
    metrics_computed_at = serializers.DateTimeField(allow_null=True)
    gaps = serializers.ListField(
        child=serializers.CharField(), allow_null=True,
        help_text="With `outcome`: the voices its visible stakeholders lack.",
    )  # fmt: skip


class NodeMetricsColumnsSerializer(serializers.Serializer):
    degree = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    betweenness = serializers.ListField(child=serializers.FloatField(allow_null=True))
    constraint = serializers.ListField(child=serializers.FloatField(allow_null=True))
    effective_size = serializers.ListField(child=serializers.FloatField(allow_null=True))
    community = serializers.ListField(child=serializers.IntegerField(allow_null=True))


class NodeStakeColumnsSerializer(serializers.Serializer):
    interest = serializers.ListField(child=serializers.FloatField(allow_null=True))
    influence = serializers.ListField(child=serializers.FloatField(allow_null=True))
    position = serializers.ListField(child=serializers.CharField(allow_null=True))


class GraphNodeColumnsSerializer(serializers.Serializer):
    """The nodes of ``shape=columns``: entry i of every array describes the i-th node."""

    id = serializers.ListField(child=serializers.IntegerField())
    name = serializers.ListField(child=serializers.CharField())
    kind = serializers.ListField(child=serializers.ChoiceField(choices=Kind.choices))
    country = serializers.ListField(child=serializers.CharField(allow_blank=True))
    scope = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    sensitivity = serializers.ListField(child=serializers.ChoiceField(choices=Sensitivity.choices))
    degree = serializers.ListField(child=serializers.IntegerField(), help_text="Ties shown.")
    x = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="Cached layout; null if none."
    )
    y = serializers.ListField(child=serializers.FloatField(allow_null=True))
    metrics = NodeMetricsColumnsSerializer(
        allow_null=True,
        help_text="From the last snapshot (null if none yet); a node without metrics has nulls.",
    )
    stake = NodeStakeColumnsSerializer(
        allow_null=True, help_text="With `outcome`: each actor's stake (nulls where none)."
    )


class GraphEdgeColumnsSerializer(serializers.Serializer):
    id = serializers.ListField(child=serializers.IntegerField())
    source = serializers.ListField(child=serializers.IntegerField())
    target = serializers.ListField(child=serializers.IntegerField())
    kind = serializers.ListField(child=serializers.ChoiceField(choices=TieKind.choices))
    strength = serializers.ListField(child=serializers.FloatField())


class GraphColumnsSerializer(serializers.Serializer):
    """``shape=columns``: the same graph as GraphSerializer, one array per field."""

    shape = serializers.ChoiceField(choices=[("columns", "columns")])
    nodes = GraphNodeColumnsSerializer()
    edges = GraphEdgeColumnsSerializer()
    candidates = CandidateEdgeSerializer(many=True)
    truncated = serializers.BooleanField()
    total_nodes = serializers.IntegerField()
    total_edges = serializers.IntegerField()
    metrics_computed_at = serializers.DateTimeField(allow_null=True)
    gaps = serializers.ListField(child=serializers.CharField(), allow_null=True)


class OutcomeGapsSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The outcome's id.")
    title = serializers.CharField()
    theme = serializers.CharField()
    stakeholders = serializers.IntegerField(
        help_text="Stakeholders you may see with a stake in it."
    )
    gaps = serializers.ListField(
        child=serializers.CharField(),
        help_text="Among: no women's group, no local actor, no diaspora actor.",
    )


class PathQuerySerializer(serializers.Serializer):
    source = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="Stakeholder id.")
    target = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="Stakeholder id.")
    min_strength = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)
    as_of = serializers.DateField(required=False, help_text="Only ties that held on this day.")


class PathEdgeSerializer(GraphEdgeSerializer):
    start_date = serializers.DateField(allow_null=True, help_text="When the tie began, if known.")
    end_date = serializers.DateField(allow_null=True, help_text="When it ended, if it has.")
    origin = serializers.CharField(allow_blank=True, help_text="Where the tie is recorded from.")


class PathNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)


class PathSerializer(serializers.Serializer):
    found = serializers.BooleanField()
    nodes = PathNodeSerializer(many=True, help_text="From source to target; empty if none.")
    edges = PathEdgeSerializer(many=True, help_text="The hops, in order, with their details.")


def graph_options(query_params) -> GraphOptions:
    """The graph's options from a query string; raises DRF's ValidationError naming the field."""
    query = GraphQuerySerializer(data=query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    return GraphOptions(
        min_strength=data.get("min_strength"),
        tie_kinds=tuple(data.get("tie_kind") or ()),
        ego=data.get("ego"),
        hops=data["hops"],
        candidates=data["candidates"],
        max_nodes=data["max_nodes"],
        max_edges=data["max_edges"],
        as_of=data.get("as_of"),
        recorded_on=data.get("recorded_on"),
    )


class SavedViewSerializer(serializers.Serializer):
    """A saved view of the graph page; ``url`` is the link to share."""

    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=120, help_text="What the view shows, in a few words.")
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="An annotation for readers."
    )
    query = serializers.CharField(
        required=False, allow_blank=True, max_length=2000,
        help_text="The graph page's query string (filters, view, hidden kinds, selection, path).",
    )  # fmt: skip
    camera = serializers.DictField(
        child=serializers.FloatField(), required=False,
        help_text="Sigma's camera: x, y and ratio.",
    )  # fmt: skip
    audience = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    url = serializers.SerializerMethodField()

    def get_url(self, view) -> str:
        return reverse("graph:saved_view", kwargs={"slug": view.slug})
