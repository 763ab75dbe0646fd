"""Writes of the overlap job: starting runs, computing chunks, the atomic swap, one-stakeholder
refreshes and dismissals. The arithmetic lives in :mod:`partnerships.overlap`; this module reads
the registry into arrays and writes candidates back in bulk.

A run goes queued → running (read the registry, snapshot it) → chunks computed (by any number of
workers) → finalised: the candidates are written tagged with the run, and in the *same*
transaction the run becomes current. Readers only see the current run's candidates, so a run that
fails or whose worker dies before that commit changes nothing anyone sees.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import socket
import threading
import time
from datetime import timedelta

import numpy as np
from celery import group
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import Audience, Kind, Scope, Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie

from .choices import AUDIENCE_FLAGS, ChunkStatus, RunPhase, RunStatus, RunTrigger
from .models import (
    Candidate,
    CandidateDismissal,
    OverlapChunk,
    OverlapRun,
    OverlapSnapshot,
    OverlapStep,
)
from .overlap import (
    CLEARED_SET,
    PUBLIC_SET,
    Parameters,
    Registry,
    Selection,
    build_registry,
    candidates_for_rows,
    chunk_bounds,
    merge_pairs,
    score_given_pairs,
)

logger = logging.getLogger(__name__)

# The kinds that count towards inclusion (with any women-led actor and any actor working at
# local scope): see the methodology page.
INCLUSIVE_KINDS = (Kind.WOMENS_GROUP, Kind.DIASPORA, Kind.GRASSROOTS)
INCLUSIVE_SCOPES = (Scope.LOCAL,)
KIND_CODES = {kind: code for code, kind in enumerate(Kind.values)}
# A chunk is about this many stakeholders; a run has at most MAX_CHUNKS.
ROWS_PER_CHUNK = 25_000
MAX_CHUNKS = 16
# More stakeholders than this changed in one transaction: a full run instead of refreshes.
REFRESH_BATCH_LIMIT = 200
# Test hook: seconds the finaliser waits, inside its transaction, before committing the swap.
PAUSE_BEFORE_COMMIT_ENV = "SMARTDIPLOMACY_OVERLAP_PAUSE_BEFORE_COMMIT"

NO_INTEREST_MESSAGE = (
    "No stakeholder holds a stake with interest above zero, so there is nothing to compare: "
    "the run wrote no candidates."
)


NO_PAIRS_MESSAGE = (
    "No two stakeholders of different kinds share an outcome without already having a tie, so "
    "the run wrote no candidates."
)


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def stale_after() -> timedelta:
    """A queued or running run that has not moved for this long lost its worker."""
    return timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 3600) + 60)


def lease_lost_after() -> timedelta:
    """A step whose worker has not said it is alive for this long lost that worker."""
    return timedelta(seconds=4 * settings.OVERLAP_RUN_LEASE_SECONDS)


@contextlib.contextmanager
def _step_lease(run_id: int, name: str):
    """Hold a lease on a step of a run while it executes: an ``OverlapStep`` row whose
    ``alive_at`` a thread beside the work moves every ``OVERLAP_RUN_LEASE_SECONDS``, removed
    when the step ends however it ends. If the worker process dies, the thread dies with it and
    ``overlap_runs_fail_stale`` notices within minutes instead of after the hard time limit.
    The row is not the run's, which the step itself may hold locked while it writes.
    """
    now = timezone.now()
    step, _created = OverlapStep.objects.update_or_create(
        run_id=run_id,
        name=name,
        defaults={
            "worker": f"{socket.gethostname()}:{os.getpid()}"[:200],
            "started_at": now,
            "alive_at": now,
        },
    )
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.OVERLAP_RUN_LEASE_SECONDS):
                try:
                    with transaction.atomic():
                        # Never waits: a row still locked by the step's own transaction (a run
                        # executed in process, inside one) is left for the next beat.
                        mine = OverlapStep.objects.select_for_update(skip_locked=True)
                        if mine.filter(pk=step.pk).exists():
                            mine.filter(pk=step.pk).update(alive_at=timezone.now())
                except DatabaseError:  # a moment without the database: say so at the next beat
                    logger.warning("Overlap run %s: could not renew the lease of %s", run_id, name)
        finally:
            connection.close()  # this thread's own connection

    beating = threading.Thread(target=beat, name=f"overlap-lease-{run_id}", daemon=True)
    beating.start()
    try:
        yield
    finally:
        stop.set()
        beating.join()
        OverlapStep.objects.filter(pk=step.pk).delete()


# --- starting and watching runs -----------------------------------------------------------------


RUN_ONLY_PARAMETERS = ("chunks", "threads")


def overlap_parameter_names() -> list[str]:
    """Every parameter a run accepts: the scoring parameters, then ``chunks`` and ``threads``."""
    return [*Parameters().as_dict(), *RUN_ONLY_PARAMETERS]


def overlap_parameters_clean(values: dict | None) -> dict:
    """The full parameters of a run from partial ``values``, or ApplicationError naming the field.

    Besides the scoring parameters (:class:`partnerships.overlap.Parameters`) a run takes
    ``chunks`` (0 = one per 25,000 stakeholders) and ``threads`` (per chunk), which change how
    fast a run is, never what it computes. Every value given is applied or refused: an unknown
    name is refused, never ignored.
    """
    values = dict(values or {})
    unknown = sorted(set(values) - set(Parameters().as_dict()) - {"chunks", "threads"})
    if unknown:
        raise ApplicationError(f"Unknown parameter {unknown[0]!r}.", unknown[0])
    for name, (low, high) in (("chunks", (0, MAX_CHUNKS)), ("threads", (1, 64))):
        value = values.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
        ):
            raise ApplicationError(f"Must be a whole number between {low} and {high}.", name)
    if isinstance(values.get("top_k"), int) and "shortlist" not in values:
        # The shortlist grows with K so that ranking by the full score has room to work.
        values["shortlist"] = min(max(Parameters.shortlist, 3 * values["top_k"]), 500)
    params = Parameters.from_dict(values)
    errors = params.errors()
    if errors:
        field, message = next(iter(errors.items()))
        raise ApplicationError(message, field)
    return {
        **params.as_dict(),
        "chunks": values.get("chunks") or 0,
        "threads": values.get("threads") or default_threads(),
    }


def overlap_runs_fail_stale(*, now=None) -> int:
    """Mark failed every active run whose worker died, and every one that has not moved for
    :func:`stale_after`.

    A worker executing a step holds a lease on it (``_step_lease``); a step silent for
    :func:`lease_lost_after` lost its worker. A run waiting in the queue holds none: it is given
    up only after the hard time limit. Either way its half-written candidates were rolled back,
    so the previous run's candidates are still the ones everyone sees.
    """
    now = now or timezone.now()
    lost = OverlapStep.objects.filter(
        run__is_active=True, alive_at__lt=now - lease_lost_after()
    ).values_list("run_id", "name", "worker")
    count = 0
    for run_id, name, worker in lost:
        count += _run_fail(
            run_id,
            f"The worker {worker} stopped while {name} (no sign of life for "
            f"{int(lease_lost_after().total_seconds())} s: stopped or killed). The previous "
            "candidates are still in place; start a new run.",
        )
    stale = OverlapRun.objects.filter(is_active=True, updated_at__lt=now - stale_after())
    for run_id in stale.values_list("id", flat=True):
        count += _run_fail(
            run_id,
            "The run stopped making progress (its worker was probably stopped or killed). "
            "The previous candidates are still in place; start a new run.",
        )
    return count


def overlap_run_request(
    *, trigger: str = RunTrigger.MANUAL, user=None, parameters: dict | None = None
) -> tuple[OverlapRun, bool]:
    """Queue a full run; if one is already queued or running, return that one instead.

    Returns ``(run, created)``. Two requests at the same moment create one run: a partial unique
    index allows only one active run, and the loser gets the winner's run.
    """
    from .tasks import overlap_run_execute_task

    params = overlap_parameters_clean(parameters)
    overlap_runs_fail_stale()
    try:
        with transaction.atomic():
            run = OverlapRun.objects.create(
                trigger=trigger,
                parameters=params,
                started_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:
        active = OverlapRun.objects.filter(is_active=True).first()
        if active is None:  # it finished between our insert and this read: try once more
            return overlap_run_request(trigger=trigger, user=user, parameters=parameters)
        return active, False
    enqueue_on_commit(overlap_run_execute_task, run.pk)
    return run, True


def _run_update(run_id: int, **fields) -> int:
    fields.setdefault("updated_at", timezone.now())
    return OverlapRun.objects.filter(pk=run_id).update(**fields)


def _run_fail(run_id: int, error: str) -> int:
    """Mark an active run failed (no-op if it already ended); its candidates never went live."""
    with transaction.atomic():
        updated = OverlapRun.objects.filter(pk=run_id, is_active=True).update(
            status=RunStatus.FAILED,
            is_active=False,
            error=error,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    if updated:
        _run_artifacts_delete(run_id)
    return updated


def _run_artifacts_delete(run_id: int) -> None:
    OverlapStep.objects.filter(run_id=run_id).delete()  # a lost worker's: the error names it
    OverlapSnapshot.objects.filter(run_id=run_id).delete()
    OverlapChunk.objects.filter(run_id=run_id).update(result=None)


class OverlapRunFailed(Exception):
    """A run step failed; the run is already marked failed with the reason, and logged."""


@contextlib.contextmanager
def _failing_run_on_error(run_id: int, what: str):
    """Turn an unexpected error into a failed run that says why, then raise OverlapRunFailed."""
    try:
        yield
    except Exception as error:
        logger.exception("Overlap run %s failed while %s", run_id, what)
        _run_fail(run_id, f"Failed while {what}: {type(error).__name__}: {error}")
        raise OverlapRunFailed(str(error)) from error


# --- reading the registry -------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _fetch_numeric(sql: str, params=(), *, columns: int) -> np.ndarray:
    """Rows of a numeric query as a float64 array (rows × columns): COPY on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy_expert"):
            query = cursor.cursor.mogrify(sql, params).decode()
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
            if not buffer.tell():
                return np.zeros((0, columns))
            buffer.seek(0)
            return np.loadtxt(buffer, delimiter=",", dtype=np.float64, ndmin=2)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return np.array(rows, dtype=np.float64).reshape(-1, columns)


