"""Rescore runs as jobs (``smartdiplomacy.jobs``): who sees them, and the job of each run.

The run keeps its methodology and counts; its job row is what the Jobs page, the jobs API and
/metrics read. Engagements are public (an engagement's score may be shown to anyone who reads
the index), so a run's done/total is what its own page already shows.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from smartdiplomacy.jobs.models import Job, JobKind, JobStatus
from smartdiplomacy.jobs.presentation import job_progress_payload
from smartdiplomacy.jobs.registry import job_kind_register
from smartdiplomacy.jobs.selectors import job_of
from smartdiplomacy.jobs.services import job_enqueue, job_finish, job_progress, job_start

KIND = JobKind.RESCORE
VIEW = "index.view_methodology"


def rescore_jobs_register() -> None:
    job_kind_register(
        kind=KIND,
        detail_url=lambda key: reverse("index:rescore_run_detail", args=[key]),
        audience=lambda user: Q() if user.has_perm(VIEW) else None,
    )


def rescore_job_enqueue(*, run_id: int, user=None) -> None:
    job_enqueue(kind=KIND, detail_key=run_id, user=user)


def rescore_job_start(*, run_id: int, total: int) -> None:
    job_start(kind=KIND, detail_key=run_id, total=total)


def rescore_job_progress(*, run_id: int, done: int) -> None:
    job_progress(kind=KIND, detail_key=run_id, done=done)


def rescore_job_finish(*, run_id: int, error: str = "") -> None:
    status = JobStatus.FAILED if error else JobStatus.SUCCEEDED
    job_finish(kind=KIND, detail_key=run_id, status=status, error=error)


_STATUS_OF = {"queued": JobStatus.QUEUED, "running": JobStatus.RUNNING,
              "done": JobStatus.SUCCEEDED, "failed": JobStatus.FAILED}  # fmt: skip


def rescore_job_of(run) -> Job:
    """The run's job, for the run's own page (one query); a run recorded without one (made by
    hand, as tests do) is shown as the job it would have."""
    found = job_of(kind=KIND, detail_key=run.pk)
    if found is None:
        found = Job(
            kind=KIND,
            detail_key=str(run.pk),
            status=_STATUS_OF.get(run.status, JobStatus.QUEUED),
            progress_done=run.done,
            progress_total=run.total or None,
            error=run.error,
        )
    return found


def rescore_run_progress_payload(run) -> dict:
    """What the run's status endpoint sends as ``"job"`` (``static/js/jobs.js``)."""
    return job_progress_payload(rescore_job_of(run), detail="engagements")
