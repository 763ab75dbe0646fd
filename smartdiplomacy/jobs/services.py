"""Every write of a job: queue, start, progress, finish, cancel. Called by the apps' own task
code (and ``job_cancel`` by the Jobs page and API).

Each report addresses the job by ``(kind, detail_key)`` and is one statement (``job_enqueue`` an
upsert), so a task does not have to load a row to report on it, and repeating a call does no harm.
A cancelled job stays cancelled: a late report of the domain row (it failed, or finished) never
overwrites it; the domain code asks ``job_cancel_check`` between its batches and stops.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .models import ACTIVE_STATUSES, FINISHED_STATUSES, Job, JobKind, JobStatus
from .registry import kind_spec, user_is_administrator
from .selectors import job_visible_to

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised by ``job_cancel_check`` in a job's own code: its job was cancelled; stop, and let
    the transaction roll back so that the last good results stay in place."""


def _key(kind: str, detail_key: object) -> str:
    if kind not in JobKind.values:
        raise ApplicationError(
            f"Unknown job kind {kind!r}; the kinds are {', '.join(JobKind.values)}.", "kind"
        )
    key = str(detail_key)
    if not key or len(key) > 64:
        raise ApplicationError("A job's detail_key is 1 to 64 characters.", "detail_key")
    return key


def _counts_check(done: int | None, total: int | None) -> None:
    if done is not None and done < 0:
        raise ApplicationError(f"done must be 0 or more, not {done}.", "done")
    if total is not None and total < 0:
        raise ApplicationError(f"total must be 0 or more, not {total}.", "total")
    if done is not None and total is not None and done > total:
        raise ApplicationError(f"done ({done}) cannot exceed total ({total}).", "done")


def job_enqueue(
    *,
    kind: str,
    detail_key: object,
    user: Any = None,
    restricted: bool = False,
    total: int | None = None,
) -> Job:
    """The job of ``(kind, detail_key)``, queued: created, or reset if it ran before (a resumed
    import); ``user`` is who asked for it (kept from the first call when not given again)."""
    key = _key(kind, detail_key)
    _counts_check(None, total)
    defaults = {
        "status": JobStatus.QUEUED,
        "phase": "",
        "progress_done": 0,
        "progress_total": total,
        "error": "",
        "finished_at": None,
    }
    if getattr(user, "is_authenticated", False):
        defaults["started_by"] = user
    # ``restricted`` only ever turns on (job_restrict): queueing again never makes a job public.
    job, created = Job.objects.update_or_create(
        kind=kind,
        detail_key=key,
        defaults=defaults,
        create_defaults={**defaults, "restricted": restricted},
    )
    if restricted and not job.restricted:
        job_restrict(kind=kind, detail_key=key)
        job.restricted = True
    return job


def job_start(*, kind: str, detail_key: object, total: int | None = None, phase: str = "") -> int:
    """Mark the job running (its start time is kept if it had one; calling it again is harmless).
    Returns the rows changed (0 when no such job)."""
    key = _key(kind, detail_key)
    _counts_check(0, total)
    changes: dict = {
        "status": JobStatus.RUNNING,
        "started_at": Coalesce(F("started_at"), timezone.now()),
        "finished_at": None,
        "phase": phase[:100],
    }
    if total is not None:
        changes["progress_total"] = total
    jobs = Job.objects.filter(kind=kind, detail_key=key).exclude(status=JobStatus.CANCELLED)
    return jobs.update(**changes)


def job_progress(
    *,
    kind: str,
    detail_key: object,
    done: int,
    total: int | None = None,
    phase: str | None = None,
) -> int:
    """Record how far the job got (one UPDATE; a finished job is left as it ended)."""
    key = _key(kind, detail_key)
    _counts_check(done, total)
    changes: dict = {"progress_done": done}
    if total is not None:
        changes["progress_total"] = total
    if phase is not None:
        changes["phase"] = phase[:100]
    return (
        Job.objects.filter(kind=kind, detail_key=key)
        .exclude(status__in=FINISHED_STATUSES)
        .update(**changes)
    )


