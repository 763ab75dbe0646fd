"""Thin task: a job token in, the job module does the work."""

from celery import shared_task
from django.db import OperationalError

from .jobs import iati_job_run


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def iati_job_import(token: str) -> str | None:
    return iati_job_run(token=token)
