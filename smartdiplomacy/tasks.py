"""Queueing glue shared by every app: tasks are sent only once their transaction has committed."""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)


def start_thread(run) -> None:
    """Run ``run()`` in a daemon thread that closes its own database connections when done."""

    def target():
        try:
            run()
        finally:
            connections.close_all()

    threading.Thread(target=target, daemon=True, name="smartdiplomacy-embedded-task").start()


def _apply_quietly(task, args, kwargs) -> None:
    try:
        task.apply(args=args, kwargs=kwargs, throw=True)
    except Exception:
        logger.exception("embedded task %s%r failed", task.name, args)


def enqueue_on_commit(
    task,
    *args,
    using: str | None = None,
    background: bool = False,
    sent: Callable[[str], object] | None = None,
    **kwargs,
) -> None:
    """Send ``task`` with these arguments after the current transaction commits.

    A worker must never see ids of rows that are not committed yet (or never will be, if the
    transaction rolls back). Outside a transaction the task is sent at once.

    ``background``: a long job (parsing an upload) that must not hold up the request that
    queued it. With a broker it goes to a worker like any task; in the embedded default (no
    broker, tasks run in process) it runs in a thread beside the request instead of inside it,
    unless ``EMBEDDED_TASKS_IN_THREADS`` is off (the test settings run it in place).

    ``sent(task_id)``, if given, is told the id of the task once sent (a job remembers it, so
    that cancelling the job revokes the task).
    """

    def send():
        if (
            background
            and task.app.conf.task_always_eager
            and getattr(settings, "EMBEDDED_TASKS_IN_THREADS", False)
        ):
            start_thread(lambda: _apply_quietly(task, args, kwargs))
        else:
            result = task.apply_async(args=args, kwargs=kwargs)
            if sent is not None:
                sent(result.id)

    transaction.on_commit(send, using=using)
