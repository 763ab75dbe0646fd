import socket

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.utils import timezone

from .services import worker_heartbeat_record

TEMPORARY_ERRORS = (OperationalError,)


@shared_task(
    bind=True,
    autoretry_for=TEMPORARY_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def worker_heartbeat(self) -> str:
    if self.request.is_eager:
        hostname = f"in-process@{socket.gethostname()}"
    else:
        hostname = self.request.hostname
    worker_heartbeat_record(hostname=hostname)
    return hostname


@shared_task(autoretry_for=TEMPORARY_ERRORS, retry_backoff=True, max_retries=3)
def sessions_clear_expired() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
