"""Time /api/v1/graph/ on a synthetic registry and count its queries; prints JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/graphbench \\
    DJANGO_SETTINGS_MODULE=smartdiplomacy.settings.local \\
    .venv/bin/python benchmarks/graph_api.py --stakeholders 5000 --ties 50000 --requests 20

Creates the synthetic registry (replacing an earlier synthetic set; other rows are untouched) and
computes the graph snapshots (with --reuse: keeps both when there), then requests the graph
through Django's test client as a signed-in analyst: the whole graph (capped at 2,000 nodes),
the page's budget of 1,000 nodes and 3,000 ties, a kind filter, a region filter with candidates,
an ego view, the outcome view, the gaps of every outcome, and the shortest path between two
actors. Prints one JSON line, with the load average before and after and a **reference** timed
the same way in the same run: ``/healthz`` (one trivial query) through the same client;
``vs_reference`` is each request's p50 as a multiple of the reference's. Never collected as a
test.
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from graph.models import GraphSnapshot  # noqa: E402
from graph.selectors import BROWSER_MAX_EDGES, BROWSER_MAX_NODES  # noqa: E402
from graph.services import graph_snapshots_refresh  # noqa: E402
from smartdiplomacy.benchmarking import load_average, machine, ratio  # noqa: E402
from stakeholders.models import Outcome, Stakeholder, Tie  # noqa: E402
from stakeholders.synthetic.storage import synthetic_registry_create  # noqa: E402


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(client, url, params, requests):
    durations, count, size, body = [], None, 0, None
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params, HTTP_HOST="localhost")
            durations.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        count, size = len(queries.captured_queries), len(response.content)
        body = response.json()
    if isinstance(body, list):  # the gaps: one row per outcome with a gap
        body = {"nodes": body}
    return {
        "url": url,
        "params": params,
        "p50_ms": round(statistics.median(durations) * 1000, 1),
        "p95_ms": round(percentile(durations, 0.95) * 1000, 1),
        "queries": count,
        "bytes": size,
        "nodes": len(body.get("nodes", [])),
        "edges": len(body.get("edges", [])),
        "truncated": body.get("truncated"),
    }


def prepare(args) -> tuple[dict, list]:
    """Seed the synthetic registry (unless ``--reuse``) and refresh the snapshots if needed."""
    timings = {}
    if not args.reuse:
        started = time.perf_counter()
        synthetic_registry_create(
            stakeholders=args.stakeholders, stakes=args.stakes, ties=args.ties
        )
        timings["seed_s"] = round(time.perf_counter() - started, 1)
    snapshots = list(GraphSnapshot.objects.all())
    if not args.reuse or len(snapshots) < 2:
        started = time.perf_counter()
        snapshots = graph_snapshots_refresh()
        timings["snapshots_s"] = round(time.perf_counter() - started, 1)
    return timings, snapshots


def requests_timed(client, requests: int) -> list[dict]:
    """Each of the graph API's requests timed ``requests`` times."""
    some = list(Stakeholder.objects.filter(sensitivity="public").values_list("id", flat=True)[:1])
    tie = Tie.objects.filter(
        from_stakeholder__sensitivity="public", to_stakeholder__sensitivity="public"
    ).first()
    outcome = Outcome.objects.order_by("id").first()
    far = Stakeholder.objects.filter(sensitivity="public").order_by("-id").first()
    return [
        timed(client, "/api/v1/graph/", {}, requests),
        # What the explorer page asks for (graph.selectors.BROWSER_MAX_*).
        timed(
            client,
            "/api/v1/graph/",
            {"max_nodes": BROWSER_MAX_NODES, "max_edges": BROWSER_MAX_EDGES},
            requests,
        ),  # fmt: skip
        timed(client, "/api/v1/graph/", {"kind": "ngo"}, requests),
        timed(
            client,
            "/api/v1/graph/",
            {"region": "Eastern Africa", "candidates": "true", "min_strength": "0.3"},
            requests,
        ),  # fmt: skip
        timed(client, "/api/v1/graph/", {"ego": tie.from_stakeholder_id, "hops": 2}, requests),
        timed(client, "/api/v1/graph/", {"outcome": outcome.pk}, requests),
        timed(client, "/api/v1/graph/gaps/", {}, requests),
        timed(
            client,
            "/api/v1/graph/path/",
            {"source": some[0], "target": far.pk},
            requests,
        ),  # fmt: skip
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stakeholders", type=int, default=5_000)
    parser.add_argument("--ties", type=int, default=50_000)
    parser.add_argument("--stakes", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="Keep the registry already there.")
    args = parser.parse_args()
    load_before = load_average()

    timings, snapshots = prepare(args)
    user, _ = User.objects.get_or_create(username="graph-benchmark")
    client = Client()
    client.force_login(user)
    results = requests_timed(client, args.requests)
    reference = timed(client, "/healthz", {}, max(args.requests, 20))
    for result in results:
        result["vs_reference"] = ratio(result["p50_ms"], reference["p50_ms"], 1)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "stakeholders": Stakeholder.objects.count(),
                "ties": Tie.objects.count(),
                "snapshots": {
                    s.audience: {
                        "nodes": s.node_count,
                        "edges": s.edge_count,
                        "seconds": s.duration_seconds,
                    }
                    for s in snapshots
                },  # fmt: skip
                "timings": timings,
                "load_before": load_before,
                "load_after": load_average(),
                **machine(),
                "requests_each": args.requests,
                "results": results,
                "reference": {"what": "GET /healthz, same client", **reference},
            }
        )
    )


if __name__ == "__main__":
    main()