def _stakeholder_columns(rows) -> dict:
    """Columns of the registry from ``(id, kind, capabilities, women_led, scope, sensitivity)``
    rows given in name order (their position is the tie-breaking ``order_keys``)."""
    ids, kinds, caps, inclusive, public = [], [], [], [], []
    for stakeholder_id, kind, capabilities, women_led, scope, sensitivity in rows:
        ids.append(stakeholder_id)
        kinds.append(KIND_CODES.get(kind, -1))
        caps.append(int(capabilities))
        inclusive.append(bool(women_led) or kind in INCLUSIVE_KINDS or scope in INCLUSIVE_SCOPES)
        public.append(sensitivity == Sensitivity.PUBLIC)
    return {
        "stakeholder_ids": ids, "kinds": kinds, "capabilities": caps, "inclusive": inclusive,
        "public": public, "order_keys": np.arange(len(ids), dtype=np.int64),
    }  # fmt: skip


# The stable order candidates tie-break on: by name, then by id only between equal names.
NAME_ORDER = ("name", "id")


def registry_load() -> tuple[Registry, dict]:
    """The whole registry as arrays, and its counts (stakeholders, stakes with interest), for
    everyone and for the public audience (``public_stakeholders``, ``public_stakes``)."""
    stakeholders = _stakeholder_columns(
        Stakeholder.objects.order_by(*NAME_ORDER).values_list(
            "id", "kind", "capabilities", "women_led", "scope", "sensitivity"
        )
    )
    outcomes = list(Outcome.objects.order_by().values_list("id", "needed_capabilities"))
    stakes = _fetch_numeric(
        f"SELECT stakeholder_id, outcome_id, interest, influence FROM {_table(Stake)} "
        "WHERE interest > 0",
        columns=4,
    )
    ties = np.array(
        Tie.objects.order_by().values_list("from_stakeholder_id", "to_stakeholder_id"),
        dtype=np.int64,
    ).reshape(-1, 2)
    registry = build_registry(
        **stakeholders,
        outcome_ids=[o[0] for o in outcomes],
        needs=[int(o[1]) for o in outcomes],
        stake_stakeholder_ids=stakes[:, 0].astype(np.int64),
        stake_outcome_ids=stakes[:, 1].astype(np.int64),
        stake_interest=stakes[:, 2],
        stake_influence=stakes[:, 3],
        tie_from_ids=ties[:, 0],
        tie_to_ids=ties[:, 1],
    )
    public_rows = np.flatnonzero(registry.public)
    counts = {
        "stakeholders": registry.size,
        "stakes": int(registry.interest.nnz),
        "public_stakeholders": len(public_rows),
        "public_stakes": int(registry.interest[public_rows].nnz),
    }
    return registry, counts


