"""A run's candidates in a partition of their own (PostgreSQL, migration 0012; issue 22).

The finaliser COPYs a run's rows into a bare table shaped like the candidates' (no index to
maintain row by row), attaches it as the run's partition — PostgreSQL builds its indexes then, in
one pass each — and makes the run current in one transaction. On a worker (outside any
transaction) the table is created and filled first, committed but unattached, so that two
connections COPY into it at once (:func:`run_table_building` keeps a repeated finaliser out);
nobody reads a table that is not attached, so readers see the previous run until the swap
commits, and a table whose run never committed is dropped by the next run's tidying
(:func:`unattached_run_tables_drop`). Tidying detaches and drops superseded runs' partitions
instead of deleting their rows (no dead rows, nothing to vacuum). Rows written outside the job for
a run without a partition land in the default partition and are deleted as before.

Elsewhere (SQLite, or a PostgreSQL table left unpartitioned) :func:`candidates_partitioned` is
false and the callers keep the plain table's path.
"""

from __future__ import annotations

import contextlib
import logging

from django.db import DatabaseError, connection, transaction

from ..models import Candidate

logger = logging.getLogger(__name__)

# How long tidying waits for readers of the table before leaving a partition for the next run.
DROP_LOCK_TIMEOUT = "5s"
# The class of the advisory locks a run's finaliser holds while it builds the run's table.
BUILD_LOCK = 0x5D22


def _table() -> str:
    return Candidate._meta.db_table


def candidates_partitioned() -> bool:
    """Whether the candidates' table is partitioned by run here."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind = 'p' FROM pg_class c WHERE c.oid = to_regclass(%s)", [_table()]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def partition_name(run_id: int) -> str:
    return f"{_table()}_run_{int(run_id)}"


def run_partition_create(run_id: int) -> str:
    """A bare, unattached table for ``run_id``'s candidates (its defaults and checks, no index),
    after removing whatever that run already had: a leftover partition, rows in the default
    partition. Returns its name. Call inside the transaction that will attach it, or commit it
    while holding :func:`run_table_building`."""
    quote = connection.ops.quote_name
    table, part = quote(_table()), quote(partition_name(run_id))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {part}")
        cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run_id])
        cursor.execute(
            f"CREATE TABLE {part} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        # Tells ATTACH that every row belongs to the run, so that it does not scan them to check.
        cursor.execute(
            f"ALTER TABLE {part} ADD CONSTRAINT {quote(partition_name(run_id) + '_run')} "
            f"CHECK (run_id = {int(run_id)})"
        )
    return partition_name(run_id)


def run_partition_attach(run_id: int) -> None:
    """Attach ``run_id``'s table as its partition: PostgreSQL builds the table's indexes (and
    checks its foreign key) on it now, once, instead of row by row during the COPY."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # The sort that builds each index stays in memory at a run's size (default 64 MB).
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"ALTER TABLE {quote(_table())} ATTACH PARTITION {quote(partition_name(run_id))} "
            f"FOR VALUES IN ({int(run_id)})"
        )
        cursor.execute(f"ANALYZE {quote(partition_name(run_id))}")


def run_partitions() -> dict[int, str]:
    """The runs' partitions attached now, by run id (the default partition left out)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [_table()],
        )
        names = [name for (name,) in cursor.fetchall()]
    prefix = f"{_table()}_run_"
    return {
        int(name[len(prefix) :]): name
        for name in names
        if name.startswith(prefix) and name[len(prefix) :].isdigit()
    }


def superseded_partitions_drop(current_run_id: int) -> list[int]:
    """Detach and drop every run's partition but ``current_run_id``'s; returns the runs dropped.

    Each in its own short transaction that waits at most ``DROP_LOCK_TIMEOUT`` for readers of the
    table: a partition that cannot be dropped now is left for the next run's tidying.
    """
    quote = connection.ops.quote_name
    dropped = []
    for run_id, name in sorted(run_partitions().items()):
        if run_id == current_run_id:
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                cursor.execute(f"ALTER TABLE {quote(_table())} DETACH PARTITION {quote(name)}")
                cursor.execute(f"DROP TABLE {quote(name)}")
        except DatabaseError as error:
            logger.warning("Left the candidates of run %s for later: %s", run_id, error)
            continue
        dropped.append(run_id)
    return dropped


def default_partition() -> str:
    return f"{_table()}_default"


@contextlib.contextmanager
def run_table_building(run_id: int):
    """Hold the advisory lock on building ``run_id``'s table for the block (this session's: a
    worker that dies lets it go): a repeated finaliser of the same run waits here rather than
    dropping the table the first one is filling, then finds the run done."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [BUILD_LOCK, int(run_id)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILD_LOCK, int(run_id)])


def unattached_run_table_drop(run_id: int) -> bool:
    """Drop ``run_id``'s table if it exists and is not attached; whether it was dropped. Best
    effort: a database error is logged (the next run's tidying sweeps such tables)."""
    if run_id in run_partitions():
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DROP TABLE IF EXISTS {connection.ops.quote_name(partition_name(run_id))}"
            )
    except DatabaseError as error:
        logger.warning("Left the unattached table of run %s for later: %s", run_id, error)
        return False
    return True


def unattached_run_tables_drop(keep: set[int]) -> list[int]:
    """Drop the run tables that were built but never attached (their run failed or was cancelled
    between the COPY and the commit), but those of the runs in ``keep``; returns the runs."""
    prefix = f"{_table()}_run_"
    attached = set(run_partitions())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE %s",
            [prefix.replace("_", r"\_") + "%"],
        )
        names = [name for (name,) in cursor.fetchall()]
    dropped = []
    for name in names:
        suffix = name[len(prefix) :]
        run_id = int(suffix) if suffix.isdigit() else None
        if (
            run_id is not None
            and run_id not in attached | keep
            and unattached_run_table_drop(run_id)
        ):
            dropped.append(run_id)
    return dropped
