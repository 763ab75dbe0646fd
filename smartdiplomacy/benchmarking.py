"""What every benchmark prints beside its own figures, so that a figure travels between machines.

The machines this project runs on are shared: an absolute time says as much about the neighbours
as about the code. Each benchmark therefore prints

* the load average (1, 5 and 15 minutes, ``os.getloadavg``) before and after it ran, and
* a **reference** measured in the same run on the same data — work that is plainly the floor of
  what is measured (a bare scipy sparse product for the overlap job, a trivial endpoint served by
  the same gunicorn for the API, one NumPy pass for the rescoring…) — and the ratio of the figure
  to it. The ratio moves far less with the machine and its load than either figure does.

``growth_exponent`` turns timings at two sizes into the ``k`` of ``time ∝ size^k``.
Used by ``benchmarks/`` and the ``bench_*`` management commands only; never by the app.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded to 0.01 (empty where the OS has none)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux/macOS
        return []


def machine() -> dict:
    """What a reader needs to compare figures: cores and load right now."""
    cores: int | None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count()
    return {"cpus": cores, "python": sys.version.split()[0]}


@contextmanager
def load_recorded(figures: dict) -> Iterator[dict]:
    """Record ``load_before`` on entry and ``load_after`` on exit into ``figures``."""
    figures["load_before"] = load_average()
    figures.update(machine())
    try:
        yield figures
    finally:
        figures["load_after"] = load_average()


def best_of(function: Callable[[], object], *, repeat: int = 3) -> float:
    """The fastest of ``repeat`` timings of ``function()`` in seconds: the reference's floor, the
    least disturbed by neighbours."""
    times = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def ratio(value: float | None, reference: float | None, digits: int = 2) -> float | None:
    """``value / reference``, or None when either is missing or the reference is zero."""
    if value is None or not reference:
        return None
    return round(value / reference, digits)


def growth_exponent(
    size_small: float, seconds_small: float, size_large: float, seconds_large: float
) -> float | None:
    """``k`` in ``seconds ∝ size^k`` through two measurements: log(t₂/t₁) / log(n₂/n₁).

    1 is linear, 2 quadratic. None when the sizes are equal or a time is not positive.
    """
    if size_small <= 0 or size_large <= 0 or size_small == size_large:
        return None
    if seconds_small <= 0 or seconds_large <= 0:
        return None
    return round(math.log(seconds_large / seconds_small) / math.log(size_large / size_small), 2)


def emit(figures: dict, stream=None) -> None:
    """Print the figures as ONE JSON line (the benchmarks' output contract)."""
    print(json.dumps(figures, default=str), file=stream or sys.stdout, flush=True)


def database_maintained(connection, tables) -> dict:
    """``VACUUM (ANALYZE)`` these tables on PostgreSQL, untimed, before a benchmark measures.

    What autovacuum does a minute after a bulk load or a bulk delete; the machines this project
    is measured on have run PostgreSQL with autovacuum *off*, where the tables a benchmark has just
    filled had no planner statistics (the scores API's pages planned as if the table were tiny:
    0.9–1.5 s instead of 0.05–0.1 s) and the candidates table carried millions of dead rows from
    earlier runs. Says whether autovacuum is on, so a reader knows which case they are in.
    Outside a transaction only (VACUUM cannot run inside one); elsewhere it does nothing.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return {"autovacuum": None, "vacuumed": [], "seconds": 0.0}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    return {
        "autovacuum": autovacuum,
        "vacuumed": list(tables),
        "seconds": round(time.perf_counter() - started, 2),
    }
