"""``bench_overlap``'s worker mode: the overlap job as production runs it (issue 22).

Production runs the job on a Celery worker with ``--concurrency=2`` (docker-compose.yml): the
run's chunks are separate tasks, so two of them compute at once. This starts such a worker — the
project's Celery app, prefork pool, on a queue of its own, against the same database — queues a
run on it, waits until the run has been written and tidied, and measures, by sampling ``/proc``
while it waits:

* the CPU seconds of the worker's processes (its main process and its pool's), and of every
  database server process serving this database (each pool process has its own connection);
* the peak memory (``VmHWM``) of each pool process: each is one job process of production.

The worker holds back what a successful run sets off (every outcome's coalitions, a separate
task on the workers; ``benchmarks/coalitions.py --database`` measures it), as the in-process mode
does. Benchmark only; never used by the app.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

# How often the processes' CPU seconds are read while the run goes on (a database process that
# ends between two readings loses at most this much of its CPU time).
SAMPLE_SECONDS = 0.2
READY_TIMEOUT = 120


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (all its threads), or None if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def peak_memory_mib(pid: int) -> float | None:
    """The peak resident memory (``VmHWM``) of process ``pid`` in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class CpuSampler:
    """CPU seconds used since it started by a changing set of processes: each process's last
    reading minus its first (zero for a process first seen after the start: it is new)."""

    def __init__(self):
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.started = False

    def read(self, pids) -> None:
        for pid in pids:
            seconds = process_cpu_seconds(pid)
            if seconds is None:
                continue
            self.first.setdefault(pid, seconds if not self.started else 0.0)
            self.last[pid] = seconds
        self.started = True

    def seconds(self) -> float:
        return round(sum(self.last[pid] - self.first[pid] for pid in self.last), 3)


def _database_pids(own_pid: int | None) -> list[int]:
    """The server processes connected to this database, but this process's own connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s",
            [own_pid or 0],
        )
        return [row[0] for row in cursor.fetchall()]


class BenchWorker:
    """A Celery worker started for the benchmark on queue ``queue`` (``manage.py bench_overlap
    --worker-only``: the project's app, prefork pool of ``concurrency`` processes)."""

    def __init__(self, queue: str, concurrency: int, log_path: Path):
        self.queue = queue
        self.concurrency = concurrency
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> None:
        env = {**os.environ, "CELERY_TASK_DEFAULT_QUEUE": self.queue, "DEBUG": "false"}
        command = [sys.executable, sys.argv[0], "bench_overlap", "--worker-only",
                   "--queue", self.queue, "--concurrency", str(self.concurrency)]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log_path.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while "ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the benchmark's worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        # The pool's processes exist once the worker says it is ready.

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *children_of(self.process.pid)]

    def pool_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process is not None else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def bench_worker(queue: str, concurrency: int, log_path: Path):
    worker = BenchWorker(queue, concurrency, log_path)
    try:
        worker.start()
        yield worker
        worker.stop()
        log_path.unlink(missing_ok=True)  # kept when something failed, to read why
    finally:
        worker.stop()
        from smartdiplomacy.celery import app

        with app.connection_for_write() as conn:  # drop anything left on the private queue
            conn.default_channel.queue_delete(queue)