# --- the run's steps (called by the tasks) ------------------------------------------------------


def overlap_run_execute(*, run_id: int) -> None:
    """Start a queued run: read and snapshot the registry, cut it into chunks, send the chunks.

    Does nothing for a run that is no longer queued (a repeated task). An empty registry ends
    here as a successful run with zero candidates and a message.
    """
    from .tasks import overlap_chunk_compute_task

    with transaction.atomic():
        run = OverlapRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.QUEUED:
            return
        run.status, run.phase, run.started_at = RunStatus.RUNNING, RunPhase.LOAD, timezone.now()
        run.save(update_fields=["status", "phase", "started_at", "updated_at"])

    with (
        _step_lease(run_id, "reading the registry"),
        _failing_run_on_error(run_id, "reading the registry"),
    ):
        started = time.perf_counter()
        snapshot_at = timezone.now()  # before reading: later changes are refreshed after the run
        registry, counts = registry_load()
        order = registry.row_order()
        requested = run.parameters.get("chunks") or 0
        # Sized by the public rows, so that the progress everyone sees says nothing of the rest.
        public_rows = int(np.count_nonzero(registry.public[order]))
        chunks = requested or max(1, min(MAX_CHUNKS, math.ceil(public_rows / ROWS_PER_CHUNK)))
        bounds = chunk_bounds(len(order), chunks)
        with transaction.atomic():
            if len(order):
                OverlapSnapshot.objects.create(run_id=run_id, data=registry.to_bytes())
                OverlapChunk.objects.bulk_create(
                    OverlapChunk(run_id=run_id, index=i, row_start=start, row_end=end)
                    for i, (start, end) in enumerate(bounds)
                )
            _run_update(
                run_id,
                phase=RunPhase.COMPUTE,
                snapshot_at=snapshot_at,
                stakeholder_count=counts["stakeholders"],
                stake_count=counts["stakes"],
                public_counts={
                    "stakeholders": counts["public_stakeholders"],
                    "stakes": counts["public_stakes"],
                },
                chunks_total=len(bounds) if len(order) else 0,
                timings={"load": round(time.perf_counter() - started, 3)},
            )
    if not len(order):
        overlap_run_finalize(run_id=run_id, message=NO_INTEREST_MESSAGE)
        return
    group(
        overlap_chunk_compute_task.si(run_id, index) for index in range(len(bounds))
    ).apply_async()


def overlap_chunk_compute(*, run_id: int, index: int) -> None:
    """Compute one chunk's rows against the whole snapshot and keep the result with the chunk.

    The last chunk to finish sends the finaliser. A chunk already done, or of a run that ended,
    is left alone, so a repeated task does no harm.
    """
    from .tasks import overlap_run_finalize_task as finalize_task

    chunk = OverlapChunk.objects.filter(run_id=run_id, index=index).select_related("run").first()
    if chunk is None or chunk.status == ChunkStatus.DONE:
        return
    run = chunk.run
    if run.status != RunStatus.RUNNING:
        return
    what = f"comparing stakeholders (chunk {index + 1})"
    with _step_lease(run_id, what), _failing_run_on_error(run_id, what):
        started = time.perf_counter()
        snapshot = OverlapSnapshot.objects.get(run_id=run_id)
        registry = Registry.from_bytes(bytes(snapshot.data))
        rows = registry.row_order()[chunk.row_start : chunk.row_end]
        params = Parameters.from_dict(run.parameters)
        selection = candidates_for_rows(
            registry, rows, params, threads=run.parameters.get("threads") or default_threads()
        )
        seconds = time.perf_counter() - started
        with transaction.atomic():
            locked = OverlapRun.objects.select_for_update().get(pk=run_id)
            if locked.status != RunStatus.RUNNING:
                return
            updated = OverlapChunk.objects.filter(pk=chunk.pk, status=ChunkStatus.PENDING).update(
                status=ChunkStatus.DONE,
                result=selection.to_bytes(),
                selected=len(selection),
                seconds=round(seconds, 3),
            )
            done = OverlapChunk.objects.filter(run_id=run_id, status=ChunkStatus.DONE).count()
            timings = dict(locked.timings)
            timings["compute"] = round(timings.get("compute", 0) + seconds, 3)
            _run_update(run_id, chunks_done=done, timings=timings)
            last = bool(updated) and done == locked.chunks_total
    if last:
        finalize_task.delay(run_id)


