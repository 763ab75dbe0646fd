"""``manage.py bench_overlap --stakeholders N --stakes M [--growth F] [--hubs S] [--compare]``.

The overlap job, measured. Generates a synthetic registry with skewed outcome popularity
(``stakeholders.synthetic``: Zipf popularity with hub outcomes up to half of the actors), then
runs the whole job end to end — read from the database, compute, write — in a fresh child process
so that its peak memory is the job's own, times one stakeholder's refresh (a hub holder: the worst
case), and prints ONE JSON line with the load average before and after. What a successful run
sets off afterwards (every outcome's coalitions, a separate task on the workers) is held back.

Beside the job's seconds it prints a **reference** measured in the same child on the same data:
a plain scipy sparse product of a sample of the unit-length interest rows against all of them
(single thread, best of three), scaled to every row — the floor of any cosine-based pairing — and
``compute_vs_reference``, the compute phase's ratio to it, which travels between machines.

``--mode worker`` (the default with a broker and PostgreSQL) runs it as production does: on a
Celery worker of ``--concurrency`` processes started on a queue of its own, so that two chunks
compute at once, with the CPU seconds of every worker and database process (``_bench_worker``);
``--mode eager`` runs the tasks in the child one after another. ``kernels_warm_seconds``: the
compiled kernels built (first time on a machine) or loaded from their disk cache, before any run.
``--growth F`` first runs the same at ``N/F`` stakeholders and ``M/F`` stakes and prints the
growth exponent ``k`` of ``seconds ∝ stakeholders^k`` for each phase (1 is linear).
``--hubs S`` also times the compute (in process) with the outcomes held by more than a share ``S``
of the actors left out, and says how many of the full run's candidates it still finds: the
measurement behind the README's recommendation on hub outcomes (the scoring is unchanged).
With ``--compare`` it also runs, on the same data, a plain Python pairwise loop and networkx's
bipartite projection (with the same cosine as edge weight), and prints the ratios. Not a test:
run it by hand on PostgreSQL (scratch database) for the figures in the README.
"""

import heapq
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from partnerships.models import OverlapRun
from partnerships.overlap import partitions, refresh, runs, steps, writing
from partnerships.overlap.compute import compute_all
from partnerships.overlap.kernels import kernels_warm
from partnerships.overlap.loading import registry_load
from partnerships.overlap.parameters import Parameters
from partnerships.overlap.registry import Registry
from smartdiplomacy.benchmarking import (
    best_of,
    database_maintained,
    growth_exponent,
    load_recorded,
    ratio,
)
from smartdiplomacy.celery import app

from ._bench_worker import job_on_worker

# Rows of the reference product's sample: enough to time steadily, few enough to stay quick.
REFERENCE_SAMPLE = 500


