"""``manage.py bench_overlap --stakeholders N --stakes M [--compare]``: the overlap job, measured.

Generates a synthetic registry with skewed outcome popularity (``stakeholders.synthetic``: Zipf
popularity with hub outcomes up to half of the actors), then runs the whole job end to end —
read from the database, compute, write — in a fresh child process so that its peak memory is the
job's own, times one stakeholder's refresh (a hub holder: the worst case), and prints ONE JSON
line. With ``--compare`` it also runs, on the same data, a plain Python pairwise loop and
networkx's bipartite projection (with the same cosine as edge weight), and prints the ratios.

Not a test: run it by hand on PostgreSQL (scratch database) for the figures in the README.
"""

import heapq
import json
import math
import resource
import subprocess
import sys
import time
from collections import defaultdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from partnerships import services
from partnerships.models import OverlapRun
from partnerships.overlap import Parameters, compute_all
from smartdiplomacy.celery import app


def _peak_mib(who=resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--stakeholders", type=int, default=20_000)
        parser.add_argument("--stakes", type=int, default=200_000)
        parser.add_argument("--ties", type=int, default=None, help="default: one per stakeholder")
        parser.add_argument("--outcomes", type=int, default=None)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--chunks", type=int, default=0, help="0: one per 25,000 actors")
        parser.add_argument("--compare", action="store_true", help="also pure Python, networkx")
        parser.add_argument("--reuse", action="store_true", help="keep the registry in the DB")
        parser.add_argument("--job-only", action="store_true", help="internal: the child's part")

    def handle(self, *args, **options):
        # As in production: with DEBUG on, Django keeps every query (snapshots included) in memory.
        settings.DEBUG = False
        if options["job_only"]:
            self.stdout.write(json.dumps(self._job(options)))
            return
        result = {"database": connection.vendor}
        if not options["reuse"]:
            from stakeholders.synthetic import synthetic_registry_create

            generated = synthetic_registry_create(
                stakeholders=options["stakeholders"],
                stakes=options["stakes"],
                ties=options["stakeholders"] if options["ties"] is None else options["ties"],
                outcomes=options["outcomes"],
                seed=options["seed"],
            )
            result["generate_seconds"] = generated["total_seconds"]
        command = [sys.executable, sys.argv[0], "bench_overlap", "--job-only",
                   "--chunks", str(options["chunks"])]  # fmt: skip
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode:
            raise CommandError(f"the job failed:\n{child.stderr[-4000:]}")
        result.update(json.loads(child.stdout.strip().splitlines()[-1]))
        if options["compare"]:
            result["compare"] = self._compare(result)
        self.stdout.write(json.dumps(result))

    # --- the job, in the child process ----------------------------------------------------------

    def _job(self, options) -> dict:
        app.conf.task_always_eager = True  # the same code the workers run, here in process
        OverlapRun.objects.filter(is_active=True).update(is_active=False, status="failed")
        started = time.perf_counter()
        run, _ = services.overlap_run_request(parameters={"chunks": options["chunks"]})
        services.overlap_run_execute(run_id=run.pk)
        run.refresh_from_db()
        total = time.perf_counter() - started
        if run.status != OverlapRun.Status.SUCCEEDED:
            raise CommandError(run.error)
        peak_job = _peak_mib()
        refresh = self._refresh_seconds()
        return {
            "stakeholders": run.stakeholder_count,
            "stakes": run.stake_count,
            "candidates": run.candidate_count,
            "chunks": run.chunks_total,
            "seconds": {**run.timings, "total": round(total, 3)},
            "peak_memory_mib": peak_job,
            "refresh_seconds": refresh,
        }

    def _refresh_seconds(self) -> dict:
        """One refresh of the stakeholder holding the most popular outcome, and of a typical one."""
        from django.db.models import Count

        from stakeholders.models import Stake

        hub = Stake.objects.values("outcome").annotate(n=Count("id")).order_by("-n").first() or {}
        hub_holder = (
            Stake.objects.filter(outcome=hub.get("outcome")).values_list("stakeholder", flat=True)
            .order_by("stakeholder").first()
        )  # fmt: skip
        typical = Stake.objects.order_by("?").values_list("stakeholder", flat=True).first()
        seconds = {}
        for name, stakeholder_id in (("hub_holder", hub_holder), ("typical", typical)):
            if stakeholder_id is None:
                continue
            started = time.perf_counter()
            services.candidates_refresh_stakeholder(stakeholder_id=stakeholder_id)
            seconds[name] = round(time.perf_counter() - started, 3)
        return seconds

    # --- the same data, the slow ways ---------------------------------------------------------

    def _compare(self, result: dict) -> dict:
        registry, _ = services.registry_load()
        params = Parameters()
        started = time.perf_counter()
        compute_all(registry, params, chunks=1)
        ours = time.perf_counter() - started

        interest = registry.interest.tocsr()
        rows = [
            dict(zip(interest.indices[a:b].tolist(), interest.data[a:b].tolist(), strict=False))
            for a, b in zip(interest.indptr[:-1], interest.indptr[1:], strict=False)
        ]
        norms = registry.norms.tolist()
        kinds = registry.kinds.tolist()
        ties = set(registry.tie_keys.tolist())
        n = registry.size

        def cosine(i, j):
            small, large = (rows[i], rows[j]) if len(rows[i]) < len(rows[j]) else (rows[j], rows[i])
            dot = sum(v * large[o] for o, v in small.items() if o in large)
            return dot / (norms[i] * norms[j]) if dot else 0.0

        # Plain Python: every pair, the cosine, each stakeholder's top K by overlap.
        started = time.perf_counter()
        best = defaultdict(list)
        for i in range(n):
            if not norms[i]:
                continue
            for j in range(i + 1, n):
                if not norms[j] or kinds[i] == kinds[j] or i * n + j in ties:
                    continue
                value = cosine(i, j)
                if value > 0:
                    for a, b in ((i, j), (j, i)):
                        heap = best[a]
                        if len(heap) < params.top_k:
                            heapq.heappush(heap, (value, b))
                        elif value > heap[0][0]:
                            heapq.heapreplace(heap, (value, b))
        python_loop = time.perf_counter() - started

        # networkx: the bipartite stakeholder–outcome graph projected onto the stakeholders, with
        # the same cosine as the edge weight.
        import networkx as nx
        from networkx.algorithms import bipartite

        started = time.perf_counter()
        graph = nx.Graph()
        actors = [("s", i) for i in range(n) if norms[i]]
        graph.add_nodes_from(actors, bipartite=0)
        for i, row in enumerate(rows):
            for outcome, value in row.items():
                graph.add_edge(("s", i), ("o", outcome), weight=value)
        projected = bipartite.generic_weighted_projected_graph(
            graph, actors, weight_function=lambda g, u, v: cosine(u[1], v[1])
        )
        networkx_seconds = time.perf_counter() - started
        return {
            "ours_compute_seconds": round(ours, 3),
            "ours_whole_job_seconds": result["seconds"]["total"],
            "python_loop_seconds": round(python_loop, 3),
            "networkx_projection_seconds": round(networkx_seconds, 3),
            "networkx_edges": projected.number_of_edges(),
            "speedup_vs_python_loop": round(python_loop / ours, 1),
            "speedup_vs_networkx": round(networkx_seconds / ours, 1),
            "speedup_vs_networkx_whole_job": round(
                networkx_seconds / result["seconds"]["total"], 1
            ),
            "note": "ours = compute phase in process on the same arrays; the loop and networkx "
            "compute cosines only (no complementarity, no writing), so the ratios favour them",
            "peak_memory_mib_parent": _peak_mib(),
            "pairs": math.comb(n, 2),
        }
