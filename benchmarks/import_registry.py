"""How long a large stakeholder import takes: dry run and import, through the services.

Generates a CSV of N stakeholders (default 100,000, every column filled), then times on the
database in DATABASE_URL (migrated first; use a throwaway database — the rows stay):
  1. dry run + import of the new file (N creates),
  2. dry run of the same file again (N unchanged),
  3. dry run + import of the file with every description changed (N updates).
Prints ONE JSON line: seconds per step, rows per second and the process's peak memory (max RSS),
the load average before and after, and a **reference** measured in the same run on the same file:
the CSV parsed with the standard library's ``csv.DictReader`` and every row's name and
description written with one COPY into a temporary table — the floor of reading and writing
those rows. ``vs_reference`` gives each step as a multiple of it, which compares across machines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_import_bench \
        .venv/bin/python benchmarks/import_registry.py --rows 100000
"""

import argparse
import csv
import json
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
# The uploaded copies of the generated files go to a scratch directory, not the project's media/.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="import-benchmark-media-"))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from smartdiplomacy.benchmarking import best_of, load_average, machine, ratio  # noqa: E402
from stakeholders.imports.services import import_job_apply, import_job_dry_run  # noqa: E402
from stakeholders.models import ImportJob, Sector, Stakeholder  # noqa: E402

KINDS = ["ngo", "womens_group", "firm", "academic", "diaspora", "grassroots", "foundation", "igo"]
COUNTRIES = ["YE", "KE", "SO", "BD", "MM", "ML", "NE", "SN", "UA", "CO", "GB", "DE"]
CAPABILITIES = ["funding", "field_presence;community_trust", "technology;media_reach", "legal"]
HEADER = [
    "name", "kind", "country", "country_of_origin", "scope", "acronym", "sectors", "capabilities",
    "digital_presence", "women_led", "women_leadership_share", "sensitivity", "description",
    "website", "iati_org_ref",
]  # fmt: skip


def write_file(path: Path, *, rows: int, run: str, description: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            kind = KINDS[n % len(KINDS)]
            writer.writerow(
                [
                    f"Bench {run} actor {n}",
                    kind,
                    COUNTRIES[n % len(COUNTRIES)],
                    "SO" if kind == "diaspora" else "",
                    ["local", "national", "regional", "global"][n % 4],
                    f"B{n}",
                    "15170;15220" if n % 3 == 0 else "15220",
                    CAPABILITIES[n % len(CAPABILITIES)],
                    n % 4,
                    "yes" if n % 2 else "no",
                    f"{(n % 100) / 100:.2f}" if n % 5 else "",
                    "public",
                    f"{description} {n}: an actor generated for the import benchmark.",
                    f"https://actor-{n}.example.org",
                    f"XB-{run}-{n}" if n % 2 == 0 else "",
                ]
            )


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed(step: str, figures: dict, function, *args, **kwargs):
    """Wall-clock seconds, and the CPU seconds of this process (the machine may be shared)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    figures[f"{step}_s"] = round(time.perf_counter() - started, 2)
    figures[f"{step}_cpu_s"] = round(time.process_time() - cpu, 2)
    figures[f"{step}_peak_rss_mb"] = peak_rss_mb()
    return result


def new_job(path: Path, user) -> ImportJob:
    with path.open("rb") as handle:
        job = ImportJob(kind="stakeholders", original_filename=path.name, created_by=user)
        job.file.save(path.name, File(handle), save=False)
        job.save()
    return job


def dry_run_and_apply(path: Path, user, figures: dict, label: str, *, apply: bool) -> dict:
    job = new_job(path, user)
    job = timed(f"{label}_dry_run", figures, import_job_dry_run, job=job)
    counts = {
        "create": job.create_count,
        "update": job.update_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }
    if job.status != ImportJob.Status.VALIDATED:
        raise SystemExit(f"{label}: dry run found errors: {job.report['errors'][:5]}")
    if apply:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING)
        job = timed(f"{label}_apply", figures, import_job_apply, job=job)
        if job.status != ImportJob.Status.DONE:
            raise SystemExit(f"{label}: import failed: {job.error_message}")
    return counts


def reference_seconds(path: Path) -> float:
    """Parse the file with csv.DictReader and COPY name + description into a temporary table."""
    import io

    def once():
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [(row["name"], row.get("description", "")) for row in csv.DictReader(handle)]
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS bench_reference (name text, description text)"
            )
            cursor.execute("TRUNCATE bench_reference")
            cursor.cursor.copy_expert("COPY bench_reference FROM STDIN WITH (FORMAT csv)", buffer)

    return best_of(once, repeat=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--remove-after",
        action="store_true",
        help="afterwards, untimed, delete every stakeholder this benchmark ever imported (make "
        "bench: left behind, they grow the registry the graph benchmarks read)",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    for code, name in (("15170", "Women's rights organisations"), ("15220", "Peace-building")):
        Sector.objects.get_or_create(code=code, defaults={"name": name})
    user, _ = User.objects.get_or_create(username="import-benchmark")
    user.groups.add(Group.objects.get(name="program officer"))
    user = User.objects.get(pk=user.pk)

    run = uuid.uuid4().hex[:8]
    figures: dict = {
        "rows": args.rows,
        "database": connection.vendor,
        "load_before": load_average(),
        **machine(),
        "start_peak_rss_mb": peak_rss_mb(),
    }
    with tempfile.TemporaryDirectory() as directory:
        first = Path(directory) / f"stakeholders-{run}.csv"
        write_file(first, rows=args.rows, run=run, description="First")
        figures["file_mb"] = round(first.stat().st_size / 1024 / 1024, 1)
        figures["create_counts"] = dry_run_and_apply(first, user, figures, "create", apply=True)
        figures["unchanged_counts"] = dry_run_and_apply(
            first, user, figures, "unchanged", apply=False
        )
        second = Path(directory) / f"stakeholders-{run}-changed.csv"
        write_file(second, rows=args.rows, run=run, description="Changed")
        figures["update_counts"] = dry_run_and_apply(second, user, figures, "update", apply=True)
        reference = reference_seconds(first)
    for step in ("create_dry_run", "create_apply", "update_dry_run", "update_apply"):
        figures[f"{step}_rows_per_s"] = round(args.rows / figures[f"{step}_s"])
    figures["reference"] = {
        "what": "csv.DictReader over the same file, name + description COPYed to a temp table",
        "seconds": round(reference, 3),
    }
    figures["vs_reference"] = {
        step: ratio(figures[f"{step}_s"], reference, 1)
        for step in ("create_dry_run", "create_apply", "update_dry_run", "update_apply")
    }
    figures["load_after"] = load_average()
    if args.remove_after:
        started = time.perf_counter()
        removed, _ = Stakeholder.objects.filter(
            name__regex=r"^Bench [0-9a-f]{8} actor [0-9]+$"
        ).delete()
        figures["removed_after"] = {
            "rows": removed,
            "seconds": round(time.perf_counter() - started, 1),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
