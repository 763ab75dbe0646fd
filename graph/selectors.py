"""Reads of the stakeholder graph, shared by the page, the exports, the table view and the API.

Everything starts from the registry's restriction selectors (``stakeholder_visible_to``,
``tie_visible_to``, ``stake_visible_to``): a hidden actor is not a node, its ties are not edges,
and the metrics served come from the snapshot computed over the graph the reader may see
(``GraphSnapshot`` per audience), so no figure is shaped by an actor the reader cannot see.
A graph costs the same few queries whatever its size.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import networkx as nx
import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Min, Q

from partnerships.selectors import candidate_visible_to
from stakeholders.choices import Sensitivity
from stakeholders.filtersets import StakeholderFilterSet
from stakeholders.history import graph_recorded, ties_held_on
from stakeholders.models import Outcome, Stakeholder, Tie
from stakeholders.selectors import (
    audience_of,
    stake_visible_to,
    stakeholder_visible_to,
    tie_visible_to,
)

from . import metrics
from .models import Audience, GraphSnapshot, SavedView

# The WebGL map (sigma.js) draws the whole filtered registry up to this size; beyond it the best
# connected actors and the strongest ties are kept (benchmarks/graph_page.py measures it).
MAX_NODES = 20_000
MAX_CANDIDATE_EDGES = 1_000
MAX_EDGES = 100_000
BROWSER_MAX_NODES = MAX_NODES
BROWSER_MAX_EDGES = MAX_EDGES


@dataclass(frozen=True)
class GraphOptions:
    """What the graph shows besides the stakeholder filters (validated by the caller)."""

    min_strength: float | None = None
    tie_kinds: tuple[str, ...] = ()
    ego: int | None = None
    hops: int = 1
    candidates: bool = False
    max_nodes: int = MAX_NODES
    max_edges: int | None = None  # None: MAX_EDGES
    as_of: date | None = None  # only ties current on that day (start_date/end_date)
    # The registry as recorded at the end of that day (stakeholders.history); its ties are those
    # that held on ``as_of`` if given, else on that day.
    recorded_on: date | None = None


@dataclass
class GraphView:
    nodes: list[dict]
    edges: list[dict]
    candidates: list[dict] = field(default_factory=list)
    truncated: bool = False
    total_nodes: int = 0
    total_edges: int = 0
    computed_at: datetime | None = None
    outcome: Outcome | None = None
    gaps: list[str] | None = None

    def as_networkx(self) -> nx.MultiDiGraph:
        """The view as a graph for the exports: node and edge attributes are plain values."""
        graph = nx.MultiDiGraph()
        for node in self.nodes:
            attributes = {
                "label": node["name"],
                "kind": node["kind"],
                "country": node["country"],
                "scope": node["scope"],
            }
            for name, value in (node["metrics"] or {}).items():
                if value is not None:
                    attributes[name] = value
            graph.add_node(node["id"], **attributes)
        for edge in self.edges:
            graph.add_edge(
                edge["source"], edge["target"], key=edge["id"], kind=edge["kind"],
                weight=edge["strength"],
            )  # fmt: skip
        return graph

    @property
    def restricted_ids(self) -> list[int]:
        return [node["id"] for node in self.nodes if node["sensitivity"] != Sensitivity.PUBLIC]


def ties_current_on(ties, day: date):
    """The ties of ``ties`` that held on ``day``: begun by then (or undated) and not yet ended."""
    return ties.filter(Q(start_date__isnull=True) | Q(start_date__lte=day)).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day)
    )


def registry_fingerprint(audience: str = Audience.CLEARED) -> str | None:
    """A value that changes whenever a row ``audience``'s whole map is built from changes; None
    where the database cannot say so cheaply (SQLite: nothing is cached there).

    Over stakeholders, ties and graph snapshots: per table the row count, the sum of the rows'
    ``xmin`` (the transaction that wrote each row version: an insert or update by any later
    transaction changes it, also one that began earlier and commits later) and the sum of a hash of
    their ``ctid`` (where each version lies: every update writes a new version elsewhere, even
    within the transaction that wrote the row). One sequential scan of each table, ~50-100 ms
    at 100,000 ties, against seconds to build the map. Read *before* the map is built, so what is
    kept under a fingerprint is never older than it.

    For the public audience only public actors, the ties between two of them and the public
    snapshot count: a change to hidden rows leaves the public answer kept, so that the next
    public reader is not served a freshly built (slower) map because of something they may not
    know happened. An actor made public or hidden changes its own row, and with it the count."""
    if connection.vendor != "postgresql":
        return None
    people = connection.ops.quote_name(Stakeholder._meta.db_table)
    ties = connection.ops.quote_name(Tie._meta.db_table)
    snapshots = connection.ops.quote_name(GraphSnapshot._meta.db_table)
    sums = (
        "SELECT count(*), coalesce(sum({0}.xmin::text::bigint), 0), "
        "coalesce(sum(hashtext({0}.ctid::text)), 0) FROM {1} {0}"
    )
    parts = [sums.format("p", people), sums.format("t", ties), sums.format("g", snapshots)]
    params: list = []
    if audience != Audience.CLEARED:
        public = f"SELECT id FROM {people} WHERE sensitivity = %s"
        parts[0] += " WHERE p.sensitivity = %s"
        parts[1] += f" WHERE t.from_stakeholder_id IN ({public})"
        parts[1] += f" AND t.to_stakeholder_id IN ({public})"
        parts[2] += " WHERE g.audience = %s"
        params = [Sensitivity.PUBLIC] * 3 + [audience]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    return ".".join(f"{count}-{xmins}-{places}" for count, xmins, places in rows)


def graph_snapshot_for(user) -> GraphSnapshot | None:
    """The latest metrics and layout computed over the graph ``user`` may see, if any."""
    return GraphSnapshot.objects.filter(audience=audience_of(user)).first()


def stakeholder_filterset(*, user, data) -> StakeholderFilterSet:
    """The registry's stakeholder FilterSet over what ``user`` may see."""
    return StakeholderFilterSet(
        data, queryset=stakeholder_visible_to(user), request=SimpleNamespace(user=user)
    )


