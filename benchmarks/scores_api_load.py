"""Load /api/v1/scores/ with concurrent partner clients against gunicorn; prints one JSON line.

    createdb -h 127.0.0.1 -U postgres smartdiplomacy_bench_api
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smartdiplomacy_bench_api \\
        .venv/bin/python benchmarks/scores_api_load.py --engagements 20000 --clients 32

Migrates the database, makes sure it holds ``--engagements`` scored benchmark engagements (each
with a few participants from the synthetic registry, created if the database has none; a second
run reuses them), issues a partner token with ``scores:read``, starts gunicorn
(``gunicorn.conf.py``, bound to 127.0.0.1 on a free port, DEBUG off, the partner throttle raised
out of the way) and runs ``--clients`` threads, each with its own keep-alive connection, walking
``/api/v1/scores/?page_size=100`` page by page (back to the first page at the end) for
``--seconds`` or ``--requests`` per client, whichever comes first. Any status but 200 is an
error. Prints requests, errors, latency percentiles in ms and requests per second, then stops
gunicorn. Beside them, the load average before and after, and a **reference** measured by the same
clients against the same gunicorn in the same run: ``/healthz`` (no authentication, one trivial
query), for ``--reference-seconds``; ``vs_reference`` gives the scores API's p50, p95 and
throughput as ratios of the reference's, which compare across machines where raw figures do
not. Each phase also prints ``server_cpu_ms_per_request``: the CPU seconds gunicorn's processes
spent over it per request served (``vs_reference.server_cpu_per_request``), which moves less than
latency when other work shares the cores (and ``client_cpu_ms_per_request``, the clients' own,
on the same cores); it includes the pages' first renders (a fresh token
each run: its pages are its own) and the validators read again when a remembered answer expires
(``SCORES_API_ANSWER_SECONDS``), shared by fewer requests when fewer are served. Rendered pages
are cached under their ETag (in CACHE_URL's cache: set it to Redis so the workers share it);
``--distinct-urls`` makes every request render its page. Target (issue 22): p95 under 70 ms
at 32 clients on a quiet 2-core machine, no errors. Never collected as a test.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")

from smartdiplomacy.benchmarking import database_maintained, load_average, ratio  # noqa: E402

TITLE_PREFIX = "Scores API load benchmark"
HOST = "127.0.0.1"
NEXT_LINK = re.compile(rb'\{"next":(null|"[^"]*")')


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def engagements_add(engagements: int) -> list:
    """Benchmark engagements, with participants and an outcome, up to ``engagements`` (those
    there already are kept); the ones created."""
    from index.models import Engagement, EngagementParticipant
    from stakeholders.models import Outcome, Stakeholder

    existing = Engagement.objects.filter(title__startswith=TITLE_PREFIX).count()
    missing = max(0, engagements - existing)
    rng = random.Random(existing)
    actor_ids = list(Stakeholder.objects.values_list("pk", flat=True)[:5000])
    outcome_ids = list(Outcome.objects.values_list("pk", flat=True)[:500])
    countries = ["YE", "BD", "SD", "ML", "SO", "AF", "MM", "UA", "HT", "CD", "NE", "BF"]
    batch = []
    for n in range(existing, existing + missing):
        total = rng.randint(5, 200)
        leaders = rng.randint(1, 12)
        batch.append(
            Engagement(
                title=f"{TITLE_PREFIX} {n}",
                kind=rng.choice(["meeting", "consultation", "programme", "campaign"]),
                start_date=f"{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-01",
                country=rng.choice(countries),
                digital_channels=rng.choice([None, 0, 1, 2, 3, 4]),
                realtime_reporting=rng.choice([None, True, False]),
                marginalised_reach=rng.choice([None, 0, 1, 2, 3]),
                participants_total=total,
                participants_women=rng.randint(0, total),
                leaders_total=leaders,
                leaders_women=rng.randint(0, leaders),
                gbv_safeguards=rng.choice([None, True, False]),
                unscr1325_participation=rng.random() < 0.5,
                unscr1325_protection=rng.random() < 0.3,
            )
        )
    created = Engagement.objects.bulk_create(batch, batch_size=2000)
    participants = [
        EngagementParticipant(engagement=engagement, stakeholder_id=actor, role=role)
        for engagement in created
        for actor, role in zip(
            rng.sample(actor_ids, min(len(actor_ids), rng.randint(2, 6))),
            ["convener", "funder", "implementer", "participant", "participant", "participant"],
            strict=False,
        )
    ]
    EngagementParticipant.objects.bulk_create(participants, batch_size=5000)
    links = Engagement.outcomes.through
    if outcome_ids:
        links.objects.bulk_create(
            [links(engagement=e, outcome_id=rng.choice(outcome_ids)) for e in created],
            batch_size=5000,
        )
    return created


def prepare(engagements: int, stakeholders: int) -> dict:
    """Scored benchmark engagements (created only up to the number asked for) and a token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from accounts.services import token_issue
    from index.models import Engagement, EngagementParticipant, Score
    from index.selectors import methodology_current
    from index.services import scores_compute_many
    from stakeholders.models import Stakeholder
    from stakeholders.synthetic.storage import synthetic_registry_create

    timings = {}
    started = time.perf_counter()
    if not Stakeholder.objects.exists():
        synthetic_registry_create(stakeholders=stakeholders, stakes=stakeholders * 4)
    timings["registry_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    created = engagements_add(engagements)
    timings["engagements_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    methodology = methodology_current()
    ids = Engagement.objects.filter(title__startswith=TITLE_PREFIX, scores__isnull=True)
    scored = scores_compute_many(
        engagement_ids=list(ids.values_list("pk", flat=True)), methodology=methodology
    )
    timings["scoring_s"] = round(time.perf_counter() - started, 1)

    # Fresh planner statistics, as autovacuum would have them a minute after a bulk load (it may
    # be off here): without them the planner took the scores table for a few hundred rows and
    # joined all 20,000 before the page's LIMIT (0.9–1.5 s per page instead of 0.05–0.1 s),
    # which measured the benchmark's set-up rather than the API.
    links = Engagement.outcomes.through
    maintenance = database_maintained(
        connection,
        [m._meta.db_table for m in (Engagement, EngagementParticipant, links, Score)],
    )
    timings["maintenance_s"] = maintenance["seconds"]

    token = token_issue(
        partner="Scores API load benchmark", created_by=None, scopes=["scores:read"]
    )
    total = Engagement.objects.filter(title__startswith=TITLE_PREFIX).count()
    connection.close()
    return {
        "database": connection.vendor,
        "engagements": total,
        "created": len(created),
        "scored_now": scored,
        "timings": timings,
        "autovacuum": maintenance["autovacuum"],
        "token": token.plaintext,
    }


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int | None, threads: int | None) -> subprocess.Popen:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise SystemExit(f"Port {port} is already in use; choose another with --port.")
    env = {
        **os.environ,
        "GUNICORN_BIND": f"{HOST}:{port}",
        # gunicorn as the product runs it: no access log of its own (the app logs each request,
        # ops.request_log). Until 2026-12-05 this set one, to /dev/null, which the product never
        # does: building each line was about 6 % of a worker's Python time (issue 22).
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_CONTROL_SOCKET": "",
        "DEBUG": "0",
        # The benchmark measures serving, not the partner allowance (1000/hour by default).
        "API_PARTNER_RATE": "100000000/hour",
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    if threads:
        env["GUNICORN_THREADS"] = str(threads)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "smartdiplomacy.wsgi:application", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    stop_gunicorn(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_cpu_seconds(process: subprocess.Popen) -> dict[int, float]:
    """CPU seconds (user + system) spent so far by each of gunicorn's processes (workers and
    master), by process id: summed and divided by the requests served, the server's cost per
    request, which the load of other processes on the machine moves far less than the latency."""
    import psutil

    spent = {}
    root = psutil.Process(process.pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:  # a worker recycled meanwhile
            continue
        spent[proc.pid] = times.user + times.system
    return spent


def with_server_cpu(process: subprocess.Popen, run) -> dict:
    """``run()``'s latency figures, and the CPU milliseconds per request over it of the server
    and of the clients (this process: they share the cores with the server).

    ``worker_cpu_shares``: how the server's CPU split between its processes, largest first. The
    workers must share the work for the server to use every core: with gunicorn's threaded
    worker, whichever worker accepts a client's connection serves all its requests, and one
    worker was seen serving all 32 (shares ``[1.0, 0.0]``, half the throughput).
    """
    before, clients_before = server_cpu_seconds(process), time.process_time()
    figures = run()
    after = server_cpu_seconds(process)
    by_process = [after[pid] - before.get(pid, 0.0) for pid in after]
    spent = sum(by_process)
    clients = time.process_time() - clients_before
    served = figures["requests"] - figures["errors"]
    figures["server_cpu_ms_per_request"] = round(spent * 1000 / served, 3) if served else None
    figures["client_cpu_ms_per_request"] = round(clients * 1000 / served, 3) if served else None
    figures["worker_cpu_shares"] = [
        round(share / spent, 2) for share in sorted(by_process, reverse=True) if spent
    ][:-1]  # the last is the master's, next to nothing
    return figures


def reference_client(port, requests, until, durations, errors, lock):
    """One client of the reference: ``/healthz`` again and again on one keep-alive connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    mine, failed = [], []
    for _ in range(requests):
        if time.monotonic() >= until:
            break
        started = time.perf_counter()
        try:
            connection.request("GET", "/healthz", headers={"Accept": "application/json"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            failed.append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        mine.append(time.perf_counter() - started)
        if response.status != 200:
            failed.append(response.status)
    connection.close()
    with lock:
        durations.extend(mine)
        errors.extend(failed)


def run_clients(count, target, args_of) -> tuple[list, list, float]:
    """``count`` client threads running ``target(*args_of(durations, errors, lock))``; their
    durations, errors and the seconds it took."""
    durations, errors, lock = [], [], threading.Lock()
    threads = [
        threading.Thread(target=target, args=args_of(durations, errors, lock)) for _ in range(count)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return durations, errors, time.perf_counter() - started


def latency(durations: list, errors: list, elapsed: float) -> dict:
    ms = [d * 1000 for d in durations]
    return {
        "requests": len(durations) + sum(1 for e in errors if isinstance(e, str)),
        "errors": len(errors),
        "error_kinds": sorted({str(e) for e in errors}),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 1) if ms else None,
        "requests_per_s": round(len(durations) / elapsed, 1) if elapsed else None,
        "seconds": round(elapsed, 1),
    }


def client(port, token, page_size, requests, until, durations, errors, lock, distinct=False):
    """One partner: walks the pages on one keep-alive connection, timing every request.

    ``distinct`` adds a unique, ignored ``nonce`` parameter to every URL, so that no response
    can come from the server's cache of rendered pages (each is rendered afresh).
    """
    first = f"/api/v1/scores/?page_size={page_size}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    path, mine, failed = first, [], []
    for number in range(requests):
        if time.monotonic() >= until:
            break
        if distinct:
            path = re.sub(r"&nonce=[^&]*", "", path) + f"&nonce={threading.get_ident()}-{number}"
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            failed.append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            path = first
            continue
        mine.append(time.perf_counter() - started)
        if status != 200:
            if not failed:
                print(f"first error: {status} {body[:300]!r}", file=sys.stderr)
            failed.append(status)
            path = first
            continue
        # The body starts with "next"; reading it there spares parsing 100 rows in the client,
        # whose threads share the machine with the server.
        head = NEXT_LINK.match(body)
        following = json.loads(head.group(1)) if head else json.loads(body)["next"]
        if following:
            parts = urlsplit(following)
            path = f"{parts.path}?{parts.query}"
        else:
            path = first
    connection.close()
    with lock:
        durations.extend(mine)
        errors.extend(failed)


def versus(measured: dict, reference: dict) -> dict:
    """The scores API's figures as ratios of the reference's."""
    return {
        "p50": ratio(measured["p50_ms"], reference["p50_ms"]),
        "p95": ratio(measured["p95_ms"], reference["p95_ms"]),
        "requests_per_s": ratio(measured["requests_per_s"], reference["requests_per_s"]),
        "server_cpu_per_request": ratio(
            measured["server_cpu_ms_per_request"], reference["server_cpu_ms_per_request"]
        ),
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=20_000)
    parser.add_argument("--stakeholders", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=200, help="at most, per client")
    parser.add_argument("--seconds", type=float, default=30.0, help="at most, in all")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py")
    parser.add_argument("--threads", type=int, default=None, help="default: gunicorn.conf.py")
    parser.add_argument(
        "--distinct-urls",
        action="store_true",
        help="a unique ignored parameter per request: every page is rendered, none is cached",
    )
    parser.add_argument(
        "--reference-seconds",
        type=float,
        default=10.0,
        help="how long the same clients load /healthz, the same-run reference (0: none)",
    )
    return parser.parse_args()


def main():
    args = arguments()

    load_before = load_average()
    figures = prepare(args.engagements, args.stakeholders)
    token = figures.pop("token")
    args.port = args.port or free_port()
    process = start_gunicorn(args.port, args.workers, args.threads)
    reference = None
    try:
        # One warm-up walk so every worker has loaded the app before the clock starts.
        warm_durations, warm_errors = [], []
        warm = threading.Lock()
        for _ in range(2 * (args.workers or 8)):
            client(args.port, token, args.page_size, 1, time.monotonic() + 30,
                   warm_durations, warm_errors, warm)  # fmt: skip
        load_start = load_average()
        until = time.monotonic() + args.seconds
        measured = with_server_cpu(
            process,
            lambda: latency(
                *run_clients(
                    args.clients,
                    client,
                    lambda durations, errors, lock: (
                        args.port,
                        token,
                        args.page_size,
                        args.requests,
                        until,
                        durations,
                        errors,
                        lock,
                        args.distinct_urls,
                    ),  # fmt: skip
                )
            ),
        )
        if args.reference_seconds > 0:
            until = time.monotonic() + args.reference_seconds
            reference = with_server_cpu(
                process,
                lambda: latency(
                    *run_clients(
                        args.clients,
                        reference_client,
                        lambda durations, errors, lock: (
                            args.port,
                            args.requests,
                            until,
                            durations,
                            errors,
                            lock,
                        ),  # fmt: skip
                    )
                ),
            )
    finally:
        stop_gunicorn(process)
    figures.update(
        {
            "clients": args.clients,
            "distinct_urls": args.distinct_urls,
            "page_size": args.page_size,
            **measured,
            "cpu_count": os.cpu_count(),
            "load_before": load_before,
            "load_at_start": load_start,
            "load_after": load_average(),
        }
    )
    if reference is not None:
        figures["reference"] = {"what": "GET /healthz, same clients, same gunicorn", **reference}
        figures["vs_reference"] = versus(measured, reference)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
