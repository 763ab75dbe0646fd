"""Thin tasks: a job id in, the service does the work. Both are safe to repeat."""

from celery import shared_task
from django.db import OperationalError

from stakeholders.models import ImportJob

from .services import import_job_apply, import_job_dry_run

TEMPORARY_ERRORS = (OperationalError,)


@shared_task(
    autoretry_for=TEMPORARY_ERRORS, retry_backoff=True, retry_backoff_max=120, max_retries=3
)
def import_job_validate(job_id: int) -> str | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    return import_job_dry_run(job=job).status


@shared_task(
    autoretry_for=TEMPORARY_ERRORS, retry_backoff=True, retry_backoff_max=120, max_retries=3
)
def import_job_import(job_id: int) -> str | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    return import_job_apply(job=job).status