def graph_view(*, user, filters, options: GraphOptions = GraphOptions()) -> GraphView:
    """The filtered graph ``user`` may see: nodes with cached metrics and positions, ties.

    ``filters`` are the StakeholderFilterSet's (kind, country, region, outcome, sector, ...);
    invalid ones raise ``ValidationError`` naming the field. Ties count only when both ends are
    shown. With ``ego`` the view keeps the actors within ``hops`` of it; beyond ``max_nodes`` it
    keeps the best connected, beyond ``max_edges`` (at most MAX_EDGES) the strongest ties, and
    says ``truncated``.
    """
    filterset = stakeholder_filterset(user=user, data=filters)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    shown = filterset.qs.order_by()
    rows, tie_rows = _actor_and_tie_rows(user=user, shown=shown, options=options)

    # Only degrees and hops are read here (the weighted metrics come from the snapshot): plain
    # sets and counts, as a networkx graph cost 2 of the 3.6 s at 5,000 actors / 50,000 ties.
    shown_ids = [row[0] for row in rows]
    degree = _distinct_neighbours(tie_rows)
    keep = set(shown_ids)
    if options.ego is not None:
        if options.ego not in keep:
            raise ValidationError({"ego": ["No such stakeholder among those shown."]})
        pairs = {(a, b) if a < b else (b, a) for _, a, b, _, _ in tie_rows if a != b}
        keep = metrics.neighbourhood(pairs, options.ego, options.hops)
    total = len(keep)
    truncated = total > options.max_nodes
    if truncated:
        ranked = sorted(keep, key=lambda node: (-degree[node], node))
        keep = set(ranked[: options.max_nodes])

    snapshot = graph_snapshot_for(user)
    nodes = _nodes(rows, keep=keep, degree=degree, snapshot=snapshot, options=options)
    nodes.sort(key=lambda node: (-node["degree"], node["name"], node["id"]))
    edges: list[dict[str, Any]] = [
        {"id": pk, "source": source, "target": target, "kind": kind, "strength": strength}
        for pk, source, target, kind, strength in tie_rows
        if source in keep and target in keep
    ]
    total_edges = len(edges)
    max_edges = min(options.max_edges or MAX_EDGES, MAX_EDGES)
    # A fixed order (strongest first, then by id) rather than the database's, which the rows of
    # hidden actors could shift.
    if edges:
        order = np.lexsort(
            (
                np.fromiter((edge["id"] for edge in edges), dtype=np.int64, count=total_edges),
                -np.fromiter((edge["strength"] for edge in edges), np.float64, total_edges),
            )
        )
        edges = [edges[i] for i in order.tolist()]
    if total_edges > max_edges:
        truncated = True
        edges = edges[:max_edges]
    view = GraphView(
        nodes=nodes,
        edges=edges,
        truncated=truncated,
        total_nodes=total,
        total_edges=total_edges,
        computed_at=snapshot.computed_at if snapshot else None,
    )
    if options.candidates:
        view.candidates = _candidate_edges(user=user, shown=shown, keep=keep)
    outcome = filterset.form.cleaned_data.get("outcome")
    if outcome is not None:
        view.outcome = outcome
        stakes = _outcome_stakes(user=user, outcome=outcome)
        view.gaps = metrics.outcome_gaps({outcome.pk: [(k, s) for k, s, _ in stakes.values()]})[
            outcome.pk
        ]
        for node in nodes:
            node["stake"] = stakes.get(node["id"], (None, None, None))[2]
    return view


