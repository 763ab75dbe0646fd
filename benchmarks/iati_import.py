"""How the IATI import scales: activities per second and the importing process's peak memory.

Writes ``--activities`` synthetic activities spread over ``--files`` files
(``tests/iati/synthetic.py``: the registry's layout, one or more files per publisher; kept in
``--folder`` for the next run), migrates a fresh database (``--database``, dropped and created on
the server of DATABASE_URL), then runs ``manage.py import_iati FOLDER`` in its own process with
DEBUG off and measures it (``os.wait4``: wall time, peak RSS). The reference, measured in the same
run on the same files: a plain lxml ``iterparse`` of every activity (each cleared once read) — the
floor of reading them. Prints ONE JSON line with the load average before and after, and the CPU
seconds of the importing process (Django's start-up left out) and of its PostgreSQL backend
(``/proc``; the server on this machine): on a machine loaded by others, wall time says more
about them than about the import, CPU seconds do not (``activities_per_cpu_second``).

Only the import is timed: the jobs it sets off once it commits (overlap run, coalitions, graph
refresh, scoring) go to an in-process memory broker that nothing reads.

    .venv/bin/python benchmarks/iati_import.py --activities 50000 --files 200
    .venv/bin/python benchmarks/iati_import.py --activities 5000 --files 200 --no-reimport \
        --modes call,job,job-per-file    # what a task and a transaction per file cost
    .venv/bin/python benchmarks/iati_import.py --activities 20000 --files 20 --equality

``--equality`` (slow: the old importer holds everything) also imports the files in process with
the whole-import reference (``tests/iati/whole_import.py``) inside a transaction rolled back, then
with the batched importer, and says whether the two registries are equal.
``--no-validation`` skips the per-activity schema check (about 0.7× the parse).
"""

import argparse
import json
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

DERIVED_JOBS_BROKER = "memory://iati-benchmark/"


def lxml_parse_seconds(paths: list[Path]) -> float:
    from lxml import etree

    started = time.perf_counter()
    for path in paths:
        for _, element in etree.iterparse(str(path), tag="iati-activity"):
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return time.perf_counter() - started


def database_fresh(url: str, name: str, *, template: str | None = None) -> str:
    """Drop and create the database ``name`` (a copy of ``template`` when given: migrating
    takes a minute on a loaded machine, copying a second); returns its URL."""
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        )
    admin.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


