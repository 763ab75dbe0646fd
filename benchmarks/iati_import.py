"""How the IATI import scales: activities per second and the importing process's peak memory.

Writes ``--activities`` synthetic activities spread over ``--files`` files
(``tests/iati/synthetic.py``: the registry's layout, one or more files per publisher; kept in
``--folder`` for the next run), migrates a fresh database (``--database``, dropped and created on
the server of DATABASE_URL), then runs ``manage.py import_iati FOLDER`` in its own process with
DEBUG off and measures it (``os.wait4``: wall time, peak RSS). The reference, measured in the same
run on the same files: a plain lxml ``iterparse`` of every activity (each cleared once read) — the
floor of reading them. Prints ONE JSON line with the load average before and after.

    .venv/bin/python benchmarks/iati_import.py --activities 50000 --files 200
    .venv/bin/python benchmarks/iati_import.py --activities 20000 --files 20 --equality

``--equality`` (slow: the old importer holds everything) also imports the files in process with
the whole-import reference (``tests/iati/whole_import.py``) inside a transaction rolled back, then
with the batched importer, and says whether the two registries are equal.
``--no-validation`` skips the per-activity schema check (about 0.7× the parse).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartdiplomacy.benchmarking import emit, load_average, machine, ratio  # noqa: E402
from tests.iati.synthetic import synthetic_folder_write  # noqa: E402


def lxml_parse_seconds(paths: list[Path]) -> float:
    from lxml import etree

    started = time.perf_counter()
    for path in paths:
        for _, element in etree.iterparse(str(path), tag="iati-activity"):
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return time.perf_counter() - started


def database_fresh(url: str, name: str) -> str:
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


def measured(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of ``command`` run in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def equality(folder: Path, env: dict) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import transaction

    from iati.importing import files_expand, iati_import
    from tests.iati import whole_import
    from tests.iati.test_scale import registry

    paths = files_expand([folder])

    class Undo(Exception):
        pass

    snapshot = {}
    started = time.perf_counter()
    try:
        with transaction.atomic():
            whole_import.iati_import(paths=paths, validation="off")
            snapshot["whole"] = registry()
            raise Undo
    except Undo:
        pass
    whole_seconds = time.perf_counter() - started
    started = time.perf_counter()
    try:
        with transaction.atomic():
            iati_import(paths=paths, validation="off")
            snapshot["batched"] = registry()
            raise Undo
    except Undo:
        pass
    return {
        "equal": snapshot["whole"] == snapshot["batched"],
        "stakes": len(snapshot["whole"]["stakes"]),
        "stakeholders": len(snapshot["whole"]["stakeholders"]),
        "engagements": len(snapshot["whole"]["engagements"]),
        "whole_import_seconds": round(whole_seconds, 1),
        "batched_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--folder", type=Path, help="Default /tmp/iati-bench-N-F.")
    parser.add_argument("--database", default="sd_iati_bench", help="Dropped and created.")
    parser.add_argument("--no-validation", action="store_true")
    parser.add_argument("--equality", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (a database is created on it).")
    folder = args.folder or Path(f"/tmp/iati-bench-{args.activities}-{args.files}")
    if not folder.is_dir() or len(list(folder.glob("*.xml"))) != args.files:
        synthetic_folder_write(folder, args.activities, args.files)
    paths = sorted(folder.glob("*.xml"))
    env = {
        **os.environ,
        "DATABASE_URL": database_fresh(url, args.database),
        "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.local",
        "DEBUG": "0",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    figures: dict = {
        "benchmark": "iati_import",
        "activities": args.activities,
        "files": args.files,
        "megabytes": round(sum(path.stat().st_size for path in paths) / 1024 / 1024, 1),
        "validation": "off" if args.no_validation else "report",
        "machine": machine(),
        "load_before": load_average(),
    }
    reference = lxml_parse_seconds(paths)
    command = [python, "manage.py", "import_iati", str(folder)]
    if args.no_validation:
        command.append("--no-validation")
    seconds, rss, output = measured(command, env)
    again_seconds, again_rss, _ = measured(command, env)
    figures.update(
        seconds=round(seconds, 1),
        activities_per_second=round(args.activities / seconds, 1),
        peak_rss_mb=round(rss, 1),
        reimport_seconds=round(again_seconds, 1),
        reimport_peak_rss_mb=round(again_rss, 1),
        reference={"what": "lxml iterparse of the same files", "seconds": round(reference, 2)},
        vs_reference=ratio(seconds, reference),
        minutes_for_1m_extrapolated=round(seconds * 1_000_000 / args.activities / 60, 1),
        counts=[line.strip() for line in output.splitlines() if line.startswith("  ")][:7],
    )
    if args.equality:
        figures["equality"] = equality(folder, env)
    figures["load_after"] = load_average()
    emit(figures)


if __name__ == "__main__":
    main()