def _distinct_neighbours(tie_rows: list[tuple]) -> Counter:
    """Each actor's number of distinct neighbours over ``tie_rows`` (id, a, b, kind, strength):
    ties in both directions or repeated count once, a tie to itself not at all. In NumPy: the
    sets and counts of Python took ~0.7 s of the whole map's 100,000 ties on a quiet machine."""
    if not tie_rows:
        return Counter()
    count = len(tie_rows)
    a = np.fromiter((row[1] for row in tie_rows), dtype=np.int64, count=count)
    b = np.fromiter((row[2] for row in tie_rows), dtype=np.int64, count=count)
    apart = a != b
    low, high = np.minimum(a, b)[apart], np.maximum(a, b)[apart]
    if len(high) and high.max() >= 2**31:  # ids too large to pack two in one int64
        pairs = np.unique(np.stack([low, high], axis=1), axis=0)
        ends = pairs.ravel()
    else:
        packed = np.unique((low << 32) | high)
        ends = np.concatenate([packed >> 32, packed & 0xFFFFFFFF])
    ids, counts = np.unique(ends, return_counts=True)
    return Counter(dict(zip(ids.tolist(), counts.tolist(), strict=True)))


def _actor_and_tie_rows(*, user, shown, options: GraphOptions) -> tuple[list[tuple], list[tuple]]:
    """The rows of the actors shown and of the ties among them that the options keep: today's,
    or as recorded at the end of ``options.recorded_on``."""
    rows = list(shown.values_list("id", "name", "kind", "country", "scope", "sensitivity"))
    ties = tie_visible_to(user).filter(
        from_stakeholder__in=shown.values("id"), to_stakeholder__in=shown.values("id")
    )
    if options.min_strength is not None:
        ties = ties.filter(strength__gte=options.min_strength)
    if options.tie_kinds:
        ties = ties.filter(kind__in=options.tie_kinds)
    if options.as_of is not None:
        ties = ties_current_on(ties, options.as_of)
    if options.recorded_on is not None:
        return _recorded(user=user, shown=shown, options=options)
    tie_rows = list(
        ties.order_by().values_list("id", "from_stakeholder_id", "to_stakeholder_id", "kind",
                                    "strength")
    )  # fmt: skip
    return rows, tie_rows


def _nodes(rows, *, keep: set, degree: Counter, snapshot, options: GraphOptions) -> list[dict]:
    """The nodes kept, with the snapshot's metrics and positions (no metrics for a graph as
    recorded earlier: today's describe today's graph)."""
    node_metrics = snapshot.metrics if snapshot else {}
    positions = snapshot.positions if snapshot else {}
    nodes = []
    for pk, name, kind, country, scope, sensitivity in rows:
        if pk not in keep:
            continue
        position = positions.get(str(pk))
        nodes.append(
            {
                "id": pk,
                "name": name,
                "kind": kind,
                "country": str(country or ""),
                "scope": scope,
                "sensitivity": sensitivity,
                "degree": degree[pk],
                "metrics": node_metrics.get(str(pk)) if options.recorded_on is None else None,
                "position": {"x": position[0], "y": position[1]} if position else None,
                "stake": None,
            }
        )
    return nodes


