"""How fast a large 3W / HXL file imports: rows per second, first import and re-import.

Generates a synthetic HXL-tagged 3W CSV of N rows (default 100,000: a human header row, the
hashtag row, then rows naming a lead organisation, an implementing partner for two rows in three
and a funder for one in two, among ``--orgs`` organisations, 12 clusters × 40 provinces of 8
countries), then times on the database in DATABASE_URL (migrated first; use a throwaway database,
the rows stay):
  1. the import (everything new: stakeholders, outcomes, stakes, ties),
  2. the same file again (every row unchanged, found by its digest).
Prints ONE JSON line: seconds (wall) and rows per second per step, the CPU seconds of this
process and of its PostgreSQL backend per step (``rows_per_cpu_second``: what a quiet machine
would give, as the neighbours of a shared one inflate wall time, not CPU time), the process's
peak memory (max RSS) before the import and after each step, the load average before and after
each step, and a **reference** measured in the same run on the same
file: a plain ``csv.reader`` pass over it (best of 3) — the floor of reading the rows.
``vs_reference`` gives each step as a multiple of it, which compares across machines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_threew_bench \\
        .venv/bin/python benchmarks/threew_import.py --rows 100000
"""

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from smartdiplomacy.benchmarking import best_of, emit, load_average, machine, ratio  # noqa: E402
from threew.services import threew_import  # noqa: E402

CLUSTERS = [
    "Health", "WASH", "Education", "Protection", "Food Security", "Nutrition", "Shelter",
    "Logistics", "Early Recovery", "CCCM", "Emergency Telecommunications", "GBV",
]  # fmt: skip
COUNTRIES = ["Nigeria", "Niger", "Chad", "Mali", "Yemen", "Somalia", "Sudan", "Kenya"]
TYPES = ["NNGO", "INGO", "UN Agency", "Government", "Red Cross/Red Crescent", "CBO", "Private"]


def write_file(path: Path, *, rows: int, orgs: int, run: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Organisation", "Org type", "Implementing partner", "Donor", "Cluster", "Province",
             "District", "Country", "Status", "Start", "End", "Activity"]
        )  # fmt: skip
        writer.writerow(
            ["#org", "#org+type", "#org+impl", "#org+funder", "#sector+cluster", "#adm1+name",
             "#adm2+name", "#country+name", "#status", "#date+start", "#date+end", "#activity"]
        )  # fmt: skip
        for n in range(rows):
            province = (n * 13) % 40
            writer.writerow(
                [
                    f"Bench {run} organisation {n % orgs}",
                    TYPES[n % len(TYPES)],
                    f"Bench {run} organisation {(n * 7 + 3) % orgs}" if n % 3 else "",
                    f"Bench {run} donor {n % 60}" if n % 2 else "",
                    CLUSTERS[n % len(CLUSTERS)],
                    f"Province {province}",
                    f"District {n % 400}",
                    COUNTRIES[province % len(COUNTRIES)],
                    ["Planned", "Ongoing", "Completed"][n % 3],
                    f"2024-{1 + n % 12:02d}-01",
                    f"2025-{1 + n % 12:02d}-28",
                    f"Activity {n}",
                ]
            )


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the server is elsewhere
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=5_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    figures: dict = {"benchmark": "threew_import", "rows": args.rows, "orgs": args.orgs}
    figures.update(machine(), database=connection.vendor, load_before=load_average())
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-3w.csv"
        write_file(path, rows=args.rows, orgs=args.orgs, run=run)
        figures["file_mb"] = round(path.stat().st_size / 1024 / 1024, 1)

        def plain_pass():
            with path.open(newline="", encoding="utf-8") as handle:
                for _ in csv.reader(handle):
                    pass

        pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
        figures["max_rss_mb_before_import"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        reference = best_of(plain_pass)
        figures["reference_csv_reader_seconds"] = round(reference, 3)
        for step in ("import", "reimport"):
            load_before = load_average()
            backend_before = backend_cpu_seconds(pid) if pid else None
            cpu_before, started = own_cpu_seconds(), time.perf_counter()
            report = threew_import(path=path, source_name=f"Bench 3W {run}")
            seconds = time.perf_counter() - started
            cpu = own_cpu_seconds() - cpu_before
            backend_after = backend_cpu_seconds(pid) if pid else None
            backend = None if backend_before is None else backend_after - backend_before
            figures[step] = {
                "seconds": round(seconds, 2),
                "rows_per_second": round(args.rows / seconds),
                "vs_reference": ratio(seconds, reference, 1),
                "cpu_seconds": {
                    "importer": round(cpu, 1),
                    "database": None if backend is None else round(backend, 1),
                },
                "rows_per_cpu_second": round(args.rows / (cpu + (backend or 0))),
                "cpu_vs_reference": ratio(cpu + (backend or 0), reference, 1),
                "max_rss_mb_so_far": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                ),
                "load_before": load_before,
                "load_after": load_average(),
                "rows_imported": report.rows_imported,
                "rows_unchanged": report.rows_unchanged,
                "created": dict(report.created),
            }
    figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["load_after"] = load_average()
    emit(figures)


if __name__ == "__main__":
    main()
