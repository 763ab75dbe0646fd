"""Registry imports as jobs (``smartdiplomacy.jobs``): who sees them, and each job following its
import.

An import is checked (a dry run) and then, when its uploader asks, written: one job, running
twice. The import keeps its file, counts and report; the job its life. A file found to name
restricted actors makes its job restricted (cleared people only), as the import's own page is.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from smartdiplomacy.jobs.models import JobKind, JobStatus
from smartdiplomacy.jobs.registry import job_kind_register
from smartdiplomacy.jobs.services import (
    job_enqueue,
    job_finish,
    job_progress,
    job_restrict,
    job_start,
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
}


def _audience(user) -> Q:
    # The uploader's own imports; administrators: everyone's (as ``import_job_visible_to``).
    return Q() if user_sees_all_imports(user) else Q(started_by=user)


def import_jobs_register() -> None:
    job_kind_register(
        kind=KIND,
        detail_url=lambda key: reverse("stakeholder_imports:job_detail", args=[key]),
        audience=_audience,
    )


def import_job_enqueue(job: ImportJob) -> None:
    job_enqueue(kind=KIND, detail_key=job.pk, user=job.created_by)


def import_job_progress(*, job_id: int, done: int, total: int | None) -> None:
    job_progress(kind=KIND, detail_key=job_id, done=done, total=total)


def import_job_follow(job_id: int) -> None:
    """Bring the import's job up to date with the import (after each change of its status)."""
    row = (
        ImportJob.objects.filter(pk=job_id)
        .values("status", "phase", "error_message", "error_count", "involves_restricted")
        .first()
    )
    if row is None:
        return
    if row["involves_restricted"]:
        job_restrict(kind=KIND, detail_key=job_id)
    status = row["status"]
    if status in (Status.VALIDATING, Status.IMPORTING):
        job_start(kind=KIND, detail_key=job_id, phase=row["phase"])
    elif status in FINISHED:
        error = row["error_message"]
        if FINISHED[status] == JobStatus.FAILED and not error:
            error = f"The file has errors in {row['error_count']} row(s): see the import's page."
        job_finish(kind=KIND, detail_key=job_id, status=FINISHED[status], error=error)