def _recorded(*, user, shown, options: GraphOptions) -> tuple[list[tuple], list[tuple]]:
    """Actor and tie rows of the graph as recorded at the end of ``options.recorded_on``."""
    assert options.recorded_on is not None
    rows, records = graph_recorded(user=user, day=options.recorded_on, ids=shown.values("id"))
    held_on = options.as_of or options.recorded_on
    tie_rows = [
        (t.id, t.from_stakeholder_id, t.to_stakeholder_id, t.kind, t.strength)
        for t in records
        if ties_held_on(t, held_on)
        and (options.min_strength is None or t.strength >= options.min_strength)
        and (not options.tie_kinds or t.kind in options.tie_kinds)
    ]
    return rows, tie_rows


def _outcome_stakes(*, user, outcome) -> dict[int, tuple[str, str, dict]]:
    """Every visible stake in ``outcome``: stakeholder id -> (kind, scope, stake) in one query.

    The gaps are computed over these same visible stakes, so an actor the reader may not see
    neither fills a gap nor opens one."""
    rows = (
        stake_visible_to(user)
        .filter(outcome=outcome)
        .order_by()
        .values_list("stakeholder_id", "stakeholder__kind", "stakeholder__scope", "interest",
                     "influence", "position")
    )  # fmt: skip
    return {
        pk: (kind, scope, {"interest": interest, "influence": influence, "position": position})
        for pk, kind, scope, interest, influence, position in rows
    }


def _candidate_edges(*, user, shown, keep: set[int]) -> list[dict]:
    """Candidate partnerships (current run, not dismissed) between two actors of the view."""
    rows = (
        candidate_visible_to(user)
        .filter(  # type: ignore[misc]  # is_dismissed: annotated by candidate_visible_to
            is_dismissed=False,
            stakeholder_a__in=shown.values("id"),
            stakeholder_b__in=shown.values("id"),
        )
        .values_list("id", "stakeholder_a_id", "stakeholder_b_id", "score")[
            : MAX_CANDIDATE_EDGES * 4
        ]
    )
    edges = [
        {"id": pk, "source": a, "target": b, "score": round(score, 4)}
        for pk, a, b, score in rows
        if a in keep and b in keep
    ]
    return edges[:MAX_CANDIDATE_EDGES]


def outcome_gaps_for(*, user, outcome_ids=None) -> dict[int, list[str]]:
    """Gaps (no women's group, no local, no diaspora actor) of outcomes among visible stakes."""
    stakes = stake_visible_to(user)
    if outcome_ids is not None:
        stakes = stakes.filter(outcome_id__in=outcome_ids)
    holders: dict[int, list[tuple[str, str]]] = {pk: [] for pk in outcome_ids or ()}
    for outcome_id, kind, scope in stakes.order_by().values_list(
        "outcome_id", "stakeholder__kind", "stakeholder__scope"
    ):
        holders.setdefault(outcome_id, []).append((kind, scope))
    return metrics.outcome_gaps(holders)


@dataclass(frozen=True)
class OutcomeGaps:
    id: int
    title: str
    theme: str
    stakeholders: int  # visible stakeholders holding a stake in it
    gaps: list[str]


