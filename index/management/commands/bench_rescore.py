"""``manage.py bench_rescore --engagements N [--stakeholders S]``: bulk rescoring, measured.

Makes sure a synthetic registry of S actors (``stakeholders.synthetic``) and N synthetic
engagements (``index.synthetic``) exist — generating them when the counts differ or with
``--regenerate`` — then rescores every engagement under the published methodology the way the
product does when a version is published: ``rescore_run_start`` queues a ``RescoreRun`` whose task
runs ``methodology_rescore_all`` (here in process, Celery eager). Prints ONE JSON line: sizes,
seconds per phase (generate; rescore split into read, score and write), engagements per second
and the peak memory of the rescoring, with the load average before and after.

Beside them, a **reference** measured in the same run on the same rows: one plain pass that reads
every engagement's numeric facts and its participants (two queries into NumPy arrays), computes a
weighted sum per engagement and a per-engagement count with NumPy, and writes one number per
engagement with one COPY into a temporary table — the floor of any read–score–write over these
rows. ``vs_reference`` is the rescoring's ratio to it, which compares across machines.

Not a test: run it by hand on PostgreSQL (scratch database) for the figures in the README.
"""

import io
import json
import os
import resource
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from index import services
from index.models import EngagementParticipant, RescoreRun, Score
from index.selectors import methodology_current
from index.synthetic import synthetic_engagement_sizes_check, synthetic_engagements
from index.tasks import rescore_run_execute
from smartdiplomacy.benchmarking import (
    best_of,
    database_maintained,
    load_average,
    machine,
    ratio,
)
from smartdiplomacy.celery import app
from stakeholders.synthetic.generation import SyntheticSizeError
from stakeholders.synthetic.storage import synthetic_stakeholders

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _rss_mib(field: str) -> float | None:
    """VmRSS / VmHWM of this process in MiB (Linux), or None where /proc is not available."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the process's peak resident memory (Linux ≥ 4.0), so the next peak is the job's own
    and not the generator's. False where that cannot be done."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds used so far by the database server process serving this connection, when it
    runs on this machine (its /proc entry is readable); None otherwise."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class _PhaseClock:
    """Seconds spent reading facts and scoring inside ``scores_compute_many``, by wrapping the
    two functions it calls (writing is the rest). Benchmark-only; the wrappers are removed after.
    """

    def __init__(self):
        self.read = 0.0
        self.score = 0.0

    def _timed(self, function, attribute: str):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                setattr(self, attribute, getattr(self, attribute) + time.perf_counter() - started)

        return wrapper

    @contextmanager
    def installed(self):
        originals = {
            name: getattr(services, name)
            for name in ("engagement_facts_by_audience", "score_engagement")
        }
        services.engagement_facts_by_audience = self._timed(
            originals["engagement_facts_by_audience"], "read"
        )
        services.score_engagement = self._timed(originals["score_engagement"], "score")
        try:
            yield self
        finally:
            for name, function in originals.items():
                setattr(services, name, function)


def _sizes_check(*, engagements: int, stakeholders: int) -> None:
    try:
        if stakeholders < 2:
            raise SyntheticSizeError("stakeholders", f"must be at least 2, not {stakeholders}.")
        synthetic_engagement_sizes_check(engagements=engagements, stakeholders=stakeholders)
    except SyntheticSizeError as error:
        raise CommandError(f"--{error.option}: {error.message}") from error


def _database_prepare(methodology) -> dict:
    """Fail runs an earlier, interrupted benchmark left marked active (one would be returned
    instead of a new run: scratch database only, as for bench_overlap); then the tables as
    autovacuum would leave them (it may be off here): statistics, no dead rows."""
    RescoreRun.objects.filter(
        methodology=methodology,
        status__in=[RescoreRun.Status.QUEUED, RescoreRun.Status.RUNNING],
    ).update(status=RescoreRun.Status.FAILED, error="Interrupted benchmark run.")
    return database_maintained(
        connection,
        [m._meta.db_table for m in (services.Engagement, EngagementParticipant, Score)],
    )


def _cpu_since(backend, before: float | None) -> float | None:
    """The database backend's CPU seconds since ``before`` (None when unknown)."""
    after = _backend_cpu_seconds(backend)
    if before is None or after is None:
        return None
    return after - before