def overlap_run_finalize(*, run_id: int, message: str = "") -> None:
    """Write a run's candidates and make it current, in one transaction; then tidy up.

    Merges the chunks' directed selections into unordered pairs, inserts them tagged with the run
    (COPY on PostgreSQL), and in the same transaction moves the "current" mark from the previous
    run to this one. If anything fails before the commit, nothing changes for readers.
    """
    run = OverlapRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return
    _run_update(run_id, phase=RunPhase.WRITE)
    with (
        _step_lease(run_id, "writing candidates"),
        _failing_run_on_error(run_id, "writing candidates"),
    ):
        started = time.perf_counter()
        kept = Parameters.from_dict(run.parameters).shared_outcomes_kept
        parts = [
            Selection.from_bytes(bytes(result))
            for result in OverlapChunk.objects.filter(run_id=run_id)
            .order_by("index")
            .values_list("result", flat=True)
            if result is not None
        ]
        merged = merge_pairs(Selection.concatenate(parts, kept))
        del parts  # the directed selections are twice the merged pairs: free them before writing
        with transaction.atomic():
            locked = OverlapRun.objects.select_for_update().get(pk=run_id)
            if locked.status != RunStatus.RUNNING:
                return  # another finaliser won, or the run was marked failed meanwhile
            Candidate.objects.filter(run_id=run_id).delete()
            _candidates_insert(run_id, merged)
            _promotions_carry_over(run_id)
            _pause_before_commit()
            OverlapRun.objects.filter(is_current=True).exclude(pk=run_id).update(is_current=False)
            timings = dict(locked.timings)
            timings["write"] = round(time.perf_counter() - started, 3)
            _run_update(
                run_id,
                status=RunStatus.SUCCEEDED,
                phase=RunPhase.DONE,
                is_active=False,
                is_current=True,
                candidate_count=len(merged),
                public_counts={
                    **locked.public_counts,
                    "candidates": int(np.count_nonzero(merged.audiences & PUBLIC_SET)),
                },
                finished_at=timezone.now(),
                message=message or locked.message or ("" if len(merged) else NO_PAIRS_MESSAGE),
                timings=timings,
            )
    _runs_tidy(run_id)
    _refresh_changed_since(run.snapshot_at)
    from .signals import overlap_run_succeeded  # signals imports this module

    overlap_run_succeeded.send(sender=OverlapRun, run_id=run_id)


def _promotions_carry_over(run_id: int) -> int:
    """A pair promoted to a partnership stays marked (and linked) when a new run finds it again.

    Reads the few promoted rows of earlier runs (the ``partnership`` index), then marks each pair
    in the new run through the unique (pair, run) index. The ORM's ``UPDATE … WHERE EXISTS`` (and
    any one-statement join) let the planner, whose statistics cannot know the new run's rows yet,
    walk all of them: 4–15 s at 100,000 stakeholders with no pair promoted at all (issue 22).
    When a pair was promoted more than once, the latest run's partnership is kept.
    """
    promoted = (
        Candidate.objects.exclude(run_id=run_id)
        .filter(partnership__isnull=False)
        .order_by("-run_id", "-pk")
        .values_list("stakeholder_a_id", "stakeholder_b_id", "partnership_id")
    )
    links: dict[tuple[int, int], int] = {}
    for a, b, partnership_id in promoted:
        links.setdefault((a, b), partnership_id)
    if not links:
        return 0
    table = _table(Candidate)
    marked = 0
    with connection.cursor() as cursor:
        for (a, b), partnership_id in links.items():
            cursor.execute(
                f"UPDATE {table} SET partnership_id = %s WHERE stakeholder_a_id = %s "
                "AND stakeholder_b_id = %s AND run_id = %s AND partnership_id IS NULL",
                [partnership_id, a, b, run_id],
            )
            marked += cursor.rowcount
    return marked


def _pause_before_commit() -> None:
    seconds = float(os.environ.get(PAUSE_BEFORE_COMMIT_ENV) or 0)
    if seconds > 0:
        logger.warning("Pausing %.1f s before committing the swap (test hook)", seconds)
        time.sleep(seconds)