def outcome_gaps_list(*, user) -> list[OutcomeGaps]:
    """Every listed outcome (curated or promoted) whose stakeholders ``user`` may see include
    no women's group, no local or no diaspora actor (most gaps first), in two queries whatever
    the registry's size.

    Computed over visible stakes only, so nothing here depends on a hidden actor: a gap that a
    restricted women's group fills for cleared people still shows as a gap to everyone else
    (which says nothing about it), and no gap ever closes because of an actor the reader cannot
    see. An outcome with no visible stakeholders lacks all three voices and is listed as such.
    """
    # Machine-made outcomes (an import's "<sector> in <country>") stay out until promoted: they
    # would flag hundreds of rows no one curated.
    outcomes = list(Outcome.objects.listed().order_by("title").values_list("id", "title", "theme"))
    holders: dict[int, list[tuple[str, str]]] = {pk: [] for pk, _, _ in outcomes}
    for outcome_id, kind, scope in (
        stake_visible_to(user)
        .order_by()
        .values_list("outcome_id", "stakeholder__kind", "stakeholder__scope")
    ):
        holders.setdefault(outcome_id, []).append((kind, scope))
    gaps = metrics.outcome_gaps(holders)
    rows = [
        OutcomeGaps(pk, title, theme, len(holders[pk]), gaps[pk])
        for pk, title, theme in outcomes
        if gaps[pk]
    ]
    rows.sort(key=lambda row: -len(row.gaps))  # stable: titles stay in order within a count
    return rows


@dataclass
class PathResult:
    nodes: list[dict]
    edges: list[dict]


def graph_path(
    *, user, source: int, target: int, min_strength: float | None = None, as_of: date | None = None
):
    """The fewest-hop chain of visible ties from ``source`` to ``target`` ("who can introduce
    us?"). Raises ``ValidationError`` naming ``source`` or ``target`` when that actor is not one
    ``user`` may see, exactly as for an id that does not exist."""
    names = {
        pk: (name, kind)
        for pk, name, kind in stakeholder_visible_to(user)
        .filter(pk__in=[source, target])
        .values_list("id", "name", "kind")
    }
    errors = {
        name: ["No such stakeholder."]
        for name, pk in (("source", source), ("target", target))
        if pk not in names
    }
    if errors:
        raise ValidationError(errors)
    ties = tie_visible_to(user)
    if min_strength is not None:
        ties = ties.filter(strength__gte=min_strength)
    if as_of is not None:
        ties = ties_current_on(ties, as_of)
    tie_rows = list(
        ties.order_by().values_list("id", "from_stakeholder_id", "to_stakeholder_id", "kind",
                                    "strength", "from_stakeholder__name", "from_stakeholder__kind",
                                    "to_stakeholder__name", "to_stakeholder__kind")
    )  # fmt: skip
    graph = nx.Graph()
    graph.add_nodes_from([source, target])
    info = {pk: value for pk, value in names.items()}
    for pk, a, b, kind, strength, a_name, a_kind, b_name, b_kind in tie_rows:
        info.setdefault(a, (a_name, a_kind))
        info.setdefault(b, (b_name, b_kind))
        current = graph.get_edge_data(a, b)
        if current is None or strength > current["strength"]:
            graph.add_edge(a, b, id=pk, kind=kind, strength=strength, source=a, target=b)
    path = metrics.shortest_path(graph, source, target)
    nodes = [{"id": pk, "name": info[pk][0], "kind": info[pk][1]} for pk in path]
    hops = [graph.get_edge_data(a, b) for a, b in zip(path, path[1:], strict=False)]
    # Each hop's dates and source, read for the few ties on the path only.
    details = {
        pk: (start, end, where)
        for pk, start, end, where in ties.filter(pk__in=[hop["id"] for hop in hops])
        .order_by()
        .values_list("id", "start_date", "end_date", "source")
    }
    edges = []
    for data in hops:
        start, end, where = details.get(data["id"], (None, None, ""))
        edges.append(
            {"id": data["id"], "source": data["source"], "target": data["target"],
             "kind": data["kind"], "strength": data["strength"], "start_date": start,
             "end_date": end, "origin": where}
        )  # fmt: skip
    return PathResult(nodes=nodes, edges=edges)


SAVED_VIEWS_LISTED = 50


def saved_view_visible_to(user):
    """Saved views ``user`` may open: everyone's saved for the public audience, and for cleared
    people also those saved by cleared people (which may frame hidden actors)."""
    views = SavedView.objects.all()
    if audience_of(user) != Audience.CLEARED:
        views = views.filter(audience=Audience.PUBLIC)
    return views


def first_tie_date(*, user) -> date | None:
    """The earliest start of a tie ``user`` may see: where the time slider begins."""
    return tie_visible_to(user).order_by().aggregate(first=Min("start_date"))["first"]