def _peak_mib(scope: str) -> float:
    """Peak resident memory: of the rescore when the peak could be reset, else the process's."""
    peak = _rss_mib("VmHWM") if scope == "rescore" else None
    if peak is None:
        peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return peak


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--engagements", type=int, default=100_000)
        parser.add_argument("--stakeholders", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--regenerate", action="store_true", help="generate even if the counts match"
        )

    def handle(self, *args, **options):
        # As in production: with DEBUG on, Django keeps every query in memory.
        settings.DEBUG = False
        app.conf.task_always_eager = True  # the task the workers run, here in process
        engagements, stakeholders = options["engagements"], options["stakeholders"]
        _sizes_check(engagements=engagements, stakeholders=stakeholders)
        methodology = methodology_current()
        if methodology is None:
            raise CommandError("No published methodology to rescore under; run migrate first.")

        result: dict[str, Any] = {"database": connection.vendor, "methodology": str(methodology)}
        generate = self._ensure_data(
            engagements=engagements,
            stakeholders=stakeholders,
            seed=options["seed"],
            regenerate=options["regenerate"],
        )
        total_engagements = services.Engagement.objects.count()
        participants = EngagementParticipant.objects.count()

        result["maintenance"] = _database_prepare(methodology)
        peak_scope = "rescore" if _reset_peak() else "process"
        clock = _PhaseClock()
        backend = _backend_pid()
        load = load_average()
        backend_cpu = _backend_cpu_seconds(backend)
        cpu = time.process_time()
        started = time.perf_counter()
        with clock.installed():
            run = services.rescore_run_start(methodology=methodology)
            run.refresh_from_db()
            if run.status == RescoreRun.Status.QUEUED:
                # Called inside a transaction (as in tests), the task queued on commit has not
                # run yet: run that same task now, as the worker would.
                rescore_run_execute.apply(args=[run.pk])
        rescore = time.perf_counter() - started
        cpu = time.process_time() - cpu
        backend_cpu = _cpu_since(backend, backend_cpu)
        run.refresh_from_db()
        if run.status != RescoreRun.Status.DONE:
            raise CommandError(f"the rescoring did not finish: {run.status} {run.error}")
        peak = _peak_mib(peak_scope)
        result.update(
            {
                "engagements": total_engagements,
                "synthetic_engagements": engagements,
                "participants": participants,
                "scores_written": run.done,
                "scores_stored": Score.objects.filter(
                    methodology=methodology, audience=Score.Audience.PUBLIC
                ).count(),
                # Engagements with restricted participants also get the score cleared people read.
                "cleared_scores_stored": Score.objects.filter(
                    methodology=methodology, audience=Score.Audience.CLEARED
                ).count(),
                "batch": services.RESCORE_BATCH,  # the product's batch size, as published
                "seconds": {
                    **generate,
                    "read": round(clock.read, 3),
                    "score": round(clock.score, 3),
                    "write": round(rescore - clock.read - clock.score, 3),
                    "rescore_total": round(rescore, 3),
                },
                # Wall seconds depend on what else the machine runs; CPU seconds much less.
                "rescore_cpu_seconds": {
                    "python": round(cpu, 3),
                    "database": None if backend_cpu is None else round(backend_cpu, 3),
                },
                "load_before": load,
                "load_after": load_average(),
                **machine(),
                "engagements_per_second": round(run.done / rescore) if rescore else None,
                "peak_memory_mib": peak,
                "peak_memory_scope": peak_scope,
            }
        )
        result.update(self._compared(rescore))
        self.stdout.write(json.dumps(result))

    def _compared(self, rescore: float) -> dict:
        """The same run's reference and the rescore's ratio to it."""
        reference = self._reference()
        return {
            "reference": reference,
            "vs_reference": ratio(rescore, reference["seconds"], 1),
            "load_after_reference": load_average(),
        }

    @staticmethod
    def _reference() -> dict:
        """Read the same engagements' facts and participants, one weighted sum each, write it."""
        facts = [
            "digital_channels", "marginalised_reach", "participants_total",
            "participants_women", "leaders_total", "leaders_women",
        ]  # fmt: skip

        def once() -> int:
            rows = np.array(
                list(services.Engagement.objects.order_by("pk").values_list("pk", *facts)),
                dtype=np.float64,
            ).reshape(-1, len(facts) + 1)
            pairs = np.array(
                list(EngagementParticipant.objects.values_list("engagement_id", "stakeholder_id")),
                dtype=np.int64,
            ).reshape(-1, 2)
            values = np.nan_to_num(rows[:, 1:])
            weighted = values @ np.linspace(0.5, 1.5, len(facts))
            ids = rows[:, 0].astype(np.int64)
            where = np.searchsorted(ids, pairs[:, 0])
            counts = np.bincount(where[where < len(ids)], minlength=len(ids))[: len(ids)]
            column = weighted / np.maximum(counts, 1)
            buffer = io.StringIO(
                "".join(f"{i}\t{v:.6f}\n" for i, v in zip(ids, column, strict=True))
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS bench_reference (id bigint, v float8)"
                )
                cursor.execute("TRUNCATE bench_reference")
                if connection.vendor == "postgresql":
                    cursor.cursor.copy_expert("COPY bench_reference FROM STDIN", buffer)
                else:
                    cursor.executemany(
                        "INSERT INTO bench_reference VALUES (%s, %s)",
                        [(int(i), float(v)) for i, v in zip(ids, column, strict=True)],
                    )
            return len(ids)

        rows = once()
        seconds = best_of(once, repeat=2)
        return {
            "what": "values_list of facts and participants into NumPy, weighted sum, one COPY",
            "engagements": rows,
            "seconds": round(seconds, 3),
        }

    def _ensure_data(self, *, engagements, stakeholders, seed, regenerate) -> dict:
        from index.synthetic import synthetic_engagements_create
        from stakeholders.synthetic.storage import synthetic_registry_create

        seconds = {"generate_registry": 0.0, "generate_engagements": 0.0}
        registry_changed = False
        if regenerate or synthetic_stakeholders().count() != stakeholders:
            created = synthetic_registry_create(
                stakeholders=stakeholders, stakes=3 * stakeholders, seed=seed
            )
            seconds["generate_registry"] = created["total_seconds"]
            registry_changed = True
        # Replacing the registry removed the old engagements' participants: regenerate them too.
        if (
            regenerate
            or registry_changed
            or synthetic_engagements().count() != engagements
            or not EngagementParticipant.objects.filter(
                engagement__in=synthetic_engagements()
            ).exists()
        ):
            created = synthetic_engagements_create(engagements=engagements, seed=seed)
            seconds["generate_engagements"] = created["total_seconds"]
        return seconds