def job_finish(*, kind: str, detail_key: object, status: str, error: str = "") -> int:
    """End the job: succeeded (its progress full), failed (``error`` says why) or cancelled."""
    key = _key(kind, detail_key)
    if status not in FINISHED_STATUSES:
        raise ApplicationError(
            f"status: a job finishes as {', '.join(FINISHED_STATUSES)}, not {status!r}.", "status"
        )
    if status == JobStatus.FAILED and not error:
        raise ApplicationError("A failed job says why: give its error.", "error")
    now = timezone.now()
    changes: dict = {
        "status": status,
        "error": error,
        "phase": "",
        "finished_at": now,
        "started_at": Coalesce(F("started_at"), now),
    }
    if status == JobStatus.SUCCEEDED:
        changes["progress_done"] = Coalesce(F("progress_total"), F("progress_done"))
    jobs = Job.objects.filter(kind=kind, detail_key=key).exclude(status=JobStatus.CANCELLED)
    return jobs.update(**changes)


def job_restrict(*, kind: str, detail_key: object) -> int:
    """Keep the job from anyone not cleared from now on: it turned out to touch restricted actors
    (an import whose file names one). One way: a job is never made public again."""
    key = _key(kind, detail_key)
    return Job.objects.filter(kind=kind, detail_key=key, restricted=False).update(restricted=True)


def job_task_record(*, kind: str, detail_key: object, task_id: str) -> int:
    """Remember the Celery task last sent for the job, so that cancelling it revokes the task."""
    key = _key(kind, detail_key)
    return Job.objects.filter(kind=kind, detail_key=key).update(task_id=str(task_id)[:255])


def job_cancel_check(*, kind: str, detail_key: object, lock: bool = False) -> None:
    """Raise ``JobCancelled`` if the job was cancelled: the domain code asks between its chunks
    or batches. ``lock``: hold the job's row until the caller's transaction ends — asked just
    before a job makes its results current, so that a cancel either came first (the results
    are rolled back) or waits and finds the job finished."""
    key = _key(kind, detail_key)
    jobs = Job.objects.filter(kind=kind, detail_key=key)
    if lock:
        jobs = jobs.select_for_update()
    if jobs.values_list("status", flat=True).first() == JobStatus.CANCELLED:
        raise JobCancelled(f"{kind} {key} was cancelled")


def cancelled_by(user: Any) -> str:
    """The " by <username>" of whoever cancelled a job, for "Cancelled by …" on its row and its
    domain page; "" for no one signed in (the domain code's own stop after a cancel)."""
    return f" by {user.get_username()}" if getattr(user, "is_authenticated", False) else ""


def job_cancel(*, job: Job, user: Any) -> Job:
    """Cancel a queued or running job, as ``user``: whoever started it, or an administrator.

    A job ``user`` may not see is missing (``Http404``), exactly as one that does not exist; a
    finished one, or one of a kind that cannot stop, is refused with a reason. Once the cancel
    has committed its task is revoked (if it has not started) and the kind's ``on_cancel``
    stops the domain row; a running task stops at its next ``job_cancel_check``.
    """
    if not job_visible_to(user).filter(pk=job.pk).exists():
        raise Http404("No such job.")
    if job.started_by_id != getattr(user, "pk", None) and not user_is_administrator(user):
        raise PermissionDenied("Only whoever started this job, or an administrator, may cancel it.")
    spec = kind_spec(job.kind)
    if spec is None or spec.on_cancel is None:
        raise ApplicationError(
            f"{job.get_kind_display()} jobs cannot be cancelled; let this one finish.", "kind"
        )
    now, by = timezone.now(), cancelled_by(user)
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status not in ACTIVE_STATUSES:
            raise ApplicationError(
                f"This job has already finished ({locked.get_status_display().lower()}): only "
                "a queued or running job can be cancelled.",
                "status",
                code="finished",
            )
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.CANCELLED,
            phase="",
            error=f"Cancelled{by}.",
            finished_at=now,
            started_at=Coalesce(F("started_at"), now),
        )
    on_cancel, key, task_id = spec.on_cancel, locked.detail_key, locked.task_id

    def stop() -> None:
        # After the commit: the domain code that checks (under a lock, before making its results
        # current) must find the job cancelled, and never wait on this transaction meanwhile.
        _task_revoke(task_id)
        on_cancel(key, by)

    transaction.on_commit(stop)
    job.refresh_from_db()
    return job


def _task_revoke(task_id: str) -> None:
    """Revoke a task not started yet (a worker that has it running finds the job cancelled at
    its next check). Tasks run in process (no broker) have nothing to revoke."""
    from celery import current_app

    if not task_id or current_app.conf.task_always_eager:
        return
    try:
        current_app.control.revoke(task_id)
    except Exception:  # the broker away for a moment: the task's own check still stops it
        logger.warning("Could not revoke task %s", task_id, exc_info=True)
