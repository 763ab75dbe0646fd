"""Writes of the graph app: computing and storing the cached snapshots."""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Sensitivity
from stakeholders.models import Stakeholder, Tie
from stakeholders.selectors import audience_of

from . import fastmetrics, metrics
from .jobs import graph_refresh_job
from .models import Audience, GraphSnapshot, SavedView

logger = logging.getLogger(__name__)

SENSITIVITIES_BY_AUDIENCE: dict[str, list[str]] = {
    Audience.PUBLIC: [Sensitivity.PUBLIC],
    Audience.CLEARED: list(Sensitivity.values),
}
REFRESH_GUARD_KEY = "graph:snapshot-refresh-queued"
# Registry edits come in bursts; one refresh this long after the first edit covers the burst.
REFRESH_DELAY_SECONDS = 30


def graph_snapshot_compute(*, audience: str, layout: bool = True) -> GraphSnapshot:
    """Compute and store the metrics (and layout) of the graph ``audience`` may see.

    The graph for the public audience is built from public stakeholders and ties between them
    only, so a restricted broker shapes none of its figures.
    """
    started = time.monotonic()
    allowed = SENSITIVITIES_BY_AUDIENCE[audience]
    # In a fixed order (the layout and community detection follow the input's order), so that
    # rows of actors this audience does not see cannot move the ones it does.
    node_ids = list(
        Stakeholder.objects.filter(sensitivity__in=allowed)
        .order_by("id")
        .values_list("id", flat=True)
    )
    edges = (
        metrics.EdgeRow(source, target, kind, strength)
        for source, target, kind, strength in Tie.objects.filter(
            from_stakeholder__sensitivity__in=allowed, to_stakeholder__sensitivity__in=allowed
        )
        .order_by("from_stakeholder_id", "to_stakeholder_id", "id")
        .values_list("from_stakeholder_id", "to_stakeholder_id", "kind", "strength")
    )
    # igraph computes what networkx (graph.metrics, the reference) would, in a fraction of the time.
    built = fastmetrics.graph_build(node_ids, edges)
    node_metrics = fastmetrics.graph_metrics(built)
    positions = fastmetrics.graph_layout(built) if layout else {}
    communities = {values["community"] for values in node_metrics.values()}
    snapshot, _ = GraphSnapshot.objects.update_or_create(
        audience=audience,
        defaults={
            "computed_at": timezone.now(),
            "duration_seconds": round(time.monotonic() - started, 3),
            "node_count": built.graph.vcount(),
            "edge_count": built.graph.ecount(),
            "community_count": len(communities),
            "metrics": {str(node): values for node, values in node_metrics.items()},
            "positions": {str(node): xy for node, xy in positions.items()},
        },
    )
    logger.info(
        "graph snapshot %s: %d nodes, %d edges in %.1fs",
        audience, snapshot.node_count, snapshot.edge_count, snapshot.duration_seconds,
    )  # fmt: skip
    return snapshot


def graph_snapshots_refresh(*, layout: bool = True) -> list[GraphSnapshot]:
    """Recompute the snapshot of every audience."""
    cache.delete(REFRESH_GUARD_KEY)
    snapshots = []
    with graph_refresh_job(steps=len(Audience)) as advance:
        for audience in Audience:
            snapshots.append(graph_snapshot_compute(audience=audience, layout=layout))
            advance(len(snapshots))
    return snapshots


def graph_refresh_queue() -> None:
    """Ask for one snapshot refresh after the current transaction commits (debounced).

    The first change of a burst queues the task REFRESH_DELAY_SECONDS later; later changes find
    the guard set and queue nothing. With Celery running in process (the embedded default and the
    tests) nothing is queued: recomputing the whole graph inside each edit would make edits slow;
    there the nightly schedule or ``manage.py graph_refresh`` recompute.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    if not cache.add(REFRESH_GUARD_KEY, 1, timeout=REFRESH_DELAY_SECONDS * 10):
        return
    from .tasks import graph_snapshots_refresh_task

    transaction.on_commit(
        lambda: graph_snapshots_refresh_task.apply_async(countdown=REFRESH_DELAY_SECONDS)
    )


def graph_snapshots_bring_up_to_date() -> list[GraphSnapshot]:
    """After a bulk change of the registry (demo load, import): fresh snapshots.

    With Celery running in process (the embedded default) there is no worker to queue for, so
    the snapshots are recomputed right here — a few seconds at most on the demo's few hundred
    actors, and bulk changes are rare. A failure is logged and the change stands: the registry
    is already committed and the nightly schedule or ``manage.py graph_refresh`` can catch up.
    With a broker, one debounced task is queued as for single edits. Returns the snapshots
    computed (none when queued or failed).
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        graph_refresh_queue()
        return []
    try:
        return graph_snapshots_refresh()
    except Exception:
        logger.exception("graph snapshots could not be refreshed after a bulk change")
        return []


def tables_analyze(models) -> None:
    """Refresh PostgreSQL's planner statistics of ``models``' tables after a bulk load.

    Autovacuum may be off or minutes late; until it runs, a table that just grew from nothing
    is planned as if it were empty (the candidate layer took 15 s on a freshly loaded demo).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        )


def graph_snapshots_missing() -> bool:
    """Is a snapshot missing for some audience (metrics never computed)?"""
    return GraphSnapshot.objects.count() < len(Audience)


# What a saved view may keep of the page's address: the filters and the page's own state.
SAVED_VIEW_KEYS = {
    "q", "kind", "country", "region", "outcome", "sector", "scope", "tie_kind", "min_strength",
    "as_of", "ego", "hops", "view", "isolates", "hide", "size", "node", "source", "target",
    "candidates",
}  # fmt: skip


def graph_view_save(*, user, name: str, notes: str = "", query: str = "", camera=None) -> SavedView:
    """Save the graph page's state under ``name`` for ``user``'s audience.

    Only the page's known parameters are kept (anything else in ``query`` is refused, naming it),
    and the camera must be three finite numbers; raises ``ApplicationError`` naming the field.
    """
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the view a name.", "name")
    if len(name) > 120:
        raise ApplicationError("At most 120 characters.", "name")
    if len(notes or "") > 2000:
        raise ApplicationError("At most 2,000 characters.", "notes")
    if len(query or "") > 2000:
        raise ApplicationError("At most 2,000 characters.", "query")
    unknown = sorted(set(QueryDict(query or "").keys()) - SAVED_VIEW_KEYS)
    if unknown:
        raise ApplicationError(f"Not a parameter of the graph page: {', '.join(unknown)}.", "query")
    kept = {}
    for key in ("x", "y", "ratio"):
        value = (camera or {}).get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ApplicationError(f"camera.{key} must be a number.", "camera")
        kept[key] = float(value)
    if "ratio" in kept and not 0 < kept["ratio"] <= 100:
        raise ApplicationError("camera.ratio must be above 0 and at most 100.", "camera")
    return SavedView.objects.create(
        audience=audience_of(user), owner=user, name=name, notes=(notes or "").strip(),
        query=query or "", camera=kept,
    )  # fmt: skip