def _runs_tidy(current_run_id: int) -> None:
    """Drop the candidates of every run but the current one, and finished runs' work files."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Candidate)} WHERE run_id <> %s", [current_run_id])
        if connection.vendor == "postgresql":
            # The table's rows were all replaced: without fresh statistics the planner takes the
            # new run for a handful of rows and walks all of them to find one stakeholder's
            # candidates (a refresh at 100,000 stakeholders: 27-30 s) until autovacuum next
            # analyses it, or never where it is off (issue 22). A sample: 1.4 s at 1.27 M rows.
            cursor.execute(f"ANALYZE {_table(Candidate)}")
    OverlapSnapshot.objects.filter(run__is_active=False).delete()
    OverlapChunk.objects.filter(run__is_active=False).exclude(result=None).update(result=None)
    run = OverlapRun.objects.get(pk=current_run_id)
    run.timings = {**run.timings, "tidy": round(time.perf_counter() - started, 3)}
    OverlapRun.objects.filter(pk=current_run_id).update(timings=run.timings)


def _refresh_changed_since(moment) -> None:
    """Refresh the stakeholders whose stakes changed while the run was computing."""
    if moment is None:
        return
    changed = set(
        Stake.history.filter(history_date__gte=moment)
        .values_list("stakeholder_id", flat=True)
        .distinct()[: REFRESH_BATCH_LIMIT + 1]
    )
    _refreshes_send(changed)


def _refreshes_send(stakeholder_ids) -> None:
    from .tasks import candidates_refresh_stakeholder_task

    stakeholder_ids = sorted(set(stakeholder_ids))
    if len(stakeholder_ids) > REFRESH_BATCH_LIMIT:
        overlap_run_request(trigger=RunTrigger.CHANGES)
        return
    for stakeholder_id in stakeholder_ids:
        candidates_refresh_stakeholder_task.delay(stakeholder_id)


# --- writing candidates -------------------------------------------------------------------------

CANDIDATE_COLUMNS = (
    "run_id", "stakeholder_a_id", "stakeholder_b_id", "overlap", "complementarity", "inclusion",
    "score", "likelihood", "power_interest", "kind_affinity", "shared_partners",
    "needed_capabilities", "brings_a", "brings_b", "shared_count", "audiences",
    "shared_outcome_ids",
)  # fmt: skip


def _shared_json(shared: np.ndarray) -> list[str]:
    return [json.dumps([v for v in row if v >= 0]) for row in shared.tolist()]


# PostgreSQL's binary COPY format: a fixed header, then per row a field count and each field as a
# 4-byte length and its bytes (big-endian), then a trailer.
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
PGCOPY_TRAILER = b"\xff\xff"
_FIXED_FIELDS = (
    ("run_id", ">i8"), ("stakeholder_a_id", ">i8"), ("stakeholder_b_id", ">i8"),
    ("overlap", ">f8"), ("complementarity", ">f8"), ("inclusion", ">f8"), ("score", ">f8"),
    ("likelihood", ">f8"), ("power_interest", ">f8"), ("kind_affinity", ">f8"),
    ("shared_partners", ">i4"), ("needed_capabilities", ">i4"),
    ("brings_a", ">i4"), ("brings_b", ">i4"),
    ("shared_count", ">i4"), ("audiences", ">i2"),
)  # fmt: skip
_ROW_DTYPE = np.dtype(
    [("fields", ">i2")]
    + [part for name, kind in _FIXED_FIELDS for part in ((f"{name}_len", ">i4"), (name, kind))]
    + [("json_len", ">i4"), ("json_version", "u1")]
)


def _json_digits(shared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's JSON list of ids (``-1`` = none) as bytes, vectorised: a (rows × width)
    uint8 matrix and the mask of the bytes that belong to it."""
    rows, kept = shared.shape
    digits = len(str(max(int(shared.max(initial=0)), 0)))
    width = 2 + kept * (digits + 1)
    text = np.zeros((rows, width), dtype=np.uint8)
    used = np.zeros((rows, width), dtype=bool)
    text[:, 0], used[:, 0] = ord("["), True
    position = 1
    powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
    seen = np.zeros(rows, dtype=bool)
    for column in range(kept):
        value = shared[:, column]
        present = value >= 0
        text[:, position], used[:, position] = ord(","), present & seen
        position += 1
        figures = (np.where(present, value, 0)[:, None] // powers) % 10
        significant = np.cumsum(figures > 0, axis=1) > 0
        significant[:, -1] = True  # zero is "0"
        text[:, position : position + digits] = ord("0") + figures
        used[:, position : position + digits] = significant & present[:, None]
        position += digits
        seen |= present
    text[:, position], used[:, position] = ord("]"), True
    return text, used


def _binary_copy_rows(run_id: int, part: Selection) -> bytes:
    """Rows of ``part`` in PostgreSQL's binary COPY format (no header or trailer)."""
    rows = len(part)
    fixed = np.zeros(rows, dtype=_ROW_DTYPE)
    fixed["fields"] = len(CANDIDATE_COLUMNS)
    values = {
        "run_id": run_id, "stakeholder_a_id": part.src, "stakeholder_b_id": part.dst,
        "overlap": part.overlap, "complementarity": part.complementarity,
        "inclusion": part.inclusion, "score": part.score, "likelihood": part.likelihood,
        "power_interest": part.power_interest, "kind_affinity": part.kind_affinity,
        "shared_partners": part.shared_partners,
        "needed_capabilities": part.needed,
        "brings_a": part.brings_src, "brings_b": part.brings_dst,
        "shared_count": part.shared_count, "audiences": part.audiences,
    }  # fmt: skip
    for name, kind in _FIXED_FIELDS:
        fixed[f"{name}_len"] = np.dtype(kind).itemsize
        fixed[name] = values[name]
    text, used = _json_digits(part.shared)
    fixed["json_len"] = used.sum(axis=1) + 1  # + the jsonb version byte
    fixed["json_version"] = 1
    record = np.concatenate([fixed.view(np.uint8).reshape(rows, -1), text], axis=1)
    keep = np.concatenate([np.ones((rows, _ROW_DTYPE.itemsize), dtype=bool), used], axis=1)
    return record[keep].tobytes()


class _PiecesReader:
    """A file-like ``read()`` over byte strings made one at a time, so that COPY streams the
    rows batch by batch instead of holding them all in memory."""

    def __init__(self, *iterables):
        self._pieces = (piece for iterable in iterables for piece in iterable)
        self._current = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        while not len(self._current):
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            self._current = memoryview(piece)
        if size is None or size < 0:
            size = len(self._current)
        out, self._current = self._current[:size], self._current[size:]
        return out.tobytes()


def _candidates_insert(run_id: int, selection: Selection, *, batch: int = 100_000) -> None:
    """Insert the pairs of ``selection`` (``src < dst``) as candidates of ``run_id``.

    The pairs people not cleared may see go first and the cleared audience's own after them, so
    that nothing in the public pairs' rows (their ids included) depends on the restricted ones;
    within each, best first in the lists' own order (priority, likelihood, shared outcomes, the
    two actors' rank by name), so that even row ids follow the registry, not its import order.
    On PostgreSQL one binary COPY built with NumPy (no Python loop over rows: formatting a
    million rows as text would cost more than the database's own work); elsewhere executemany.
    """
    ranks = _name_ranks(np.concatenate([selection.src, selection.dst]))
    rank_a, rank_b = ranks[: len(selection)], ranks[len(selection) :]
    public_first = np.lexsort(
        (
            np.maximum(rank_a, rank_b),
            np.minimum(rank_a, rank_b),
            -selection.shared_count,
            -selection.likelihood,
            -selection.score,
            (selection.audiences & PUBLIC_SET) == 0,
        )
    )
    selection = selection.take(public_first)
    columns = ", ".join(connection.ops.quote_name(c) for c in CANDIDATE_COLUMNS)
    table = _table(Candidate)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy_expert"):
            pieces = (
                _binary_copy_rows(run_id, selection.take(slice(start, start + batch)))
                for start in range(0, len(selection), batch)
            )
            stream = _PiecesReader([PGCOPY_HEADER], pieces, [PGCOPY_TRAILER])
            raw.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)", stream, size=1 << 20
            )
            return
        marks = ", ".join(["%s"] * len(CANDIDATE_COLUMNS))
        for start in range(0, len(selection), batch):
            part = selection.take(slice(start, start + batch))
            rows = zip(
                [run_id] * len(part), part.src.tolist(), part.dst.tolist(),
                part.overlap.tolist(), part.complementarity.tolist(), part.inclusion.tolist(),
                part.score.tolist(), part.likelihood.tolist(), part.power_interest.tolist(),
                part.kind_affinity.tolist(), part.shared_partners.tolist(),
                part.needed.tolist(), part.brings_src.tolist(),
                part.brings_dst.tolist(), part.shared_count.tolist(), part.audiences.tolist(),
                _shared_json(part.shared), strict=True,
            )  # fmt: skip
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(rows))


