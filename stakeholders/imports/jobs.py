"""Registry imports as jobs (``smartdiplomacy.jobs``): who sees them, and each job following its
import.

An import is checked (a dry run) and then, when its uploader asks, written: one job, running
twice. The import keeps its file, counts and report; the job its life. A file found to name
restricted actors makes its job restricted (cleared people only), as the import's own page is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.urls import reverse

from smartdiplomacy.jobs.live import JobLiveReport
from smartdiplomacy.jobs.models import Job, JobKind, JobStatus
from smartdiplomacy.jobs.registry import OnCancel, job_kind_register
from smartdiplomacy.jobs.selectors import job_of
from smartdiplomacy.jobs.services import (
    job_cancel_check,
    job_enqueue,
    job_finish,
    job_progress,
    job_restrict,
    job_start,
    job_task_record,
)
from stakeholders.models import ImportJob

from .selectors import user_sees_all_imports

KIND = JobKind.REGISTRY_IMPORT
Status = ImportJob.Status

FINISHED: dict[str, str] = {
    Status.VALIDATED: JobStatus.SUCCEEDED,
    Status.INVALID: JobStatus.FAILED,
    Status.DONE: JobStatus.SUCCEEDED,
    Status.FAILED: JobStatus.FAILED,
    Status.CANCELLED: JobStatus.CANCELLED,
}


def _audience(user) -> Q:
    # The uploader's own imports; administrators: everyone's (as ``import_job_visible_to``).
    return Q() if user_sees_all_imports(user) else Q(started_by=user)


def import_jobs_register(*, on_cancel: OnCancel) -> None:
    job_kind_register(
        kind=KIND,
        detail_url=lambda key: reverse("stakeholder_imports:job_detail", args=[key]),
        audience=_audience,
        on_cancel=on_cancel,
    )


def import_job_task_sent(job_id: int) -> Callable[[str], int]:
    """What ``enqueue_on_commit`` tells of the import's task: its id, kept to revoke it."""
    return lambda task_id: job_task_record(kind=KIND, detail_key=job_id, task_id=task_id)


def import_job_cancel_check(job_id: int, *, lock: bool = False) -> None:
    """Raise ``JobCancelled`` if the import's job was cancelled (see ``job_cancel_check``)."""
    job_cancel_check(kind=KIND, detail_key=job_id, lock=lock)


def import_job_live_report(job_id: int, *, side: Any) -> JobLiveReport:
    """The import's progress while it writes in one transaction, through ``side``."""
    return JobLiveReport(kind=KIND, detail_key=job_id, side=side)


def import_job_enqueue(job: ImportJob) -> None:
    job_enqueue(kind=KIND, detail_key=job.pk, user=job.created_by)


def import_job_progress(*, job_id: int, done: int, total: int | None) -> None:
    """Progress of the check (outside any transaction); ``JobCancelled`` if it was cancelled."""
    if not job_progress(kind=KIND, detail_key=job_id, done=done, total=total):
        job_cancel_check(kind=KIND, detail_key=job_id)


def import_job_follow(job_id: int, *, phase: str = "") -> None:
    """Bring the import's job up to date with the import (after each change of its status);
    ``phase`` (what it does now) is the job's alone."""
    row = (
        ImportJob.objects.filter(pk=job_id)
        .values("status", "error_message", "error_count", "involves_restricted")
        .first()
    )
    if row is None:
        return
    if row["involves_restricted"]:
        job_restrict(kind=KIND, detail_key=job_id)
    status = row["status"]
    if status in (Status.VALIDATING, Status.IMPORTING):
        job_start(kind=KIND, detail_key=job_id, phase=phase)
    elif status in FINISHED:
        error = row["error_message"]
        if FINISHED[status] == JobStatus.FAILED and not error:
            error = f"The file has errors in {row['error_count']} row(s): see the import's page."
        job_finish(kind=KIND, detail_key=job_id, status=FINISHED[status], error=error)


_STATUS_OF = {Status.UPLOADED: JobStatus.QUEUED, Status.VALIDATING: JobStatus.RUNNING,
              Status.IMPORTING: JobStatus.RUNNING, **FINISHED}  # fmt: skip


def import_job_of(job: ImportJob) -> Job:
    """The import's job, for the import's own page (one query); an import recorded without one
    (made by hand, as tests do) is shown as the job it would have."""
    found = job_of(kind=KIND, detail_key=job.pk)
    if found is None:
        found = Job(
            kind=KIND,
            detail_key=str(job.pk),
            status=_STATUS_OF[job.status],
            progress_done=job.rows_processed,
            progress_total=job.rows_total,
            error=job.error_message,
        )
    return found
