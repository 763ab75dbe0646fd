"""Progress and cancellation of a job from inside one long transaction (a registry import's
write, an IATI import): reported through a second connection in autocommit on PostgreSQL, so the
Jobs page and the domain page see it while the work goes on, a cancel is seen at the next batch,
and the long transaction never holds the job's row (a cancel would wait for it to end).
Elsewhere (SQLite allows one writer) through the ordinary connection.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from .models import Job, JobStatus
from .services import JobCancelled, _counts_check, _key, job_cancel_check, job_progress

logger = logging.getLogger(__name__)

_PROGRESS_SQL = (
    "UPDATE {table} SET progress_done = %s, progress_total = %s, phase = %s "
    "WHERE kind = %s AND detail_key = %s AND status IN (%s, %s)"
)
_STATUS_SQL = "SELECT status FROM {table} WHERE kind = %s AND detail_key = %s"


def side_connection_open() -> Any | None:
    """A second connection to the default database in autocommit (PostgreSQL), or None."""
    if connection.vendor != "postgresql":
        return None
    return connections.create_connection(DEFAULT_DB_ALIAS)


class JobLiveReport:
    """``progress(done, total, phase)`` after each batch: recorded at once, and ``JobCancelled``
    raised if the job was cancelled meanwhile. ``side``: a second connection the caller already
    holds (it is then the caller's to close); by default one of its own, closed by ``close``."""

    def __init__(self, *, kind: str, detail_key: object, side: Any | None = None) -> None:
        self.kind = kind
        self.key = _key(kind, detail_key)
        self.own = side is None
        self.silent = False  # the side connection failed: no more reports (never in the long one)
        self.side = side_connection_open() if side is None else side
        table = connection.ops.quote_name(Job._meta.db_table)
        self.progress_sql = _PROGRESS_SQL.format(table=table)
        self.status_sql = _STATUS_SQL.format(table=table)

    def progress(self, *, done: int, total: int | None = None, phase: str = "") -> None:
        total = None if total is None else max(total, done)
        _counts_check(done, total)
        if self.silent:
            return
        if self.side is None:
            if not job_progress(
                kind=self.kind, detail_key=self.key, done=done, total=total, phase=phase
            ):
                job_cancel_check(kind=self.kind, detail_key=self.key)
            return
        try:
            with self.side.cursor() as cursor:
                cursor.execute("SET statement_timeout = 5000")
                cursor.execute(
                    self.progress_sql,
                    [done, total, phase[:100], self.kind, self.key, *_ACTIVE],
                )
                if cursor.rowcount:
                    return
                cursor.execute(self.status_sql, [self.kind, self.key])
                row = cursor.fetchone()
        except DatabaseError:
            logger.warning("job %s %s: progress not recorded", self.kind, self.key, exc_info=True)
            self.close()
            self.silent = True
            return
        if row and row[0] == JobStatus.CANCELLED:
            raise JobCancelled(f"{self.kind} {self.key} was cancelled")

    def close(self) -> None:
        if self.side is not None and self.own:
            self.side.close()
        self.side = None

    def __enter__(self) -> JobLiveReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
