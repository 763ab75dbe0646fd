"""Celery tasks of the overlap job: thin, ids in, safe to repeat (the work is in
:mod:`partnerships.overlap`: its runs, steps and refresh modules)."""

from celery import shared_task
from django.db import OperationalError

from .choices import RunTrigger
from .overlap import refresh, runs, steps

# A database that went away for a moment: worth retrying. Anything else fails the run, which
# then says why on its page.
TEMPORARY_ERRORS = (OperationalError,)


@shared_task(acks_late=True)
def overlap_run_execute_task(run_id: int) -> None:
    try:
        steps.overlap_run_execute(run_id=run_id)
    except runs.OverlapRunFailed:
        return


@shared_task(acks_late=True)
def overlap_chunk_compute_task(run_id: int, index: int) -> None:
    try:
        steps.overlap_chunk_compute(run_id=run_id, index=index)
    except runs.OverlapRunFailed:
        return


@shared_task(acks_late=True)
def overlap_run_finalize_task(run_id: int) -> None:
    try:
        steps.overlap_run_finalize(run_id=run_id)
    except runs.OverlapRunFailed:
        return


@shared_task(
    autoretry_for=TEMPORARY_ERRORS, retry_backoff=True, retry_backoff_max=120, max_retries=5
)
def candidates_refresh_stakeholder_task(stakeholder_id: int) -> int | None:
    return refresh.candidates_refresh_stakeholder(stakeholder_id=stakeholder_id)


@shared_task
def overlap_run_scheduled() -> int:
    """The nightly run (Celery beat); joins a run already in progress instead of adding one."""
    runs.overlap_runs_fail_stale()
    run, _created = runs.overlap_run_request(trigger=RunTrigger.SCHEDULE)
    return run.pk


@shared_task
def overlap_runs_watch() -> int:
    """Every minute (Celery beat): a run whose worker died is marked failed, and says so."""
    return runs.overlap_runs_fail_stale()
