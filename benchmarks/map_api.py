"""Time /api/v1/map/ and /map/ and count their queries; prints JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mapbench \\
    DJANGO_SETTINGS_MODULE=smartdiplomacy.settings.local \\
    .venv/bin/python benchmarks/map_api.py --stakeholders 5000 --requests 10

Creates the synthetic registry (replacing an earlier synthetic set; other rows are untouched;
``--reuse`` keeps what is there, e.g. the demo) and gives half of its actors a point spread
over the globe by their id (SQL, untimed). Then requests, as a signed-in analyst through
Django's test client: the map API at world zoom and at zoom 8 (grid clusters), with a kind
filter, and the page.
Prints one JSON line with each request's p50 / p95 wall time, CPU seconds per request (this
process: Python, ORM, JSON), queries and bytes; the load average before and after, and a
**reference** timed the same way in the same run: ``/healthz`` through the same client
(``vs_reference``: p50 as a multiple of its p50). Never collected as a test.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from smartdiplomacy.benchmarking import load_average, machine, ratio  # noqa: E402
from stakeholders.synthetic import synthetic_registry_create  # noqa: E402


def timed(client, url, params, requests):
    durations, cpu, count, size = [], [], None, 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, params, HTTP_HOST="localhost")
            durations.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.content[:300]
        count, size = len(queries.captured_queries), len(response.content)
    ordered = sorted(durations)
    result = {
        "url": url,
        "params": params,
        "p50_ms": round(statistics.median(durations) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 1),
        "cpu_ms": round(statistics.median(cpu) * 1000, 1),
        "queries": count,
        "bytes": size,
    }
    if url.startswith("/api/"):
        body = response.json()
        result.update(features=len(body["features"]), clusters=len(body["clusters"]),
                      truncated=body["truncated"])  # fmt: skip
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stakeholders", type=int, default=5_000)
    parser.add_argument("--stakes", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="Keep the registry already there.")
    args = parser.parse_args()
    load_before = load_average()
    timings = {}
    if not args.reuse:
        started = time.perf_counter()
        synthetic_registry_create(stakeholders=args.stakeholders, stakes=args.stakes)
        timings["seed_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE stakeholders_stakeholder"
                " SET latitude = (id % 120) - 55.0 + (id % 7) / 10.0,"
                " longitude = (id * 37 % 340) - 170.0"
                " WHERE id % 2 = 0 AND latitude IS NULL"
            )
            cursor.execute("ANALYZE stakeholders_stakeholder")
    user, _ = User.objects.get_or_create(username="map-benchmark")
    user.groups.add(Group.objects.get(name="analyst"))  # engagements too
    client = Client()
    client.force_login(user)
    results = [
        timed(client, "/api/v1/map/", {}, args.requests),
        timed(client, "/api/v1/map/", {"zoom": 8}, args.requests),
        timed(client, "/api/v1/map/", {"kind": "ngo"}, args.requests),
        timed(client, "/map/", {}, args.requests),
    ]
    reference = timed(client, "/healthz", {}, max(args.requests, 20))
    for result in results:
        result["vs_reference"] = ratio(result["p50_ms"], reference["p50_ms"], 1)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                **machine(),
                "load_before": load_before,
                "load_after": load_average(),
                **timings,
                "reference": reference,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
