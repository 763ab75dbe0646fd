from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat

STALE_AFTER = timedelta(minutes=3)


def worker_status() -> dict:
    """What the home page and /healthz say about background workers."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "in process", "alive": True, "last_seen": None, "workers": []}
    beats = list(WorkerHeartbeat.objects.all()[:20])
    cutoff = timezone.now() - STALE_AFTER
    alive = [beat for beat in beats if beat.last_seen >= cutoff]
    return {
        "mode": "workers",
        "alive": bool(alive),
        "last_seen": beats[0].last_seen if beats else None,
        "workers": alive,
    }
