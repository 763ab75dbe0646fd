"""A run's steps, called by the tasks: read and snapshot the registry and send the chunks
(:func:`overlap_run_execute`), compute one chunk (:func:`overlap_chunk_compute`), write the
candidates and make the run current in one transaction (:func:`overlap_run_finalize`), then tidy.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time

import numpy as np
from celery import group
from django.db import connection, transaction
from django.utils import timezone

from ..choices import ChunkStatus, RunPhase, RunStatus
from ..jobs import overlap_job_cancel_check, overlap_job_follow
from ..models import (
    Candidate,
    OverlapChunk,
    OverlapRun,
    OverlapSnapshot,
)
from . import partitions
from .compute import candidates_for_rows, merge_pairs
from .loading import registry_load, table_name
from .parameters import PUBLIC_SET, Parameters
from .refresh import refresh_changed_since
from .registry import Registry, chunk_bounds, registry_statistics
from .runs import (
    MAX_CHUNKS,
    ROWS_PER_CHUNK,
    default_threads,
    failing_run_on_error,
    run_update,
    step_lease,
)
from .selection import Selection
from .writing import COPY_STREAMS, candidates_insert, chunk_result_read, chunk_result_store

logger = logging.getLogger(__name__)

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


# --- the run's steps (called by the tasks) ------------------------------------------------------


def overlap_run_execute(*, run_id: int) -> None:
    """Start a queued run: read and snapshot the registry, cut it into chunks, send the chunks.

    Does nothing for a run that is no longer queued (a repeated task). An empty registry ends
    here as a successful run with zero candidates and a message.
    """
    from ..tasks import overlap_chunk_compute_task

    with transaction.atomic():
        run = OverlapRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.QUEUED:
            return
        run.status, run.phase, run.started_at = RunStatus.RUNNING, RunPhase.LOAD, timezone.now()
        run.save(update_fields=["status", "phase", "started_at", "updated_at"])
        overlap_job_follow(run_id)

    with (
        step_lease(run_id, "reading the registry"),
        failing_run_on_error(run_id, "reading the registry"),
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
        overlap_job_cancel_check(run_id)
        with transaction.atomic():
            if len(order):
                OverlapSnapshot.objects.create(run_id=run_id, data=registry.to_bytes())
                OverlapChunk.objects.bulk_create(
                    OverlapChunk(run_id=run_id, index=i, row_start=start, row_end=end)
                    for i, (start, end) in enumerate(bounds)
                )
            run_update(
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
                statistics=registry_statistics(registry),
            )
    empty = not len(order)
    # The chunks read the snapshot themselves: where they run in this process (the embedded
    # default, eager tasks) the registry would otherwise stay alive under all of them and the
    # finaliser (issue 22: a few hundred MiB of the peak at 100,000 actors).
    del registry, order
    if empty:
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
    from ..tasks import overlap_run_finalize_task as finalize_task

    chunk = OverlapChunk.objects.filter(run_id=run_id, index=index).select_related("run").first()
    if chunk is None or chunk.status == ChunkStatus.DONE:
        return
    run = chunk.run
    if run.status != RunStatus.RUNNING:
        return
    what = f"comparing stakeholders (chunk {index + 1})"
    with step_lease(run_id, what), failing_run_on_error(run_id, what):
        overlap_job_cancel_check(run_id)  # between chunks: a cancelled run computes no more
        started = time.perf_counter()
        selected, payload = _chunk_result(run, chunk)
        seconds = time.perf_counter() - started
        # Stored before the run is locked, so that chunks computed side by side (a worker's
        # pool, several workers) store theirs at once, not one after the other under the lock
        # (issue 22). A chunk marked done meanwhile (a repeated task) keeps its result; one of a
        # run that ends meanwhile is cleared when the next run tidies up.
        stored = time.perf_counter()
        pending = OverlapChunk.objects.filter(pk=chunk.pk, status=ChunkStatus.PENDING)
        if pending.exists():
            chunk_result_store(chunk.pk, payload)
        del payload
        stored = time.perf_counter() - stored
        with transaction.atomic():
            locked = OverlapRun.objects.select_for_update().get(pk=run_id)
            if locked.status != RunStatus.RUNNING:
                return
            updated = pending.update(
                status=ChunkStatus.DONE, selected=selected, seconds=round(seconds, 3)
            )
            done = OverlapChunk.objects.filter(run_id=run_id, status=ChunkStatus.DONE).count()
            timings = dict(locked.timings)
            timings["compute"] = round(timings.get("compute", 0) + seconds, 3)
            # Storing the result for the finaliser: the phase issue 22 found missing from the
            # printed timings (a quarter of the job at 100,000 actors).
            timings["store"] = round(timings.get("store", 0) + stored, 3)
            run_update(run_id, chunks_done=done, timings=timings)
            last = bool(updated) and done == locked.chunks_total
    if last:
        finalize_task.delay(run_id)


def _chunk_result(run: OverlapRun, chunk: OverlapChunk) -> tuple[int, bytes]:
    """How many pairs a chunk selected and its result as bytes: its directed selection already
    merged into unordered pairs, so that this work is done by the chunks side by side rather
    than by the finaliser alone (issue 22), and fewer bytes travel. The snapshot's arrays are
    freed before the merge."""
    snapshot = OverlapSnapshot.objects.get(run_id=run.pk)
    registry = Registry.from_bytes(bytes(snapshot.data))
    del snapshot
    rows = registry.row_order()[chunk.row_start : chunk.row_end]
    selection = candidates_for_rows(
        registry,
        rows,
        Parameters.from_dict(run.parameters),
        threads=run.parameters.get("threads") or default_threads(),
    )
    del registry, rows
    selected = len(selection)
    return selected, merge_pairs(selection, consume=True).to_bytes()


def _chunks_merged(run_id: int, kept: int) -> Selection:
    """The chunks' selections merged into unordered pairs, one chunk at a time: each result is
    read (binary COPY), decoded and merged within itself before the next is read (a chunk merges
    its own before storing it: merging again changes nothing and costs little on sorted pairs,
    and reads a result stored unmerged as well), then the chunks' pairs are merged together,
    releasing each column as it is copied (issue 22: the finaliser held every chunk's directed
    rows and two merged copies at once)."""
    chunks = OverlapChunk.objects.filter(run_id=run_id).exclude(result=None).order_by("index")
    parts = []
    for chunk_id in chunks.values_list("pk", flat=True):
        payload = chunk_result_read(chunk_id)
        if payload is None:
            continue
        directed = Selection.from_bytes(payload)
        del payload
        parts.append(merge_pairs(directed, consume=True))
        del directed
    if len(parts) == 1:
        return parts[0]
    return merge_pairs(Selection.concatenate(parts, kept, consume=True), consume=True)


def overlap_run_finalize(*, run_id: int, message: str = "") -> None:
    """Write a run's candidates and make it current; then tidy up.

    Merges the chunks' directed selections into unordered pairs, inserts them tagged with the run
    (COPY on PostgreSQL: on a worker into the run's own table, built unattached beforehand), and
    in one transaction attaches them and moves the "current" mark from the previous run to this
    one. If anything fails before that commit, nothing changes for readers.
    """
    run = OverlapRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return
    run_update(run_id, phase=RunPhase.WRITE)
    with (
        step_lease(run_id, "writing candidates"),
        failing_run_on_error(run_id, "writing candidates"),
    ):
        started = time.perf_counter()
        merged = _chunks_merged(run_id, Parameters.from_dict(run.parameters).shared_outcomes_kept)
        gathered = time.perf_counter() - started
        started += gathered
        partitioned = partitions.candidates_partitioned()
        # Outside any transaction (a worker's task), the run's table is built and committed
        # before the swap, unattached (nobody reads it), so that two backends COPY into it at
        # once; in the swap's transaction it is attached (issue 22). Inside one (a run executed
        # in process within a caller's transaction) it is built in the swap's transaction.
        built = partitioned and not connection.in_atomic_block
        with partitions.run_table_building(run_id) if built else contextlib.nullcontext():
            swapped = False
            try:
                if built:
                    if not OverlapRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).exists():
                        return  # another finaliser won, or the run ended meanwhile
                    with transaction.atomic():
                        table = partitions.run_partition_create(run_id)
                    candidates_insert(run_id, merged, table=table, streams=COPY_STREAMS)
                swapped = _run_swap(
                    run_id, merged, message=message, started=started, gathered=gathered,
                    partitioned=partitioned, built=built,
                )  # fmt: skip
            finally:
                if built and not swapped:
                    # Ours (the build lock is held): a failed or cancelled run's table goes now,
                    # not at the next run's tidying (which still sweeps what a dead worker left).
                    partitions.unattached_run_table_drop(run_id)
    if not swapped:
        return
    _runs_tidy(run_id)
    refresh_changed_since(run.snapshot_at)
    from ..signals import overlap_run_succeeded  # signals imports this module

    overlap_run_succeeded.send(sender=OverlapRun, run_id=run_id)


def _run_swap(
    run_id: int,
    merged: Selection,
    *,
    message: str,
    started: float,
    gathered: float,
    partitioned: bool,
    built: bool,
) -> bool:
    """The finaliser's transaction: the candidates written (or the run's built table attached)
    and the run made current, with its figures; False if the run was no longer running."""
    with transaction.atomic():
        locked = OverlapRun.objects.select_for_update().get(pk=run_id)
        if locked.status != RunStatus.RUNNING:
            return False  # another finaliser won, or the run was marked failed meanwhile
        if partitioned:
            # COPY into a bare table of the run's own, indexed once when attached.
            if not built:
                table = partitions.run_partition_create(run_id)
                candidates_insert(run_id, merged, table=table)
            partitions.run_partition_attach(run_id)
        else:
            Candidate.objects.filter(run_id=run_id).delete()
            candidates_insert(run_id, merged)
        _promotions_carry_over(run_id)
        _pause_before_commit()
        # Last, under the job's lock: a cancel that came first rolls all of this back (the
        # previous run's candidates stay); one that comes now waits and finds the run done.
        overlap_job_cancel_check(run_id, lock=True)
        OverlapRun.objects.filter(is_current=True).exclude(pk=run_id).update(is_current=False)
        timings = dict(locked.timings)
        # Reading and merging the chunks' results, then writing: each phase apart, so that
        # the timings add up to the run (issue 22).
        timings["gather"] = round(gathered, 3)
        timings["write"] = round(time.perf_counter() - started, 3)
        run_update(
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
    return True


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
    table = table_name(Candidate)
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
    table = table_name(Candidate)
    if partitions.candidates_partitioned():
        # Superseded runs' partitions go whole (no dead rows); what remains to delete is the
        # default partition's: rows written outside the job for runs without a partition.
        partitions.superseded_partitions_drop(current_run_id)
        # Tables built for runs that failed or were cancelled before their commit.
        partitions.unattached_run_tables_drop(
            set(OverlapRun.objects.filter(is_active=True).values_list("pk", flat=True))
        )
        table = connection.ops.quote_name(partitions.default_partition())
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE run_id <> %s", [current_run_id])
        if connection.vendor == "postgresql":
            # The table's rows were all replaced: without fresh statistics the planner takes the
            # new run for a handful of rows and walks all of them to find one stakeholder's
            # candidates (a refresh at 100,000 stakeholders: 27-30 s) until autovacuum next
            # analyses it, or never where it is off (issue 22). A sample: 1.4 s at 1.27 M rows.
            cursor.execute(f"ANALYZE {table_name(Candidate)}")
    OverlapSnapshot.objects.filter(run__is_active=False).delete()
    OverlapChunk.objects.filter(run__is_active=False).exclude(result=None).update(result=None)
    run = OverlapRun.objects.get(pk=current_run_id)
    run.timings = {**run.timings, "tidy": round(time.perf_counter() - started, 3)}
    OverlapRun.objects.filter(pk=current_run_id).update(timings=run.timings)
