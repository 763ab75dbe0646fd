"""Where a folder job's time and memory go: seconds and calls per SQL statement shape, and the
importing process's RSS at each step (reading steps, then the run's end writing the stakes).

Imports ``--activities`` synthetic activities in files of 500 (``benchmarks/iati_import.py``'s
folder, ``/tmp/iati-bench-N-F``) as a job — ``iati_run_step`` until the run is done, what each
Celery task does — on a fresh database (``--database``, dropped and created on the server of
DATABASE_URL), with a ``connection.execute_wrapper`` timing every statement (the time in
``execute``: the database's work, the round trip and psycopg2's conversions; rows fetched later
by a server-side cursor are not counted). Statements are grouped by shape: literals and lists of
parameters folded. Prints one JSON line: per phase (reading / end) the RSS (VmRSS, MB) and the
CPU seconds of the importer and of its PostgreSQL backend, the RSS after each step, and the
``--top`` shapes by total seconds with their calls and mean milliseconds.

    DATABASE_URL=… .venv/bin/python benchmarks/iati_statements.py --activities 20000
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAMETER_LISTS = re.compile(r"%s(?:\s*(?:,|OR|AND)\s*%s)+")
OR_GROUPS = re.compile(r"(\([^()]*\))(?:\s+OR\s+\([^()]*\))+")
NUMBERS = re.compile(r"\b\d+\b")


def shape(sql: str) -> str:
    """The statement with its lists of parameters and OR-ed groups folded, literals replaced."""
    folded = PARAMETER_LISTS.sub("%s…", sql)
    folded = OR_GROUPS.sub(r"\1 OR …", folded)
    folded = NUMBERS.sub("N", folded)
    return " ".join(folded.split())[:240]


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Timer:
    """The execute wrapper: seconds and calls per shape and phase; RSS sampled every 200 calls."""

    def __init__(self):
        self.phase = "reading"
        self.stats: dict[tuple[str, str], list[float]] = {}
        self.calls = 0
        self.peak = {"reading": 0.0, "end": 0.0}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            entry = self.stats.setdefault((self.phase, shape(sql)), [0.0, 0])
            entry[0] += seconds
            entry[1] += 1
            self.calls += 1
            if self.calls % 200 == 0:
                self.peak[self.phase] = max(self.peak[self.phase], vm_rss_mb())


def child(folder: Path, top: int) -> None:
    import resource

    import django

    django.setup()
    from django.db import connection

    from benchmarks.iati_import import backend_cpu_seconds
    from iati.importing import iati_run_create, iati_run_step

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def own() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    timer = Timer()
    steps: list[dict] = []
    cpu = {"reading": [0.0, 0.0], "end": [0.0, 0.0]}
    with connection.execute_wrapper(timer):
        run = iati_run_create(paths=[folder], validation="report")
        result = "file"
        while result == "file":
            pending = run.files.filter(status="pending").exists()
            timer.phase = "reading" if pending else "end"
            importer_before, database_before = own(), backend_cpu_seconds(pid) or 0.0
            result = iati_run_step(run_id=run.pk)
            cpu[timer.phase][0] += own() - importer_before
            database = (backend_cpu_seconds(pid) or 0.0) - database_before
            cpu[timer.phase][1] += database
            steps.append(
                {
                    "phase": timer.phase,
                    "rss_mb": round(vm_rss_mb(), 1),
                    "database_cpu": round(database, 2),
                }
            )
    ranked = sorted(timer.stats.items(), key=lambda item: -item[1][0])[:top]
    print(
        json.dumps(
            {
                "result": result,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "rss_sampled_peak_mb": {k: round(v, 1) for k, v in timer.peak.items()},
                "cpu_seconds": {k: [round(v, 2) for v in pair] for k, pair in cpu.items()},
                "steps": steps,
                "statements": [
                    {
                        "phase": phase,
                        "seconds": round(seconds, 2),
                        "calls": calls,
                        "ms_per_call": round(seconds * 1000 / calls, 2),
                        "shape": sql,
                    }
                    for (phase, sql), (seconds, calls) in ranked
                ],
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--database", default="sd_iati_statements", help="Dropped and created.")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.top)
    from benchmarks.iati_import import database_fresh
    from smartdiplomacy.benchmarking import emit, load_average
    from tests.iati.synthetic import synthetic_folder_write

    url = os.environ["DATABASE_URL"]
    files = max(1, args.activities // 500)
    folder = Path(f"/tmp/iati-bench-{args.activities}-{files}")
    if not folder.is_dir() or len(list(folder.glob("*.xml"))) != files:
        synthetic_folder_write(folder, args.activities, files)
    env = {
        **os.environ,
        "DATABASE_URL": database_fresh(url, args.database),
        "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.local",
        "DEBUG": "0",
        "CELERY_BROKER_URL": "memory://iati-statements/",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    load = load_average()
    started = time.perf_counter()
    output = subprocess.run(
        [python, __file__, "--child", str(folder), "--top", str(args.top)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    figures = json.loads(output.strip().splitlines()[-1])
    emit(
        {
            "benchmark": "iati_statements",
            "activities": args.activities,
            "load_before": load,
            "seconds": round(time.perf_counter() - started, 1),
            **figures,
            "load_after": load_average(),
        }
    )


if __name__ == "__main__":
    main()
