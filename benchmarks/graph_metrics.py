"""Time the graph snapshot's metrics (and layout) on igraph at given sizes; prints ONE JSON line.

    .venv/bin/python benchmarks/graph_metrics.py --sizes 5000x50000 100000x1000000

For each size, in a fresh subprocess (so that its peak memory is its own): a seeded random graph
with communities (a stochastic block model: blocks of ~50 actors, half the ties inside a block)
and strengths, then ``graph.fastmetrics.graph_build``, ``graph_metrics`` and (with --layout, or
always up to 20,000 actors) ``graph_layout``, each timed, with the process's peak resident memory.
The same run measures the reference: networkx (``graph.metrics``) and igraph on the same sample
graph of ``--reference-nodes`` actors, and prints their ratio. Load average before and after.
Pure computation: no database (benchmarks/graph_api.py times the snapshot through Django).
Never collected as a test.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample_graph(nodes: int, ties: int, *, seed: int = 1):
    """``ties`` distinct ties among ``nodes`` actors, half inside blocks of ~50, with strengths."""
    from graph.metrics import EdgeRow

    rnd = random.Random(seed)
    block = 50
    seen: set[tuple[int, int]] = set()
    edges = []
    while len(edges) < ties:
        a = rnd.randrange(nodes)
        if rnd.random() < 0.5:
            start = (a // block) * block
            b = rnd.randrange(start, min(nodes, start + block))
        else:
            b = rnd.randrange(nodes)
        key = (a, b) if a < b else (b, a)
        if a == b or key in seen:
            continue
        seen.add(key)
        edges.append(EdgeRow(a, b, "partners_with", round(rnd.random(), 2)))
    return list(range(nodes)), edges


def measure_one(nodes: int, ties: int, layout: bool) -> dict:
    from graph import fastmetrics

    node_ids, edges = sample_graph(nodes, ties)
    timings = {}
    started = time.perf_counter()
    built = fastmetrics.graph_build(node_ids, edges)
    timings["build_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    result = fastmetrics.graph_metrics(built)
    timings["metrics_s"] = round(time.perf_counter() - started, 2)
    if layout:
        started = time.perf_counter()
        fastmetrics.graph_layout(built)
        timings["layout_s"] = round(time.perf_counter() - started, 2)
    timings["total_s"] = round(sum(timings.values()), 2)
    return {
        "nodes": nodes,
        "ties": ties,
        "betweenness": "exact"
        if nodes <= fastmetrics.EXACT_BETWEENNESS_MAX_NODES
        else f"sampled from {fastmetrics.betweenness_samples(nodes, ties)} sources",
        "communities": len({v["community"] for v in result.values()}),
        **timings,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def reference(nodes: int) -> dict:
    """networkx and igraph on the same sample graph (exact betweenness in both)."""
    from graph import fastmetrics, metrics

    node_ids, edges = sample_graph(nodes, nodes * 10, seed=2)
    started = time.perf_counter()
    metrics.graph_metrics(metrics.graph_build(node_ids, edges))
    networkx_s = time.perf_counter() - started
    started = time.perf_counter()
    fastmetrics.graph_metrics(fastmetrics.graph_build(node_ids, edges), exact_max=nodes)
    igraph_s = time.perf_counter() - started
    return {
        "nodes": nodes,
        "ties": nodes * 10,
        "networkx_s": round(networkx_s, 2),
        "igraph_s": round(igraph_s, 2),
        "networkx_over_igraph": round(networkx_s / igraph_s, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["5000x50000", "100000x1000000"])
    parser.add_argument("--layout", action="store_true", help="Also time the layout at every size.")
    parser.add_argument("--reference-nodes", type=int, default=1_000)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a single size, in a subprocess
    args = parser.parse_args()
    if args.one:
        nodes, ties = (int(x) for x in args.one.split("x"))
        print(json.dumps(measure_one(nodes, ties, args.layout or nodes <= 20_000)))
        return
    load_before = [round(x, 2) for x in os.getloadavg()]
    sizes = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", size] + (["--layout"] if args.layout else [])
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        sizes.append(json.loads(output.stdout.strip().splitlines()[-1]))
    ref = reference(args.reference_nodes)
    print(
        json.dumps(
            {
                "benchmark": "graph_metrics",
                "cpus": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "sizes": sizes,
                "reference_same_run": ref,
            }
        )
    )


if __name__ == "__main__":
    main()
