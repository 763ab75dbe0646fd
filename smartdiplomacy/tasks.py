"""Queueing glue shared by every app: tasks are sent only once their transaction has committed."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, using: str | None = None, **kwargs) -> None:
    """Send ``task`` with these arguments after the current transaction commits.

    A worker must never see ids of rows that are not committed yet (or never will be, if the
    transaction rolls back). Outside a transaction the task is sent at once.
    """

    def send():
        task.apply_async(args=args, kwargs=kwargs)

    transaction.on_commit(send, using=using)
