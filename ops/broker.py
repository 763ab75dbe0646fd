"""The Celery broker as operations see it: does it answer, and how many tasks wait in its queues.

Read by ``/healthz`` and ``/metrics``. Only a Redis broker is asked; in the embedded default
(``memory://``, tasks run in process) there is no queue to measure.
"""

from functools import cache

import redis
from django.conf import settings

# kombu's Redis transport keeps one list per priority step; priority 0 is the queue's own name.
# (kombu.transport.redis: PRIORITY_STEPS and the "\x06\x16" separator.)
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEPARATOR = "\x06\x16"
TIMEOUT_SECONDS = 2.0


def broker_is_redis() -> bool:
    return str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://"))


@cache
def _client(url: str) -> redis.Redis:
    # One client (and its connection pool) per process and URL; short timeouts so that a
    # broker that hangs does not hang the health check behind it.
    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )


def broker_client() -> redis.Redis | None:
    return _client(str(settings.CELERY_BROKER_URL)) if broker_is_redis() else None


def queue_names() -> list[str]:
    """The queues the project's tasks go to (one today: ``CELERY_TASK_DEFAULT_QUEUE``)."""
    return [settings.CELERY_TASK_DEFAULT_QUEUE]


def queue_depths(client: redis.Redis) -> dict[str, int]:
    """Tasks waiting (not yet taken by a worker) in each queue, all priorities together."""
    names = queue_names()
    pipe = client.pipeline(transaction=False)
    for name in names:
        for step in _PRIORITY_STEPS:
            pipe.llen(name if step == 0 else f"{name}{_PRIORITY_SEPARATOR}{step}")
    lengths = pipe.execute()
    per_queue = len(_PRIORITY_STEPS)
    return {
        name: sum(lengths[index * per_queue : (index + 1) * per_queue])
        for index, name in enumerate(names)
    }


def broker_status() -> dict:
    """``{"broker": "ok" | "in process" | "error: …", "queues": {name: waiting}}``."""
    client = broker_client()
    if client is None:
        return {"broker": "in process", "queues": {}}
    try:
        client.ping()
        return {"broker": "ok", "queues": queue_depths(client)}
    except redis.RedisError as error:
        return {"broker": f"error: {error.__class__.__name__}: {error}", "queues": {}}
