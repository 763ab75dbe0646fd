"""Thin task: a job token in, the job module does the work."""

from celery import shared_task
from django.db import OperationalError

from .jobs import threew_job_run


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def threew_job_import(token: str) -> str | None:
    return threew_job_run(token=token)