def _name_ranks(stakeholder_ids: np.ndarray) -> np.ndarray:
    """Each stakeholder's rank by name (:data:`NAME_ORDER`) among those given, for ties: ranks
    compare only within one call."""
    wanted = np.unique(np.asarray(stakeholder_ids, dtype=np.int64))
    if not len(wanted):
        return np.zeros(0, dtype=np.int64)
    query = Stakeholder.objects.order_by(*NAME_ORDER).values_list("id", flat=True)
    if len(wanted) <= 5_000:  # a refresh: its few actors; a full run reads the ordered ids
        query = query.filter(pk__in=wanted.tolist())
    named = np.fromiter(query.iterator(chunk_size=20_000), dtype=np.int64)
    named = named[np.isin(named, wanted)]
    # A stakeholder deleted meanwhile sorts last; its row is never shown (see Candidate).
    ranks = np.full(len(wanted), len(named), dtype=np.int64)
    ranks[np.searchsorted(wanted, named)] = np.arange(len(named))
    return ranks[np.searchsorted(wanted, stakeholder_ids)]


# --- one stakeholder's refresh ------------------------------------------------------------------


def _kind_code_sql() -> tuple[str, list]:
    whens = " ".join("WHEN %s THEN %s" for _ in KIND_CODES)
    params = [value for kind, code in KIND_CODES.items() for value in (kind, code)]
    return f"CASE kind {whens} ELSE -1 END", params


def _kind_counts_everywhere() -> tuple[np.ndarray, np.ndarray]:
    """The whole registry's public tied pairs by pair of kind codes and public actors holding
    an outcome by kind code (``overlap.kind_counts``, in two aggregate queries), for a refresh
    whose registry holds only one stakeholder's ties."""
    stake, people = _table(Stake), _table(Stakeholder)
    kind_code, kind_params = _kind_code_sql()
    code_a = kind_code.replace("CASE kind", "CASE a.kind")
    code_b = kind_code.replace("CASE kind", "CASE b.kind")
    holds = "EXISTS (SELECT 1 FROM {0} s WHERE s.stakeholder_id = {1}.id AND s.interest > 0)"
    sizes = _fetch_numeric(
        f"SELECT {code_a}, COUNT(*) FROM {people} a "
        f"WHERE a.sensitivity = %s AND {holds.format(stake, 'a')} GROUP BY 1",
        [*kind_params, Sensitivity.PUBLIC],
        columns=2,
    )
    # Each tied pair once, whichever way and however many ties it has.
    low = "CASE WHEN from_stakeholder_id < to_stakeholder_id THEN from_stakeholder_id"
    high = "CASE WHEN from_stakeholder_id < to_stakeholder_id THEN to_stakeholder_id"
    pairs = (
        f"SELECT DISTINCT {low} ELSE to_stakeholder_id END AS x, "
        f"{high} ELSE from_stakeholder_id END AS y FROM {_table(Tie)}"
    )
    ties = _fetch_numeric(
        f"SELECT {code_a}, {code_b}, COUNT(*) FROM ({pairs}) p "
        f"JOIN {people} a ON a.id = p.x JOIN {people} b ON b.id = p.y "
        "WHERE a.sensitivity = %s AND b.sensitivity = %s AND a.kind <> b.kind AND "
        f"{holds.format(stake, 'a')} AND {holds.format(stake, 'b')} GROUP BY 1, 2",
        [*kind_params, *kind_params, Sensitivity.PUBLIC, Sensitivity.PUBLIC],
        columns=3,
    )
    width = len(KIND_CODES)
    kind_sizes = np.zeros(width)
    known = (sizes[:, 0] >= 0) & (sizes[:, 0] < width)
    kind_sizes[sizes[known, 0].astype(np.int64)] = sizes[known, 1]
    kind_ties = np.zeros((width, width))
    known = (ties[:, 0] >= 0) & (ties[:, 1] >= 0) & (ties[:, 0] < width) & (ties[:, 1] < width)
    a, b = ties[known, 0].astype(np.int64), ties[known, 1].astype(np.int64)
    np.add.at(kind_ties, (a, b), ties[known, 2])
    return kind_ties + kind_ties.T, kind_sizes


