"""Thin task: a job token in, the job module does the work."""

from celery import shared_task
from django.db import OperationalError

from .jobs import iati_job_run, iati_job_step


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def iati_job_import(token: str) -> str | None:
    return iati_job_run(token=token)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def iati_job_continue(token: str) -> str | None:
    """One file of a folder job (or its end); queues the next itself."""
    return iati_job_step(token=token)
