"""One log line per Celery task (name, id, duration, outcome) and the task counters of /metrics.

Connected to Celery's signals by ``ops.apps``. Worker processes are many and short-lived, and
/metrics is served by web, so with a Redis broker the counts go to one Redis hash that every
process adds to (``HINCRBY`` / ``HINCRBYFLOAT``, two commands per task); in the embedded default
(tasks in process) they stay in this process.
"""

import logging
import threading
import time
from collections import defaultdict

import redis
from celery import signals

from .broker import broker_client

logger = logging.getLogger("smartdiplomacy.task")

TASK_COUNTS_KEY = "smartdiplomacy:metrics:tasks"
_started: dict[str, float] = {}
_local_counts: dict[str, float] = defaultdict(float)
_lock = threading.Lock()


def _field(task: str, outcome: str, what: str) -> str:
    return f"{task}|{outcome}|{what}"


def task_counts() -> dict[tuple[str, str], tuple[int, float]]:
    """``{(task, outcome): (how many, seconds in total)}`` over every process since the counts
    began (the Redis hash lives as long as the broker's data)."""
    client = broker_client()
    if client is None:
        with _lock:
            raw = {key: value for key, value in _local_counts.items()}
    else:
        raw = {key.decode(): float(value) for key, value in client.hgetall(TASK_COUNTS_KEY).items()}
    counts: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for field, value in raw.items():
        task, outcome, what = field.rsplit("|", 2)
        counts[(task, outcome)][0 if what == "count" else 1] += value
    return {key: (int(count), seconds) for key, (count, seconds) in counts.items()}


def _record(task: str, outcome: str, seconds: float) -> None:
    client = broker_client()
    if client is None:
        with _lock:
            _local_counts[_field(task, outcome, "count")] += 1
            _local_counts[_field(task, outcome, "seconds")] += seconds
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(TASK_COUNTS_KEY, _field(task, outcome, "count"), 1)
        pipe.hincrbyfloat(TASK_COUNTS_KEY, _field(task, outcome, "seconds"), round(seconds, 6))
        pipe.execute()
    except redis.RedisError:  # a metric is never worth failing a task for
        logger.debug("task metrics not recorded", exc_info=True)


@signals.task_prerun.connect
def _task_started(task_id=None, **_):
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_):
    started = _started.pop(task_id, None)
    seconds = time.perf_counter() - started if started is not None else 0.0
    outcome = (state or "unknown").lower()
    name = getattr(task, "name", str(task))
    _record(name, outcome, seconds)
    duration_ms = round(seconds * 1000, 1)
    logger.info(
        "task %s %s in %.1fms",
        name,
        outcome,
        duration_ms,
        extra={"task": name, "task_id": task_id, "outcome": outcome, "duration_ms": duration_ms},
    )
