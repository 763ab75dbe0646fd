"""Overlap runs as jobs (``smartdiplomacy.jobs``): who sees them, and the job following a run.

The run keeps its parameters, phases, chunks and counts; its job row is what the Jobs page, the
jobs API and /metrics read. Progress is the run's percent (never its chunk or stakeholder counts,
which include restricted actors).
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from smartdiplomacy.jobs.models import JobKind, JobStatus
from smartdiplomacy.jobs.registry import job_kind_register
from smartdiplomacy.jobs.services import job_enqueue, job_finish, job_progress, job_start

from .choices import RunStatus, RunTrigger
from .models import OverlapRun

KIND = JobKind.OVERLAP
VIEW_RUNS = "partnerships.view_overlaprun"


def overlap_jobs_register() -> None:
    job_kind_register(
        kind=KIND,
        detail_url=lambda key: reverse("partnerships:run_detail", args=[key]),
        audience=lambda user: Q() if user.has_perm(VIEW_RUNS) else None,
    )


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
    elif run.status == RunStatus.RUNNING:
        job_start(kind=KIND, detail_key=run_id, total=100)
        job_progress(kind=KIND, detail_key=run_id, done=run.percent, phase=run.get_phase_display())
