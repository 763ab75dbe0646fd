"""What one progress report of a background job costs; prints one JSON line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch> \\
        .venv/bin/python benchmarks/jobs_overhead.py [--calls 2000 --rounds 7]

Times ``job_progress`` (the service every task calls: checks its input, one UPDATE of the job row
found by kind and key, skipped once the job has finished) against, as the reference in the same
run on the same row, a plain ``UPDATE jobs_job SET progress_done = %s WHERE id = %s`` through a
cursor — the floor of reporting progress to the database at all. Alternating rounds, so that a
change of load touches both alike; the median of the rounds, the ratio, and the load average
before and after. The row is made for the run and deleted after. Never collected as a test.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from smartdiplomacy.benchmarking import emit, load_recorded, ratio  # noqa: E402
from smartdiplomacy.jobs.models import Job  # noqa: E402
from smartdiplomacy.jobs.services import job_enqueue, job_progress, job_start  # noqa: E402


def service_round(key: str, calls: int) -> float:
    started = time.perf_counter()
    for done in range(calls):
        job_progress(kind="rescore", detail_key=key, done=done)
    return (time.perf_counter() - started) / calls


def plain_round(pk: int, calls: int) -> float:
    sql = "UPDATE jobs_job SET progress_done = %s WHERE id = %s"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for done in range(calls):
            cursor.execute(sql, [done, pk])
    return (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000, help="progress reports per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    key = f"bench-{os.getpid()}"
    figures: dict = {"benchmark": "jobs_overhead", "database": connection.vendor}
    job = job_enqueue(kind="rescore", detail_key=key, total=args.calls)
    job_start(kind="rescore", detail_key=key)
    try:
        with load_recorded(figures):
            service, plain = [], []
            service_round(key, 50), plain_round(job.pk, 50)  # warm: connection, statements
            for _ in range(args.rounds):
                service.append(service_round(key, args.calls))
                plain.append(plain_round(job.pk, args.calls))
    finally:
        Job.objects.filter(pk=job.pk).delete()
    figures.update(
        calls_per_round=args.calls,
        rounds=args.rounds,
        job_progress_us=round(statistics.median(service) * 1e6, 1),
        reference_plain_update_us=round(statistics.median(plain) * 1e6, 1),
        ratio=ratio(statistics.median(service), statistics.median(plain)),
        overhead_us=round((statistics.median(service) - statistics.median(plain)) * 1e6, 1),
    )
    emit(figures)


if __name__ == "__main__":
    main()