def _partner_ties_around(stakeholder: Stakeholder) -> np.ndarray:
    """``(stakeholder id, partner id)`` rows for every tie to one of this stakeholder's *public*
    partners (its own ties to them included): all that its pairs' shared partners read. One
    query."""
    tie, people = _table(Tie), _table(Stakeholder)
    partners = (
        f"SELECT p.id FROM {people} p WHERE p.sensitivity = %s AND p.id IN ("
        f"SELECT to_stakeholder_id FROM {tie} WHERE from_stakeholder_id = %s UNION "
        f"SELECT from_stakeholder_id FROM {tie} WHERE to_stakeholder_id = %s)"
    )
    rows = _fetch_numeric(
        f"SELECT from_stakeholder_id, to_stakeholder_id FROM {tie} "
        f"WHERE to_stakeholder_id IN ({partners}) UNION "
        f"SELECT to_stakeholder_id, from_stakeholder_id FROM {tie} "
        f"WHERE from_stakeholder_id IN ({partners})",
        [Sensitivity.PUBLIC, stakeholder.pk, stakeholder.pk] * 2,
        columns=2,
    ).astype(np.int64)
    return rows[rows[:, 0] != rows[:, 1]]


def _registry_around(
    stakeholder: Stakeholder, *, with_rarity: bool = False, with_kinds: bool = False
) -> Registry:
    """The part of the registry that one stakeholder's candidates depend on: the stakeholder and
    everyone sharing an outcome with it, the interest and influence columns of its outcomes
    only, and their *full* norms and numbers of outcomes held (so cosines and K are exact); each
    outcome's public holders are all in these columns, and ``with_rarity`` counts the public
    actors holding anything (one more query), ``with_kinds`` the whole registry's public ties
    and actors by kind (two more: the kind factor reads them). Two COPY queries; no id list
    travels to the database but the partners' names' ranks."""
    stake = _table(Stake)
    own = list(
        Stake.objects.filter(stakeholder=stakeholder, interest__gt=0).values_list(
            "outcome_id", flat=True
        )
    )
    sharing = (
        f"SELECT DISTINCT stakeholder_id FROM {stake} WHERE interest > 0 AND outcome_id IN "
        f"(SELECT outcome_id FROM {stake} WHERE stakeholder_id = %s AND interest > 0)"
    )
    holders = _fetch_numeric(
        f"SELECT stakeholder_id, outcome_id, interest, influence FROM {stake} "
        f"WHERE interest > 0 AND outcome_id IN (SELECT outcome_id FROM {stake} "
        "WHERE stakeholder_id = %s AND interest > 0)",
        [stakeholder.pk],
        columns=4,
    )
    kind_code, kind_params = _kind_code_sql()
    inclusive = ", ".join(["%s"] * len(INCLUSIVE_KINDS))
    scopes = ", ".join(["%s"] * len(INCLUSIVE_SCOPES))
    people = _fetch_numeric(
        f"SELECT a.id, {kind_code}, a.capabilities, "
        f"CASE WHEN a.women_led OR a.kind IN ({inclusive}) OR a.scope IN ({scopes}) "
        "THEN 1 ELSE 0 END, n.norm2, CASE WHEN a.sensitivity = %s THEN 1 ELSE 0 END, n.held "
        f"FROM {_table(Stakeholder)} a JOIN (SELECT stakeholder_id, SUM(interest * interest) "
        f"AS norm2, COUNT(*) AS held FROM {stake} WHERE interest > 0 AND stakeholder_id IN "
        f"({sharing}) GROUP BY stakeholder_id) n ON n.stakeholder_id = a.id",
        [*kind_params, *INCLUSIVE_KINDS, *INCLUSIVE_SCOPES, Sensitivity.PUBLIC, stakeholder.pk],
        columns=7,
    )
    ids = people[:, 0].astype(np.int64)
    public = people[:, 5] > 0
    columns = {
        "stakeholder_ids": ids,
        "kinds": people[:, 1].astype(np.int64),
        "capabilities": people[:, 2].astype(np.int64),
        "inclusive": people[:, 3] > 0,
        "public": public,
        "degrees": people[:, 6].astype(np.int64),
        "order_keys": _name_ranks(ids),
    }
    # Rarity reads how many public actors hold each outcome, among how many hold any.
    holder_public = np.isin(holders[:, 0].astype(np.int64), ids[public])
    # (A count over the whole stake table: asked only when rarity weighs in the likelihood.)
    public_size = (
        Stake.objects.filter(interest__gt=0, stakeholder__sensitivity=Sensitivity.PUBLIC)
        .values("stakeholder_id")
        .distinct()
        .count()
        if with_rarity
        else int(np.count_nonzero(public))
    )
    ties = np.array(
        Tie.objects.filter(Q(from_stakeholder=stakeholder) | Q(to_stakeholder=stakeholder))
        .order_by()
        .values_list("from_stakeholder_id", "to_stakeholder_id"),
        dtype=np.int64,
    ).reshape(-1, 2)
    outcomes = list(
        Outcome.objects.filter(pk__in=own).order_by("id").values_list("id", "needed_capabilities")
    )
    outcome_ids = np.array([o[0] for o in outcomes], dtype=np.int64)
    held_by_public = holders[holder_public, 1].astype(np.int64)
    partner_ties = _partner_ties_around(stakeholder)
    kinds = {}
    if with_kinds:
        kinds["kind_ties"], kinds["kind_sizes"] = _kind_counts_everywhere()
    return build_registry(
        **columns,
        outcome_ids=outcome_ids,
        needs=[int(o[1]) for o in outcomes],
        stake_stakeholder_ids=holders[:, 0].astype(np.int64),
        stake_outcome_ids=holders[:, 1].astype(np.int64),
        stake_interest=holders[:, 2],
        stake_influence=holders[:, 3],
        tie_from_ids=ties[:, 0],
        tie_to_ids=ties[:, 1],
        norms=np.sqrt(people[:, 4]),
        holders=np.bincount(
            np.searchsorted(outcome_ids, held_by_public), minlength=len(outcome_ids)
        )[: len(outcome_ids)],
        public_size=public_size,
        partner_tie_ids=partner_ties,
        **kinds,
    )


