"""Overlap runs as jobs (``smartdiplomacy.jobs``): who sees them, and the job following a run.

The run keeps its parameters, phases, chunks and counts; its job row is what the Jobs page, the
jobs API and /metrics read. Progress is the run's percent (never its chunk or stakeholder counts,
which include restricted actors).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.urls import reverse

from smartdiplomacy.jobs.models import Job, JobKind, JobStatus
from smartdiplomacy.jobs.presentation import job_progress_payload
from smartdiplomacy.jobs.registry import OnCancel, job_kind_register
from smartdiplomacy.jobs.selectors import job_of
from smartdiplomacy.jobs.services import (
    job_cancel_check,
    job_enqueue,
    job_finish,
    job_progress,
    job_start,
    job_task_record,
)

from .choices import RunStatus, RunTrigger
from .models import OverlapRun

KIND = JobKind.OVERLAP
VIEW_RUNS = "partnerships.view_overlaprun"


def overlap_jobs_register(*, on_cancel: OnCancel) -> None:
    job_kind_register(
        kind=KIND,
        detail_url=lambda key: reverse("partnerships:run_detail", args=[key]),
        audience=lambda user: Q() if user.has_perm(VIEW_RUNS) else None,
        on_cancel=on_cancel,
    )


def overlap_job_task_sent(run_id: int) -> Callable[[str], int]:
    """What ``enqueue_on_commit`` tells of the run's task: its id, kept to revoke it."""
    return lambda task_id: job_task_record(kind=KIND, detail_key=run_id, task_id=task_id)


def overlap_job_cancel_check(run_id: int, *, lock: bool = False) -> None:
    """Raise ``JobCancelled`` if the run's job was cancelled (see ``job_cancel_check``)."""
    job_cancel_check(kind=KIND, detail_key=run_id, lock=lock)


def overlap_job_enqueue(run: OverlapRun) -> None:
    # A run set off by stake changes may have been set off by hidden ones: cleared people only.
    job_enqueue(
        kind=KIND,
        detail_key=run.pk,
        user=run.started_by,
        restricted=run.trigger == RunTrigger.CHANGES,
        total=100,
    )


def overlap_job_follow(run_id: int) -> None:
    """Bring the run's job up to date with the run (after each of its updates)."""
    run = (
        OverlapRun.objects.filter(pk=run_id)
        .only("status", "phase", "chunks_done", "chunks_total", "error")
        .first()
    )
    if run is None:
        return
    if run.status == RunStatus.SUCCEEDED:
        job_finish(kind=KIND, detail_key=run_id, status=JobStatus.SUCCEEDED)
    elif run.status == RunStatus.FAILED:
        job_finish(
            kind=KIND, detail_key=run_id, status=JobStatus.FAILED, error=run.error or "Failed."
        )
    elif run.status == RunStatus.CANCELLED:
        job_finish(kind=KIND, detail_key=run_id, status=JobStatus.CANCELLED, error=run.error)
    elif run.status == RunStatus.RUNNING:
        job_start(kind=KIND, detail_key=run_id, total=100)
        job_progress(kind=KIND, detail_key=run_id, done=run.percent, phase=run.get_phase_display())


def overlap_job_of(run: OverlapRun) -> Job:
    """The run's job, for the run's own pages (one query); a run recorded without one (made by
    hand, as tests do) is shown as the job it would have."""
    job = job_of(kind=KIND, detail_key=run.pk)
    if job is None:
        running = run.status == RunStatus.RUNNING
        job = Job(
            kind=KIND,
            detail_key=str(run.pk),
            status=run.status,
            phase=run.get_phase_display() if running else "",
            progress_done=run.percent if running else 0,
            progress_total=100,
            error=run.error,
        )
    return job


def overlap_progress_detail(run: OverlapRun) -> str:
    """The run's own line beside its job's progress: its chunks (sized by public rows)."""
    return f"chunks {run.chunks_done}/{run.chunks_total}" if run.chunks_total else ""


def overlap_run_progress(run: OverlapRun) -> dict:
    """What ``jobs/progress.html`` shows of a run: its job and its chunks."""
    return {"job": overlap_job_of(run), "detail": overlap_progress_detail(run)}


def overlap_run_progress_payload(run: OverlapRun) -> dict:
    return job_progress_payload(overlap_job_of(run), detail=overlap_progress_detail(run))