def _peak_mib(who=resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB


def _candidates_digest(run_id: int) -> str | None:
    """An MD5 of the run's candidates, every column but ``id``, in ``id`` order (untimed): two
    versions of the code wrote the same rows in the same order when it matches. Compare runs on
    the same registry (``--reuse``): regenerating it gives the stakeholders new ids."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(string_agg(concat_ws(',', stakeholder_a_id, stakeholder_b_id, overlap,"
            " complementarity, inclusion, score, likelihood, power_interest, kind_affinity,"
            " shared_partners, needed_capabilities, brings_a, brings_b, shared_count,"
            " shared_outcome_ids::text, audiences, partnership_id), ';' ORDER BY id))"
            " FROM partnerships_candidate WHERE run_id = %s",
            [run_id],
        )
        return cursor.fetchone()[0]


def _backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds used so far by the database server process ``pid`` when it runs here."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _followups_held():
    """Hold back what a successful run sets off (the coalitions of every outcome): on workers it
    is a separate task, after the job; run eagerly here it would be timed as part of the job.
    ``benchmarks/coalitions.py --database`` measures it."""
    from partnerships.signals import overlap_run_succeeded

    receivers = overlap_run_succeeded.receivers
    overlap_run_succeeded.receivers = []
    overlap_run_succeeded.sender_receivers_cache.clear()
    try:
        yield
    finally:
        overlap_run_succeeded.receivers = receivers
        overlap_run_succeeded.sender_receivers_cache.clear()


class _WriteClock:
    """Wall seconds of the write phase's parts, by wrapping what ``overlap_run_finalize`` calls
    (benchmark only; the wrappers are removed after)."""

    # (module, name): each is looked up in the module that calls it.
    NAMES = (
        (steps, "merge_pairs"), (steps, "candidates_insert"), (writing, "_binary_copy_rows"),
        (partitions, "run_partition_attach"), (partitions, "superseded_partitions_drop"),
        (steps, "_promotions_carry_over"), (steps, "_runs_tidy"),
        (steps, "registry_load"), (steps, "candidates_for_rows"), (steps, "_chunks_merged"),
    )  # fmt: skip

    def __init__(self):
        self.seconds = dict.fromkeys((name for _module, name in self.NAMES), 0.0)
        # The process's peak memory when each step returned: the first step after which it
        # jumps is where the job's peak is.
        self.peaks: dict[str, float] = {}

    @contextmanager
    def installed(self):
        originals = {(module, name): getattr(module, name) for module, name in self.NAMES}

        def timed(name, function):
            def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.seconds[name] += time.perf_counter() - started
                    self.peaks[name] = _peak_mib()

            return wrapper

        for (module, name), function in originals.items():
            setattr(module, name, timed(name, function))
        try:
            yield self
        finally:
            for (module, name), function in originals.items():
                setattr(module, name, function)

    def parts(self) -> dict:
        return {
            "merge": round(self.seconds["merge_pairs"], 3),
            "copy_into_table": round(self.seconds["candidates_insert"], 3),
            # Of which building the binary COPY rows with NumPy (the rest is the database's).
            "copy_rows_built": round(self.seconds["_binary_copy_rows"], 3),
            # PostgreSQL: attaching the run's partition, which builds its indexes in one pass
            # each (migration 0012), and dropping the superseded runs' partitions in tidying.
            "attach_and_index": round(self.seconds["run_partition_attach"], 3),
            "drop_superseded": round(self.seconds["superseded_partitions_drop"], 3),
            "promotions_carry_over": round(self.seconds["_promotions_carry_over"], 3),
            "tidy_old_runs": round(self.seconds["_runs_tidy"], 3),
        }


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
        parser.add_argument(
            "--growth", type=int, default=0, help="also run at 1/F of the sizes: growth exponent"
        )
        parser.add_argument(
            "--hubs", type=float, default=0.0, help="also compute without outcomes held by > S"
        )
        parser.add_argument("--reuse", action="store_true", help="keep the registry in the DB")
        parser.add_argument(
            "--mode",
            choices=("auto", "worker", "eager"),
            default="auto",
            help="worker: on a real Celery worker, as production runs it (auto: when a broker "
            "is configured and the database is PostgreSQL); eager: tasks in one process",
        )
        parser.add_argument("--concurrency", type=int, default=2, help="the worker's pool")
        parser.add_argument("--threads", type=int, default=0, help="per chunk; 0: the default")
        parser.add_argument("--job-only", action="store_true", help="internal: the child's part")
        parser.add_argument("--worker-only", action="store_true", help="internal: the worker")
        parser.add_argument("--queue", default="", help="internal: the worker's queue")

    def handle(self, *args, **options):
        # As in production: with DEBUG on, Django keeps every query (snapshots included) in memory.
        settings.DEBUG = False
        if options["worker_only"]:
            self._worker(options)
            return
        if options["job_only"]:
            self.stdout.write(json.dumps(self._job(options)))
            return
        result = {"database": connection.vendor, "kernels_warm_seconds": kernels_warm()}
        with load_recorded(result):
            sizes = [(options["stakeholders"], options["stakes"], options["ties"])]
            if options["growth"] > 1:
                factor = options["growth"]
                small_ties = None if options["ties"] is None else options["ties"] // factor
                sizes.insert(
                    0, (options["stakeholders"] // factor, options["stakes"] // factor, small_ties)
                )
            measured = [self._run(options, *size, reuse=options["reuse"]) for size in sizes]
            result.update(measured[-1])
            if len(measured) > 1:
                small, large = measured
                result["smaller"] = small
                result["growth_exponent"] = self._growth(small, large)
            if options["compare"]:
                result["compare"] = self._compare(result)
        self.stdout.write(json.dumps(result))

    def _run(self, options, stakeholders, stakes, ties, *, reuse) -> dict:
        # The size the growth exponent is over: the synthetic actors asked for (other rows, e.g.
        # an import benchmark's stakeholders without stakes, would skew the printed counts).
        result = {"synthetic_stakeholders": stakeholders}
        mode = self._mode(options["mode"])  # before generating: refused early
        if not reuse:
            from stakeholders.synthetic.storage import synthetic_registry_create

            generated = synthetic_registry_create(
                stakeholders=stakeholders,
                stakes=stakes,
                ties=stakeholders if ties is None else ties,
                outcomes=options["outcomes"],
                seed=options["seed"],
            )
            result["generate_seconds"] = generated["total_seconds"]
        from partnerships.models import Candidate
        from stakeholders.models import Outcome, Stake, Stakeholder, Tie

        # As autovacuum would leave them (it may be off here): no dead rows of earlier runs.
        result["maintenance"] = database_maintained(
            connection,
            [m._meta.db_table for m in (Stakeholder, Outcome, Stake, Tie, Candidate)],
        )
        command = [sys.executable, sys.argv[0], "bench_overlap", "--job-only",
                   "--chunks", str(options["chunks"]), "--hubs", str(options["hubs"]),
                   "--mode", mode, "--threads", str(options["threads"]),
                   "--concurrency", str(options["concurrency"])]  # fmt: skip
        # The worker's queue is the bench's own: tasks the child sends (and the worker's own,
        # the chunks and the finaliser) go to the default queue, named before settings load.
        env = {**os.environ, "CELERY_TASK_DEFAULT_QUEUE": f"bench-overlap-{os.getpid()}"}
        child = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if child.returncode:
            raise CommandError(f"the job failed:\n{child.stderr[-4000:]}")
        result.update(json.loads(child.stdout.strip().splitlines()[-1]))
        return result

    @staticmethod
    def _growth(small: dict, large: dict) -> dict:
        n_small, n_large = small["synthetic_stakeholders"], large["synthetic_stakeholders"]
        exponents = {
            phase: growth_exponent(n_small, small["seconds"][phase], n_large, seconds)
            for phase, seconds in large["seconds"].items()
            if small["seconds"].get(phase)
        }
        exponents["reference"] = growth_exponent(
            n_small, small["reference"]["seconds"], n_large, large["reference"]["seconds"]
        )
        # CPU seconds move far less with the machine's load than wall seconds do.
        for name in ("job", "database"):
            if small["cpu_seconds"].get(name) and large["cpu_seconds"].get(name):
                exponents[f"cpu_{name}"] = growth_exponent(
                    n_small, small["cpu_seconds"][name], n_large, large["cpu_seconds"][name]
                )
        if "hubs" in small and "hubs" in large:
            for name in ("full_compute_seconds", "pruned_compute_seconds"):
                exponents[f"hubs_{name}"] = growth_exponent(
                    n_small, small["hubs"][name], n_large, large["hubs"][name]
                )
        return {"over": [n_small, n_large], **exponents}

    # --- the job, in the child process ----------------------------------------------------------

    @staticmethod
    def _mode(mode: str) -> str:
        """``auto``: on a worker when there is a broker to queue on and PostgreSQL (whose server
        processes' CPU seconds can be read), else in process."""
        broker = settings.CELERY_BROKER_URL or ""
        on_worker = not broker.startswith("memory://") and connection.vendor == "postgresql"
        if mode == "worker" and not on_worker:
            raise CommandError("--mode worker needs CELERY_BROKER_URL and PostgreSQL")
        return mode if mode != "auto" else ("worker" if on_worker else "eager")

    def _worker(self, options) -> None:
        """The benchmark's Celery worker (``--worker-only``): the project's app, as
        docker-compose.yml starts it, with what a successful run sets off held back."""
        with _followups_held():
            app.worker_main(
                ["worker", "-Q", options["queue"], "-n", f"{options['queue']}@%h",
                 f"--concurrency={options['concurrency']}", "--pool=prefork",
                 "--without-heartbeat", "--without-mingle", "--without-gossip",
                 "--loglevel=INFO"]
            )  # fmt: skip

    def _job(self, options) -> dict:
        OverlapRun.objects.filter(is_active=True).update(is_active=False, status="failed")
        parameters = {"chunks": options["chunks"]}
        if options["threads"]:
            parameters["threads"] = options["threads"]
        if options["mode"] == "worker":
            run, total, figures = job_on_worker(
                options["concurrency"], parameters, own_backend=_backend_pid()
            )
        else:
            run, total, figures = self._job_eager(parameters)
        if run.status != OverlapRun.Status.SUCCEEDED:
            raise CommandError(run.error)
        return self._job_figures(options, run, total, figures)

    @staticmethod
    def _job_eager(parameters: dict) -> tuple[OverlapRun, float, dict]:
        """The job in this process, its tasks run eagerly one after another."""
        app.conf.task_always_eager = True  # the same code the workers run, here in process
        clock = _WriteClock()
        backend = _backend_pid()
        backend_cpu = _backend_cpu_seconds(backend)
        cpu = time.process_time()
        started = time.perf_counter()
        with clock.installed(), _followups_held():
            run, _ = runs.overlap_run_request(parameters=parameters)
            steps.overlap_run_execute(run_id=run.pk)
        run.refresh_from_db()
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu
        if backend_cpu is not None:
            backend_cpu = round(_backend_cpu_seconds(backend) - backend_cpu, 3)
        seconds = {
            **run.timings,
            "outside_phases": round(total - sum(run.timings.values()), 3),
            "total": round(total, 3),
        }
        return (
            run,
            total,
            {
                "mode": "eager",
                # The run's phases (load, compute, store, gather, write, tidy) add up to the job
                # but for what is outside all of them (requesting the run, leases, task overhead).
                "seconds": seconds,
                # Where the write phase goes (wall seconds), and CPU seconds, which the machine's
                # load moves far less than wall seconds: this process (all its threads) and the
                # database server process of its connection.
                "write_parts": clock.parts(),
                "peak_memory_mib_after": clock.peaks,
                "cpu_seconds": {"job": round(cpu, 3), "database": backend_cpu},
                "peak_memory_mib": _peak_mib(),
            },
        )

    def _job_figures(self, options, run: OverlapRun, total: float, figures: dict) -> dict:
        """The figures printed beside the job's own: digest, refresh, reference, hubs."""
        digest = _candidates_digest(run.pk)
        refresh_seconds = self._refresh_seconds()
        registry, _ = registry_load()
        reference = self._reference(registry)
        figures = {
            "stakeholders": run.stakeholder_count,
            "stakes": run.stake_count,
            "candidates": run.candidate_count,
            "candidates_digest": digest,
            "chunks": run.chunks_total,
            "threads": run.parameters.get("threads"),
            **figures,
            "refresh_seconds": refresh_seconds,
            "reference": reference,
            "compute_vs_reference": ratio(run.timings.get("compute"), reference["seconds"]),
            "total_vs_reference": ratio(total, reference["seconds"]),
            "hub_outcomes": self._hub_profile(registry),
        }
        if options["hubs"]:
            figures["hubs"] = self._hubs(registry, options["hubs"])
        return figures

    @staticmethod
    def _reference(registry: Registry) -> dict:
        """A plain scipy product of sampled unit rows against all rows, scaled to every row."""
        rows = registry.row_order()
        normalized = registry.normalized
        sample = rows[np.linspace(0, len(rows) - 1, min(REFERENCE_SAMPLE, len(rows))).astype(int)]
        transposed = normalized.T.tocsr()
        block = normalized[sample]
        seconds = best_of(lambda: block @ transposed)
        return {
            "what": "scipy csr product, sampled unit rows × all rows, 1 thread, best of 3",
            "sample_rows": len(sample),
            "sample_seconds": round(seconds, 4),
            "seconds": round(seconds * len(rows) / max(1, len(sample)), 3),
        }

    @staticmethod
    def _hub_profile(registry: Registry) -> dict:
        """How much of the pairwise work the popular outcomes make: Σ holders² by share held."""
        holders = np.bincount(registry.interest.indices, minlength=registry.interest.shape[1])
        actors = max(1, int(np.count_nonzero(registry.norms > 0)))
        work = holders.astype(np.float64) ** 2
        total = float(work.sum()) or 1.0
        return {
            "largest_share": round(float(holders.max(initial=0)) / actors, 3),
            **{
                f"over_{int(share * 100)}pct": {
                    "outcomes": int(np.count_nonzero(holders > share * actors)),
                    "share_of_stakes": round(
                        float(holders[holders > share * actors].sum()) / max(1, holders.sum()), 3
                    ),
                    "share_of_pair_work": round(
                        float(work[holders > share * actors].sum()) / total, 3
                    ),
                }
                for share in (0.01, 0.05, 0.2)
            },
        }

    @staticmethod
    def _hubs(registry: Registry, share: float) -> dict:
        """The compute with and without the outcomes held by more than ``share`` of the actors,
        and how many of the full run's candidate pairs the pruned one still finds."""
        params = Parameters()
        threads = runs.default_threads()
        started = time.perf_counter()
        full = compute_all(registry, params, threads=threads)
        full_seconds = time.perf_counter() - started

        holders = np.bincount(registry.interest.indices, minlength=registry.interest.shape[1])
        actors = max(1, int(np.count_nonzero(registry.norms > 0)))
        keep = holders <= share * actors
        interest = registry.interest.tocsc()[:, np.flatnonzero(keep)].tocsr()
        pruned_registry = Registry(
            ids=registry.ids, kinds=registry.kinds, capabilities=registry.capabilities,
            inclusive=registry.inclusive, interest=interest,
            outcome_ids=registry.outcome_ids[keep], needs=registry.needs[keep],
            tie_keys=registry.tie_keys, public=registry.public,
        )  # fmt: skip
        started = time.perf_counter()
        pruned = compute_all(pruned_registry, params, threads=threads)
        pruned_seconds = time.perf_counter() - started

        def pairs(selection):
            return set(zip(selection.src.tolist(), selection.dst.tolist(), strict=True))

        def best_partner(selection):
            if not len(selection):
                return {}
            both_src = np.r_[selection.src, selection.dst]
            both_dst = np.r_[selection.dst, selection.src]
            score = np.r_[selection.score, selection.score]
            order = np.lexsort((both_dst, -score, both_src))
            first = np.r_[True, both_src[order][1:] != both_src[order][:-1]]
            return dict(
                zip(both_src[order][first].tolist(), both_dst[order][first].tolist(), strict=True)
            )

        full_pairs, pruned_pairs = pairs(full), pairs(pruned)
        full_best, pruned_best = best_partner(full), best_partner(pruned)
        same_best = sum(
            1 for actor, partner in full_best.items() if pruned_best.get(actor) == partner
        )
        return {
            "pruned_share": share,
            "pruned_outcomes": int(np.count_nonzero(~keep)),
            "pruned_stakes": int(holders[~keep].sum()),
            "threads": threads,
            "full_compute_seconds": round(full_seconds, 3),
            "pruned_compute_seconds": round(pruned_seconds, 3),
            "speedup": ratio(full_seconds, pruned_seconds, 1),
            "full_candidates": len(full_pairs),
            "pruned_candidates": len(pruned_pairs),
            "full_pairs_still_found": ratio(len(full_pairs & pruned_pairs), len(full_pairs), 3),
            "best_partner_unchanged": ratio(same_best, len(full_best), 3),
            "note": "pruned = those outcomes left out of the interest matrix (cosines, needs and "
            "shared outcomes over the rest); scores as defined, nothing written",
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
            refresh.candidates_refresh_stakeholder(stakeholder_id=stakeholder_id)
            seconds[name] = round(time.perf_counter() - started, 3)
        return seconds

    # --- the same data, the slow ways ---------------------------------------------------------

    def _compare(self, result: dict) -> dict:
        registry, _ = registry_load()
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