def run_on_worker(worker: BenchWorker, run_id_queued, *, own_backend: int | None, timeout: float):
    """Queue a run (``run_id_queued()`` requests it and returns its id) and wait until it is
    written and tidied, sampling CPU seconds. Returns (run id, wall seconds, figures)."""
    from partnerships.models import OverlapRun

    jobs, database = CpuSampler(), CpuSampler()
    jobs.read(worker.pids())
    database.read(_database_pids(own_backend))
    started = time.perf_counter()
    run_id = run_id_queued()
    phases_seen: dict[str, float] = {}
    cpu_seen: dict[str, tuple[float, float]] = {}
    while True:
        time.sleep(SAMPLE_SECONDS)
        jobs.read(worker.pids())
        database.read(_database_pids(own_backend))
        status, phase, timings = OverlapRun.objects.filter(pk=run_id).values_list(
            "status", "phase", "timings"
        )[0]
        if phase not in phases_seen:
            phases_seen[phase] = round(time.perf_counter() - started, 3)
            cpu_seen[phase] = (jobs.seconds(), database.seconds())
        finished = status == OverlapRun.Status.SUCCEEDED and "tidy" in timings
        if finished or status in (OverlapRun.Status.FAILED, OverlapRun.Status.CANCELLED):
            break
        if time.perf_counter() - started > timeout or worker.process.poll() is not None:
            raise RuntimeError(f"the run did not finish on the worker:\n{worker.log()[-3000:]}")
    total = time.perf_counter() - started
    peaks = {pid: peak_memory_mib(pid) for pid in worker.pool_pids()}
    cpu = {"job": jobs.seconds(), "database": database.seconds()}
    return (
        run_id,
        total,
        {
            "cpu_seconds": cpu,
            "cpu_seconds_by_phase": _by_phase(cpu_seen, cpu),
            "pool_peak_memory_mib": sorted((p for p in peaks.values() if p), reverse=True),
            # Wall seconds from queueing the run to when it was first seen in each phase.
            "phase_first_seen_at": phases_seen,
        },
    )


def _by_phase(seen: dict[str, tuple[float, float]], total: dict[str, float]) -> dict:
    """CPU seconds (job, database) between the first sightings of the run's phases: ``load``
    (queued and read), ``compute`` (the chunks: side by side), ``write`` (gather, write, tidy:
    the finaliser alone)."""
    marks = [("load", (0.0, 0.0))]  # from the request: waiting for the worker, then reading
    marks += [(phase, seen[phase]) for phase in ("compute", "write") if phase in seen]
    marks.append(("end", (total["job"], total["database"])))
    by_phase = {}
    for (phase, (job, database)), (_next, (job_after, database_after)) in zip(
        marks, marks[1:], strict=False
    ):
        by_phase[phase] = {
            "job": round(job_after - job, 3),
            "database": round(database_after - database, 3),
        }
    return by_phase


def job_on_worker(concurrency: int, parameters: dict, *, own_backend: int | None):
    """The job on a worker of ``concurrency`` processes started for it on the default queue
    (the benchmark names it): (the run, wall seconds, figures). The run's ``compute`` and
    ``store`` seconds are summed over its chunks, which run side by side: ``chunks_wall``, from
    the end of the load to the start of the write, is what adds up with the other phases."""
    from django.conf import settings

    from partnerships.models import OverlapRun
    from partnerships.overlap import runs

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    log = Path(tempfile.gettempdir()) / f"{queue}.log"
    with bench_worker(queue, concurrency, log) as worker:
        run_id, total, sampled = run_on_worker(
            worker,
            lambda: runs.overlap_run_request(parameters=parameters)[0].pk,
            own_backend=own_backend,
            timeout=4 * 3600,
        )
    run = OverlapRun.objects.get(pk=run_id)
    seen = sampled.pop("phase_first_seen_at")
    chunks_wall = seen.get("write", total) - seen.get("compute", 0)
    serial = sum(run.timings.get(name, 0) for name in ("load", "gather", "write", "tidy"))
    pool_peaks = sampled.pop("pool_peak_memory_mib")
    figures = {
        "mode": f"worker, concurrency {concurrency}",
        "seconds": {
            **run.timings,
            "chunks_wall": round(chunks_wall, 3),
            "outside_phases": round(total - serial - chunks_wall, 3),
            "total": round(total, 3),
        },
        **sampled,  # cpu_seconds: the worker's processes and the database's
        # Each pool process is one job process of production; their peaks add up on one host.
        "peak_memory_mib": max(pool_peaks, default=None),
        "pool_peak_memory_mib": pool_peaks,
    }
    return run, total, figures
