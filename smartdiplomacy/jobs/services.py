"""Every write of a job: queue, start, progress, finish. Called by the apps' own task code.

Each addresses the job by ``(kind, detail_key)`` and is one statement (``job_enqueue`` an upsert),
so a task does not have to load a row to report on it, and repeating a call does no harm.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .models import FINISHED_STATUSES, Job, JobKind, JobStatus


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
    return Job.objects.filter(kind=kind, detail_key=key).update(**changes)


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
    return Job.objects.filter(kind=kind, detail_key=key).update(**changes)


def job_restrict(*, kind: str, detail_key: object) -> int:
    """Keep the job from anyone not cleared from now on: it turned out to touch restricted actors
    (an import whose file names one). One way: a job is never made public again."""
    key = _key(kind, detail_key)
    return Job.objects.filter(kind=kind, detail_key=key, restricted=False).update(restricted=True)
