"""What one log line and the Prometheus metrics cost a request; prints one JSON line.

    DATABASE_URL=sqlite:////tmp/o.sqlite3 .venv/bin/python benchmarks/observability_overhead.py

Serves the same page (the login page, or --path) through Django's full handler with the project's
middleware and, as the reference in the same run, with the three observability middlewares taken
out (django-prometheus's two, ops.request_log's), in alternating rounds so that a change of load
touches both alike; the request log is on and in JSON as in production, written to /dev/null.
Prints each one's median time per request, the ratio, and the load average before and after.
Never collected as a test.
"""

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_FORMAT", "json")
os.environ.setdefault("LOG_REQUESTS", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

OBSERVABILITY = {
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "ops.request_log.RequestLogMiddleware",
}


def client_with(middleware: list[str], path: str) -> Client:
    client = Client(HTTP_HOST="localhost")
    with override_settings(MIDDLEWARE=middleware):
        assert client.get(path).status_code == 200  # builds the middleware chain now
    return client


def round_of(client: Client, path: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    return (time.perf_counter() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", default="/accounts/login/")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process

    load_before = os.getloadavg()
    full = client_with(list(settings.MIDDLEWARE), args.path)
    bare = client_with([m for m in settings.MIDDLEWARE if m not in OBSERVABILITY], args.path)
    with_obs, without = [], []
    for _ in range(args.rounds):
        with_obs.append(round_of(full, args.path, args.requests))
        without.append(round_of(bare, args.path, args.requests))
    load_after = os.getloadavg()
    print(json.dumps({
        "path": args.path,
        "requests_per_round": args.requests,
        "rounds": args.rounds,
        "with_observability_ms": round(statistics.median(with_obs) * 1000, 3),
        "reference_without_ms": round(statistics.median(without) * 1000, 3),
        "ratio": round(statistics.median(with_obs) / statistics.median(without), 3),
        "overhead_ms": round((statistics.median(with_obs) - statistics.median(without)) * 1000, 3),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