def measured(command: list[str], env: dict) -> tuple[float, float, str, dict]:
    """Wall seconds, peak RSS (MB), stdout and CPU seconds (``child``'s last line) of
    ``command`` run in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    cpu = json.loads(output.strip().splitlines()[-1].removeprefix(CPU_LINE))
    return seconds, usage.ru_maxrss / 1024, output, cpu


CPU_LINE = "CPU seconds: "


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the server is elsewhere
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(folder: Path, no_validation: bool, mode: str = "call", step_bytes: int | None = None):
    """The import in this process — ``manage.py import_iati FOLDER`` (mode "call": one
    transaction) or the folder as a job (mode "job": ``iati_run_create``, then ``iati_run_step``
    until the run is done, each step what one Celery task does; ``step_bytes`` overrides
    ``STEP_BYTES``, 0 for a step per file) — then its CPU seconds and those of its PostgreSQL
    backend: the work the import costs, which the other processes of a loaded machine do not
    inflate as they inflate wall time (on a quiet machine, the import waits for its backend and
    the backend for it: wall time ≈ the two CPU times added)."""
    import resource

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from iati.importing import iati_run_create, iati_run_step, runs

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def own() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    before, started = backend_cpu_seconds(pid), own()  # Django's start-up left out
    validation = "off" if no_validation else "report"
    steps = None
    if mode == "job":
        if step_bytes is not None:
            runs.STEP_BYTES = step_bytes
        run = iati_run_create(paths=[folder], validation=validation)
        steps = 1
        while iati_run_step(run_id=run.pk) == "file":
            steps += 1
        run.refresh_from_db()
        if run.status != "done":
            raise SystemExit(f"The job ended {run.status}: {run.error}")
        print("\n".join("  " + line for line in _report_lines(run.report)))
    else:
        call_command("import_iati", str(folder), *(["--no-validation"] if no_validation else []))
    after = backend_cpu_seconds(pid)
    cpu = {
        "importer": round(own() - started, 2),
        "database": None if before is None else round(after - before, 2),
        "steps": steps,  # tasks of the job (the last writes the stakes)
    }
    print(CPU_LINE + json.dumps(cpu), flush=True)


def _report_lines(report: dict) -> list[str]:
    from iati.importing import ImportReport

    return [line.strip() for line in ImportReport.from_json(report).lines()[2:9]]


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


COUNTED = (
    ("iati", "IatiActivity"),
    ("stakeholders", "Stakeholder"),
    ("stakeholders", "ExternalIdentifier"),
    ("stakeholders", "Sector"),
    ("stakeholders", "Outcome"),
    ("stakeholders", "Stake"),
    ("index", "Engagement"),
    ("index", "EngagementParticipant"),
)


def counts_print() -> None:
    """The rows an IATI import writes, per model, as one JSON line (in the DATABASE_URL's
    database); "stakes" also as the sum of interest and influence, to 6 places."""
    import django

    django.setup()
    from django.apps import apps
    from django.db.models import Sum

    counts = {name: apps.get_model(app, name).objects.count() for app, name in COUNTED}
    stake = apps.get_model("stakeholders", "Stake").objects.aggregate(
        interest=Sum("interest"), influence=Sum("influence")
    )
    counts["stake_sums"] = [round(stake["interest"] or 0, 6), round(stake["influence"] or 0, 6)]
    print(json.dumps(counts), flush=True)


def job_file_statuses(database_url: str, token: str) -> list[str]:
    """The status of each file of the folder job ``token``, in order."""
    import psycopg2

    with psycopg2.connect(database_url) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT f.status FROM iati_iatiimportfile f JOIN iati_iatiimportrun r "
            "ON r.id = f.run_id WHERE r.token = %s ORDER BY f.position",
            [token],
        )
        return [row[0] for row in cursor.fetchall()]


def job_status(database_url: str, token: str) -> str:
    """The status of the folder job ``token``."""
    import psycopg2

    with psycopg2.connect(database_url) as db, db.cursor() as cursor:
        cursor.execute("SELECT status FROM iati_iatiimportrun WHERE token = %s", [token])
        return cursor.fetchone()[0]


def one_import_counts(folder: Path, url: str, database: str, env: dict) -> dict:
    """The rows of one plain ``import_iati`` of ``folder`` into a fresh database."""
    python = sys.executable
    env_straight = {
        **env,
        "DATABASE_URL": database_fresh(url, f"{database}_straight"),
        "CELERY_BROKER_URL": DERIVED_JOBS_BROKER,
    }
    straight_run = {"env": env_straight, "cwd": ROOT, "check": True}
    subprocess.run([python, "manage.py", "migrate", "-v0"], **straight_run)
    subprocess.run(
        [python, "manage.py", "import_iati", str(folder)], **straight_run, stdout=subprocess.DEVNULL
    )
    counted = [python, __file__, "--counts"]
    return json.loads(
        subprocess.run(counted, **straight_run, capture_output=True, text=True).stdout
    )


def kill_resume(folder: Path, url: str, database: str) -> dict:
    """A folder job whose Celery worker is SIGKILLed once two files are done (a step of
    ``STEP_BYTES`` holds several: give the folder more than one step's XML), resumed
    (``import_iati --resume TOKEN``) on a new worker: the same rows as one ``import_iati``.

    Needs CELERY_BROKER_URL=redis://… (a real worker, ``--pool solo`` so that the task runs in
    the process killed); its queue is emptied before and after."""
    import signal

    import redis

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        raise SystemExit("--kill-resume needs CELERY_BROKER_URL=redis://… (a worker is killed).")
    python = sys.executable
    queue = redis.Redis.from_url(broker)
    queue.delete("smartdiplomacy")
    env = {
        **os.environ,
        "DATABASE_URL": database_fresh(url, f"{database}_job"),
        "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.local",
        "DEBUG": "0",
        "DJANGO_SUPERUSER_PASSWORD": "not-used-9d1c",
    }
    run = {"env": env, "cwd": ROOT, "check": True}
    subprocess.run([python, "manage.py", "migrate", "-v0"], **run)
    subprocess.run(
        [python, "manage.py", "createsuperuser", "--noinput", "--username", "bench",
         "--email", "bench@example.org"],
        **run, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    worker_command = [
        python, "-m", "celery", "-A", "smartdiplomacy", "worker", "--pool", "solo",
        "--loglevel", "WARNING", "-Q", "smartdiplomacy",
    ]  # fmt: skip
    worker = subprocess.Popen(worker_command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    output = subprocess.run(
        [python, "manage.py", "import_iati", "--job", "--user", "bench", str(folder)],
        **run, capture_output=True, text=True,
    ).stdout  # fmt: skip
    token = output.split("Queued IATI import ", 1)[1].split(".", 1)[0]
    database_url = env["DATABASE_URL"]

    def files() -> list[str]:
        return job_file_statuses(database_url, token)

    def run_status() -> str:
        return job_status(database_url, token)

    deadline = time.monotonic() + 1800
    while files().count("done") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)  # mid-folder, most likely inside the next step
    worker.wait()
    at_kill = files()
    worker = subprocess.Popen(worker_command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    subprocess.run(
        [python, "manage.py", "import_iati", "--resume", token], **run, stdout=subprocess.DEVNULL
    )
    while run_status() == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    status = run_status()
    worker.terminate()
    worker.wait()
    queue.delete("smartdiplomacy")
    counted = [python, __file__, "--counts"]
    job = json.loads(subprocess.run(counted, **run, capture_output=True, text=True).stdout)
    straight = one_import_counts(folder, url, database, env)
    return {
        "files_at_kill": at_kill,
        "run_status": status,
        "counts_job_killed_and_resumed": job,
        "counts_one_import": straight,
        "equal": job == straight,
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--folder", type=Path, help="Default /tmp/iati-bench-N-F.")
    parser.add_argument("--database", default="sd_iati_bench", help="Dropped and created.")
    parser.add_argument("--no-validation", action="store_true")
    parser.add_argument("--equality", action="store_true")
    parser.add_argument("--no-reimport", action="store_true", help="Skip the second import.")
    parser.add_argument(
        "--modes",
        default="call",
        help="Comma-separated, each on a fresh database: call (manage.py import_iati FOLDER, one "
        "transaction), job (the folder as a job, steps of STEP_BYTES), job-per-file (a step per "
        "file, as before steps). With call and a job, per_file_overhead_ms = (job CPU - call "
        "CPU) / files. Only the first mode is re-imported.",
    )
    parser.add_argument(
        "--kill-resume",
        action="store_true",
        help="Only check that a folder job whose worker is SIGKILLed mid-folder and resumed "
        "gives the rows of one import (needs CELERY_BROKER_URL=redis://…).",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-mode", default="call", help=argparse.SUPPRESS)
    parser.add_argument("--step-bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--counts", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def kill_resume_emit(args, folder: Path, url: str) -> None:
    started, load_before = time.perf_counter(), load_average()
    result = kill_resume(folder, url, args.database)
    emit(
        {
            "benchmark": "iati_import --kill-resume",
            "activities": args.activities,
            "files": args.files,
            "load_before": load_before,
            **result,
            "seconds": round(time.perf_counter() - started, 1),
            "load_after": load_average(),
        }
    )


def mode_measure(
    args, mode: str, folder: Path, url: str, template: str, reimport: bool, reference: float
):
    """One import of ``folder`` in ``mode`` on a fresh copy of ``template``: its figures, and
    the environment it ran in."""
    python = sys.executable
    env = {
        **os.environ,
        "DATABASE_URL": database_fresh(url, args.database, template=template),
        "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.local",
        "DEBUG": "0",
        # What the import sets off once it commits (the overlap run, coalitions, the graph
        # refresh, scoring) is queued to a broker living in the importing process and never
        # run: without a broker those tasks run in place and were timed as the import.
        "CELERY_BROKER_URL": DERIVED_JOBS_BROKER,
    }
    command = [python, __file__, "--child", str(folder), "--child-mode", MODES[mode][0]]
    if MODES[mode][1] is not None:
        command += ["--step-bytes", str(MODES[mode][1])]
    if args.no_validation:
        command.append("--no-validation")
    load = load_average()
    seconds, rss, output, cpu = measured(command, env)
    cpu_total = cpu["importer"] + (cpu["database"] or 0)
    result = {
        "load_before": load,
        "seconds": round(seconds, 1),
        "activities_per_second": round(args.activities / seconds, 1),
        "cpu_seconds": cpu,
        # What a quiet machine would take: the importer and its backend wait for each other.
        "activities_per_cpu_second": round(args.activities / cpu_total, 1),
        "minutes_for_1m_from_cpu": round(cpu_total * 1_000_000 / args.activities / 60, 1),
        "minutes_for_1m_from_wall": round(seconds * 1_000_000 / args.activities / 60, 1),
        "peak_rss_mb": round(rss, 1),
        "vs_reference": ratio(seconds, reference),
        "cpu_vs_reference": ratio(cpu_total, reference),
        "counts": [line.strip() for line in output.splitlines() if line.startswith("  ")][:7],
        "load_after": load_average(),
    }
    if reimport:
        again_seconds, again_rss, _, again_cpu = measured(command, env)
        result.update(
            reimport_seconds=round(again_seconds, 1),
            reimport_cpu_seconds=again_cpu,
            reimport_peak_rss_mb=round(again_rss, 1),
        )
    return result, env


def main() -> None:
    args = arguments()
    if args.child:
        return child(args.child, args.no_validation, args.child_mode, args.step_bytes)
    if args.counts:
        return counts_print()
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (a database is created on it).")
    folder = args.folder or Path(f"/tmp/iati-bench-{args.activities}-{args.files}")
    if not folder.is_dir() or len(list(folder.glob("*.xml"))) != args.files:
        synthetic_folder_write(folder, args.activities, args.files)
    paths = sorted(folder.glob("*.xml"))
    if args.kill_resume:
        return kill_resume_emit(args, folder, url)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    unknown = set(modes) - set(MODES)
    if unknown or not modes:
        raise SystemExit(f"--modes: one or more of {', '.join(MODES)}, not {args.modes!r}.")
    python = sys.executable
    figures: dict = {
        "benchmark": "iati_import",
        "activities": args.activities,
        "files": args.files,
        "megabytes": round(sum(path.stat().st_size for path in paths) / 1024 / 1024, 1),
        "validation": "off" if args.no_validation else "report",
        "derived_jobs": f"queued to {DERIVED_JOBS_BROKER} (in the importing process), not run",
        "machine": machine(),
        "load_before": load_average(),
    }
    reference = lxml_parse_seconds(paths)
    figures["reference"] = {
        "what": "lxml iterparse of the same files, same run",
        "seconds": round(reference, 2),
    }
    template = f"{args.database}_migrated"
    migrated = {**os.environ, "DATABASE_URL": database_fresh(url, template)}
    subprocess.run([python, "manage.py", "migrate", "-v0"], env=migrated, cwd=ROOT, check=True)
    for position, mode in enumerate(modes):
        reimport = position == 0 and not args.no_reimport
        figures[mode], env = mode_measure(args, mode, folder, url, template, reimport, reference)
    call = figures.get("call")
    for mode in ("job", "job-per-file"):
        if call and mode in figures:
            job_cpu, call_cpu = (
                sum(v for k, v in figures[name]["cpu_seconds"].items() if k != "steps" and v)
                for name in (mode, "call")
            )
            figures[mode]["per_file_overhead_ms"] = round(
                (job_cpu - call_cpu) * 1000 / args.files, 1
            )
    if args.equality:
        figures["equality"] = equality(folder, env)
    figures["load_after"] = load_average()
    emit(figures)


# mode → (child mode, STEP_BYTES override)
MODES = {"call": ("call", None), "job": ("job", None), "job-per-file": ("job", 0)}


if __name__ == "__main__":
    main()
