"""What one polled scores page costs the server in CPU, against /healthz in the same process.

    DATABASE_URL=postgres://… CACHE_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python benchmarks/scores_api_cpu.py --requests 400 --rounds 5

Run after ``benchmarks/scores_api_load.py`` has filled the database. Issues a partner token with
``scores:read`` and calls Django's WSGI handler directly (no server, no sockets but the database's
and Redis's), DEBUG off: ``/api/v1/scores/?page_size=100`` with the token (after a warm-up, the
remembered answer: what partners polling a page get) and ``/healthz`` (the reference), in
alternating rounds of ``--requests``. Prints the median over rounds of CPU milliseconds
(``time.process_time``) and wall milliseconds per request, their ratios to /healthz's, and the
round trips to Redis per scores request. On a shared machine compare the ratios, or alternate
runs of two versions of the code (issue 22). Never collected as a test.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")
os.environ["DEBUG"] = "0"
os.environ["API_PARTNER_RATE"] = "100000000/hour"  # serving is measured, not the allowance

from smartdiplomacy.benchmarking import load_average, ratio  # noqa: E402

SCORES = "/api/v1/scores/?page_size=100"


def caller(app, token: str):
    """``call(path, authenticated)``: one request through ``app``; its status."""
    from django.test.client import RequestFactory

    base = RequestFactory()._base_environ(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")

    def call(path: str, authenticated: bool) -> str:
        environ = {**base, "PATH_INFO": path.split("?")[0], "QUERY_STRING": path.partition("?")[2]}
        if authenticated:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        statuses: list[str] = []
        body = app(environ, lambda status, headers, *rest: statuses.append(status))
        b"".join(body)
        body.close()
        return statuses[0]

    return call


def redis_round_trips(call, requests: int = 20) -> float:
    """Commands sent to Redis (a pipeline counts once) per scores request."""
    from redis.connection import AbstractConnection

    sent = [0]
    send = AbstractConnection.send_packed_command

    def counted(self, *args, **kwargs):
        sent[0] += 1
        return send(self, *args, **kwargs)

    AbstractConnection.send_packed_command = counted
    try:
        for _ in range(requests):
            call(SCORES, True)
    finally:
        AbstractConnection.send_packed_command = send
    return round(sent[0] / requests, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per round and path")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load_before = load_average()

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from accounts.services import token_issue

    token = token_issue(partner="Scores API CPU benchmark", created_by=None, scopes=["scores:read"])
    call = caller(WSGIHandler(), token.plaintext)
    assert call(SCORES, True).startswith("200") and call("/healthz", False).startswith("200")
    for _ in range(20):  # the first use of the token, the page's render, its remembered answer
        call(SCORES, True), call("/healthz", False)
    rounds: dict[str, list[tuple[float, float]]] = {"scores": [], "healthz": []}
    for _ in range(args.rounds):
        for name, path, authenticated in (("scores", SCORES, True), ("healthz", "/healthz", False)):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                call(path, authenticated)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            rounds[name].append((cpu * 1000 / args.requests, wall * 1000 / args.requests))
    figures = {
        name: {
            "cpu_ms": round(statistics.median(cpu for cpu, _ in values), 3),
            "wall_ms": round(statistics.median(wall for _, wall in values), 3),
        }
        for name, values in rounds.items()
    }
    print(
        json.dumps(
            {
                "requests": args.requests,
                "rounds": args.rounds,
                **figures,
                "redis_round_trips_per_scores_request": redis_round_trips(call),
                "vs_reference": {
                    "cpu": ratio(figures["scores"]["cpu_ms"], figures["healthz"]["cpu_ms"]),
                    "wall": ratio(figures["scores"]["wall_ms"], figures["healthz"]["wall_ms"]),
                },
                "load_before": load_before,
                "load_after": load_average(),
            }
        )
    )


if __name__ == "__main__":
    main()
