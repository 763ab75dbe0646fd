"""Starting and watching overlap runs: their parameters, the request that queues one, the leases
a worker holds on a step, and how a run that failed or lost its worker says why.

A run goes queued → running (read the registry, snapshot it) → chunks computed (by any number of
workers) → finalised: the candidates are written tagged with the run, and in the *same*
transaction the run becomes current (:mod:`.steps`). Readers only see the current run's
candidates, so a run that fails or whose worker dies before that commit changes nothing anyone
sees.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.jobs.services import JobCancelled
from smartdiplomacy.services import UNSET, given_fields
from smartdiplomacy.tasks import enqueue_on_commit

from ..choices import RunStatus, RunTrigger
from ..jobs import overlap_job_enqueue, overlap_job_follow, overlap_job_task_sent
from ..models import (
    OverlapChunk,
    OverlapRun,
    OverlapSnapshot,
    OverlapStep,
)
from .parameters import Parameters

logger = logging.getLogger(__name__)

# A chunk is about this many stakeholders; a run has at most MAX_CHUNKS.
ROWS_PER_CHUNK = 25_000
MAX_CHUNKS = 16


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def stale_after() -> timedelta:
    """A queued or running run that has not moved for this long lost its worker."""
    return timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 3600) + 60)


def lease_lost_after() -> timedelta:
    """A step whose worker has not said it is alive for this long lost that worker."""
    return timedelta(seconds=4 * settings.OVERLAP_RUN_LEASE_SECONDS)


@contextlib.contextmanager
def step_lease(run_id: int, name: str):
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

    A worker executing a step holds a lease on it (``step_lease``); a step silent for
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
        count += run_fail(
            run_id,
            f"The worker {worker} stopped while {name} (no sign of life for "
            f"{int(lease_lost_after().total_seconds())} s: stopped or killed). The previous "
            "candidates are still in place; start a new run.",
        )
    stale = OverlapRun.objects.filter(is_active=True, updated_at__lt=now - stale_after())
    for run_id in stale.values_list("id", flat=True):
        count += run_fail(
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
    from ..tasks import overlap_run_execute_task

    params = overlap_parameters_clean(parameters)
    overlap_runs_fail_stale()
    try:
        with transaction.atomic():
            run = OverlapRun.objects.create(
                trigger=trigger,
                parameters=params,
                started_by=user if getattr(user, "is_authenticated", False) else None,
            )
            overlap_job_enqueue(run)
    except IntegrityError:
        active = OverlapRun.objects.filter(is_active=True).first()
        if active is None:  # it finished between our insert and this read: try once more
            return overlap_run_request(trigger=trigger, user=user, parameters=parameters)
        return active, False
    enqueue_on_commit(overlap_run_execute_task, run.pk, sent=overlap_job_task_sent(run.pk))
    return run, True


RUN_STEP_FIELDS = (
    "status", "phase", "is_active", "is_current", "snapshot_at", "stakeholder_count",
    "stake_count", "candidate_count", "public_counts", "chunks_total", "chunks_done", "timings",
    "statistics", "message", "finished_at",
)  # fmt: skip


def run_update(
    run_id: int,
    *,
    status: str = UNSET,
    phase: str = UNSET,
    is_active: bool = UNSET,
    is_current: bool = UNSET,
    snapshot_at: datetime = UNSET,
    stakeholder_count: int = UNSET,
    stake_count: int = UNSET,
    candidate_count: int = UNSET,
    public_counts: dict = UNSET,
    chunks_total: int = UNSET,
    chunks_done: int = UNSET,
    timings: dict = UNSET,
    statistics: dict = UNSET,
    message: str = UNSET,
    finished_at: datetime = UNSET,
) -> int:
    """What a run's steps record as it goes (one UPDATE; the job follows): only the fields
    named here, so that a misspelt one fails at the call instead of being lost."""
    fields = given_fields(locals(), RUN_STEP_FIELDS)
    updated = OverlapRun.objects.filter(pk=run_id).update(**fields, updated_at=timezone.now())
    overlap_job_follow(run_id)
    return updated


def run_fail(run_id: int, error: str, *, status: str = RunStatus.FAILED) -> int:
    """Mark an active run failed, or cancelled (no-op if it already ended); its candidates never
    went live."""
    with transaction.atomic():
        updated = OverlapRun.objects.filter(pk=run_id, is_active=True).update(
            status=status,
            is_active=False,
            error=error,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    if updated:
        _run_artifacts_delete(run_id)
        overlap_job_follow(run_id)
    return updated


def _run_artifacts_delete(run_id: int) -> None:
    OverlapStep.objects.filter(run_id=run_id).delete()  # a lost worker's: the error names it
    OverlapSnapshot.objects.filter(run_id=run_id).delete()
    OverlapChunk.objects.filter(run_id=run_id).update(result=None)


CANCELLED_MESSAGE = "Cancelled{by}. The previous candidates are still in place."


def overlap_run_cancelled(key: str, by: str) -> None:
    """The run's job was cancelled (``by`` says by whom): the run ends cancelled, saying so
    (registered as the overlap jobs' ``on_cancel``). Its steps stop at their next check; nothing
    it computed goes live."""
    run_fail(int(key), CANCELLED_MESSAGE.format(by=by), status=RunStatus.CANCELLED)


class OverlapRunFailed(Exception):
    """A run step failed; the run is already marked failed with the reason, and logged."""


@contextlib.contextmanager
def failing_run_on_error(run_id: int, what: str):
    """Turn an unexpected error into a failed run that says why, then raise OverlapRunFailed."""
    try:
        yield
    except JobCancelled as cancelled:
        logger.info("Overlap run %s cancelled while %s", run_id, what)
        run_fail(run_id, CANCELLED_MESSAGE.format(by=""), status=RunStatus.CANCELLED)
        raise OverlapRunFailed(str(cancelled)) from cancelled
    except Exception as error:
        logger.exception("Overlap run %s failed while %s", run_id, what)
        run_fail(run_id, f"Failed while {what}: {type(error).__name__}: {error}")
        raise OverlapRunFailed(str(error)) from error
