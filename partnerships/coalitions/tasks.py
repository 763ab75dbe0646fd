"""Celery tasks of coalitions: thin, ids in, safe to repeat (see services for the work)."""

from celery import shared_task
from django.db import OperationalError

from . import services

# A database that went away for a moment: worth retrying. A solver error is recorded on the
# outcome's computation by the service, which keeps the last good coalitions.
TEMPORARY_ERRORS = (OperationalError,)


@shared_task(
    acks_late=True,
    autoretry_for=TEMPORARY_ERRORS,
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
)
def coalitions_compute_outcome(outcome_id: int) -> list[str]:
    """Both audiences' coalitions of one outcome; quietly nothing if the outcome is gone."""
    results = services.coalitions_compute(outcome_id=outcome_id)
    return [f"{result.audience}: {result.status}" for result in results]


@shared_task
def coalitions_compute_all() -> int:
    """Queue every outcome (after an overlap run, and nightly with it)."""
    return services.coalitions_compute_all()