def candidates_refresh_stakeholder(*, stakeholder_id: int) -> int | None:
    """Recompute one stakeholder's candidates in the current run, without a full run.

    Its row is multiplied against everyone sharing an outcome with it (one sparse row × matrix
    product); its candidates in the current run are replaced, in one transaction, by its new top
    K plus those of its old pairs that still qualify (they were there because the *other* actor
    chose it; the next full run re-ranks the other actors' lists), for each audience: among
    public actors for people not cleared (none if it is not public itself), among everyone for
    cleared people. Returns how many candidates involve it now, or None when there is no current
    run or no such stakeholder.
    """
    current = OverlapRun.objects.filter(is_current=True).first()
    stakeholder = Stakeholder.objects.filter(pk=stakeholder_id).first()
    if current is None or stakeholder is None:
        return None
    params = Parameters.from_dict(current.parameters)
    previous = list(
        Candidate.objects.filter(run=current)
        .filter(Q(stakeholder_a=stakeholder) | Q(stakeholder_b=stakeholder))
        .values_list("stakeholder_a_id", "stakeholder_b_id", "audiences")
    )
    registry = _registry_around(
        stakeholder, with_rarity=params.weight_rarity > 0, with_kinds=params.weight_kinds > 0
    )
    if stakeholder.pk in registry.ids:
        row = registry.index_of([stakeholder.pk])
        parts = [candidates_for_rows(registry, row, params, threads=1)]
        for flag in (PUBLIC_SET, CLEARED_SET):
            partners = sorted(
                {b if a == stakeholder.pk else a for a, b, chosen in previous if chosen & flag}
            )
            # Old partners that no longer share an outcome are not in the registry: overlap 0.
            present = np.intersect1d(np.array(partners, dtype=np.int64), registry.ids)
            parts.append(
                score_given_pairs(
                    registry,
                    np.repeat(row, len(present)),
                    registry.index_of(present),
                    params,
                    flag=flag,
                )
            )
        merged = merge_pairs(Selection.concatenate(parts, params.shared_outcomes_kept))
    else:  # no stake with interest left: no candidates
        merged = Selection.empty(params.shared_outcomes_kept)
    with transaction.atomic():
        locked = OverlapRun.objects.select_for_update().filter(pk=current.pk).first()
        if locked is None or not locked.is_current:
            return None  # a new run took over meanwhile; it refreshes changed stakeholders itself
        involving = Candidate.objects.filter(run=current).filter(
            Q(stakeholder_a=stakeholder) | Q(stakeholder_b=stakeholder)
        )
        public_before = involving.filter(audiences__in=AUDIENCE_FLAGS[Audience.PUBLIC]).count()
        deleted, _ = involving.delete()
        _candidates_insert(current.pk, merged)
        public_now = int(np.count_nonzero(merged.audiences & PUBLIC_SET))
        counts = dict(locked.public_counts)
        if "candidates" in counts:
            counts["candidates"] = counts["candidates"] - public_before + public_now
        OverlapRun.objects.filter(pk=current.pk).update(
            candidate_count=Coalesce(F("candidate_count"), 0) - deleted + len(merged),
            public_counts=counts,
        )
    return len(merged)


# --- queueing refreshes when stakes change ------------------------------------------------------

_suspended = threading.local()


@contextlib.contextmanager
def overlap_refresh_suspended():
    """Within this block, stake changes queue no refresh (bulk imports: run a full run after)."""
    _suspended.depth = getattr(_suspended, "depth", 0) + 1
    try:
        yield
    finally:
        _suspended.depth -= 1


class _RefreshBatch:
    """The stakeholders whose stakes changed in one transaction; sent once, when it commits."""

    def __init__(self):
        self.ids: set[int] = set()
        self.sent = False

    def __call__(self):
        self.sent = True
        _refreshes_send(self.ids)


def overlap_refresh_queue(stakeholder_id: int) -> None:
    """Queue a refresh of this stakeholder's candidates for when the transaction commits.

    All the stakeholders changed in one transaction are sent together, each once; more than
    REFRESH_BATCH_LIMIT of them start a full run instead.
    """
    if getattr(_suspended, "depth", 0):
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _refreshes_send([stakeholder_id])
        return
    batch = getattr(conn, "_overlap_refresh_batch", None)
    # A rolled-back transaction drops its on-commit callbacks: then start a new batch.
    if (
        batch is None
        or batch.sent
        or not any(callback is batch for _, callback, _ in conn.run_on_commit)
    ):
        batch = _RefreshBatch()
        conn._overlap_refresh_batch = batch
        transaction.on_commit(batch)
    batch.ids.add(stakeholder_id)


# --- dismissals ---------------------------------------------------------------------------------


def candidate_dismiss(*, candidate: Candidate, user, reason: str) -> CandidateDismissal:
    """Dismiss a candidate pair with a reason; the dismissal survives later runs (kept by pair)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why this pair is dismissed.", "reason")
    if len(reason) > 1000:
        raise ApplicationError(
            f"Keep the reason under 1,000 characters (it has {len(reason):,}).", "reason"
        )
    dismissal, _ = CandidateDismissal.objects.update_or_create(
        stakeholder_a_id=candidate.stakeholder_a_id,
        stakeholder_b_id=candidate.stakeholder_b_id,
        defaults={"reason": reason, "dismissed_by": user},
    )
    return dismissal


def candidate_restore(*, candidate: Candidate) -> int:
    """Undo the dismissal of a candidate pair. Returns how many dismissals were removed."""
    deleted, _ = CandidateDismissal.objects.filter(
        stakeholder_a_id=candidate.stakeholder_a_id,
        stakeholder_b_id=candidate.stakeholder_b_id,
    ).delete()
    return deleted
