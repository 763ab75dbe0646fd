"""``make bench``: the headline benchmarks at reduced sizes, in under 10 minutes, as one table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch> \\
    CACHE_URL=redis://127.0.0.1:6379/<db> \\
        .venv/bin/python benchmarks/run_all.py [--only overlap scores_api] [--json out.jsonl]

Runs each benchmark as its own process (as its README command does, only smaller), reads the one
JSON line it prints, and prints one table: the figure, the reference measured in the same run on
the same data, their ratio, and the load average before and after. The ratio is what to compare
with the README's on another machine; the absolute figure says as much about the machine and its
neighbours as about the code. The database's synthetic registry is REPLACED: use a scratch
database. Never collected as a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smartdiplomacy.benchmarking import load_average, machine  # noqa: E402

PYTHON = sys.executable
MANAGE = [PYTHON, "manage.py"]


def _overlap(result: dict) -> list[dict]:
    growth = result.get("growth_exponent", {})
    smaller = result.get("smaller", {})
    return [
        {
            "figure": f"{result['seconds']['total']:.1f} s end to end "
            f"({result['stakeholders']:,} / {result['stakes']:,}); "
            f"compute {result['seconds'].get('compute', 0):.1f} s, "
            f"write {result['seconds'].get('write', 0):.1f} s",
            "reference": f"{result['reference']['seconds']:.2f} s scipy product",
            "ratio": f"compute ×{result['compute_vs_reference']}, "
            f"total ×{result['total_vs_reference']}",
        },
        {
            "figure": f"growth exponent {growth.get('total')} (total), "
            f"{growth.get('compute')} (compute), {growth.get('cpu_job')} (job CPU s) over "
            f"{smaller.get('synthetic_stakeholders', 0):,} → "
            f"{result.get('synthetic_stakeholders', 0):,} synthetic actors",
            "reference": f"scipy product {growth.get('reference')}",
            "ratio": "",
        },
    ]


def _rescore(result: dict) -> list[dict]:
    seconds = result["seconds"]
    return [
        {
            "figure": f"{seconds['rescore_total']:.1f} s for {result['scores_written']:,} "
            f"engagements ({result['engagements_per_second']:,}/s)",
            "reference": f"{result['reference']['seconds']:.2f} s NumPy read-sum-COPY",
            "ratio": f"×{result['vs_reference']}",
        }
    ]


def _scores_api(result: dict) -> list[dict]:
    reference = result.get("reference", {})
    ratios = result.get("vs_reference", {})
    return [
        {
            "figure": f"p95 {result['p95_ms']} ms, p50 {result['p50_ms']} ms, "
            f"{result['requests_per_s']} req/s, {result['errors']} errors "
            f"({result['clients']} clients, {result['page_size']}-row pages)",
            "reference": f"/healthz p95 {reference.get('p95_ms')} ms, "
            f"{reference.get('requests_per_s')} req/s",
            "ratio": f"p95 ×{ratios.get('p95')}, req/s ×{ratios.get('requests_per_s')}",
        }
    ]


def _graph_api(result: dict) -> list[dict]:
    whole = result["results"][0]
    return [
        {
            "figure": f"whole graph p50 {whole['p50_ms']} ms, {whole['queries']} queries "
            f"({result['stakeholders']:,} actors / {result['ties']:,} ties)",
            "reference": f"/healthz p50 {result['reference']['p50_ms']} ms",
            "ratio": f"×{whole['vs_reference']}",
        }
    ]


def _graph_page(result: dict) -> list[dict]:
    return [
        {
            "figure": f"first frame {result['first_frame']['median_s']} s median, "
            f"{result['fps_panning_zooming']} fps panning "
            f"({result['stakeholders']:,} actors / {result['ties']:,} ties)",
            "reference": f"home page {result['reference']['median_s']} s; "
            f"2-hop view {result['ego_fps']} fps",
            "ratio": f"×{result['vs_reference']}; fps ×{result['fps_ratio_whole_over_ego']}",
        }
    ]


def _import(result: dict) -> list[dict]:
    return [
        {
            "figure": f"{result['rows']:,} rows: dry run {result['create_dry_run_s']} s, "
            f"import {result['create_apply_s']} s",
            "reference": f"{result['reference']['seconds']} s csv + COPY",
            "ratio": f"dry run ×{result['vs_reference']['create_dry_run']}, "
            f"import ×{result['vs_reference']['create_apply']}",
        }
    ]


def _coalitions(result: dict) -> list[dict]:
    rows = []
    for greedy in result["greedy"]:
        rows.append(
            {
                "figure": f"greedy {greedy['actors']:,} actors {greedy['median_s']} s median",
                "reference": f"{greedy['reference_s']} s NumPy pairs pass",
                "ratio": f"×{greedy['vs_reference']}",
            }
        )
    for exact in result["exact"]:
        rows.append(
            {
                "figure": f"exact {exact['actors']} actors {exact['exact_median_s']} s median",
                "reference": f"{exact['reference_s']} s NumPy triples pass",
                "ratio": f"×{exact['vs_reference']}",
            }
        )
    return rows


# name, command, how to read its JSON, the README's full-size command it stands for
BENCHMARKS = [
    (
        "overlap",
        [*MANAGE, "bench_overlap", "--stakeholders", "20000", "--stakes", "200000",
         "--growth", "2"],
        _overlap,
    ),
    (
        "rescore",
        [*MANAGE, "bench_rescore", "--engagements", "10000", "--stakeholders", "5000"],
        _rescore,
    ),
    (
        "scores_api",
        [PYTHON, "benchmarks/scores_api_load.py", "--engagements", "5000", "--clients", "32",
         "--seconds", "15", "--requests", "100000", "--reference-seconds", "8"],
        _scores_api,
    ),
    (
        "graph_api",
        [PYTHON, "benchmarks/graph_api.py", "--stakeholders", "1000", "--ties", "10000",
         "--stakes", "5000", "--requests", "5"],
        _graph_api,
    ),
    ("graph_page", [PYTHON, "benchmarks/graph_page.py", "--loads", "3"], _graph_page),
    (
        "import",
        [PYTHON, "benchmarks/import_registry.py", "--rows", "5000", "--remove-after"],
        _import,
    ),
    (
        "coalitions",
        [PYTHON, "benchmarks/coalitions.py", "--exact", "20", "40", "--greedy", "1000",
         "--pools", "3"],
        _coalitions,
    ),
]  # fmt: skip


def run(name: str, command: list[str], timeout: float) -> tuple[dict | None, str, float]:
    started = time.perf_counter()
    try:
        child = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s", time.perf_counter() - started
    seconds = time.perf_counter() - started
    lines = [line for line in child.stdout.strip().splitlines() if line.startswith("{")]
    if child.returncode or not lines:
        return None, (child.stderr or child.stdout).strip()[-600:], seconds
    return json.loads(lines[-1]), "", seconds


def table(rows: list[dict]) -> str:
    header = ["benchmark", "figure", "same-run reference", "ratio", "load before → after", "s"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                str(row.get(key, ""))
                for key in ("benchmark", "figure", "reference", "ratio", "load", "seconds")
            )
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the benchmarks to run")
    parser.add_argument("--json", type=Path, help="also append every JSON line to this file")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per benchmark")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "Set DATABASE_URL to a scratch PostgreSQL database (its synthetic registry is "
            "replaced), and CACHE_URL to a Redis database for the scores API, then run again."
        )
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    started = time.perf_counter()
    first_load = load_average()
    rows = []
    for name, command, read in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        before = load_average()
        print(f"… {name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
        result, error, seconds = run(name, command, args.timeout)
        after = load_average()
        load = f"{before[0]:.1f} → {after[0]:.1f}" if before and after else ""
        if result is None:
            rows.append(
                {"benchmark": name, "figure": f"FAILED: {error}", "load": load, "seconds": ""}
            )
            continue
        if args.json:
            with args.json.open("a") as handle:
                handle.write(json.dumps({"benchmark": name, **result}) + "\n")
        for n, row in enumerate(read(result)):
            rows.append(
                {
                    "benchmark": name if n == 0 else "",
                    **row,
                    "load": load if n == 0 else "",
                    "seconds": f"{seconds:.0f}" if n == 0 else "",
                }
            )
    print(table(rows))
    total = time.perf_counter() - started
    print(
        f"\n{total / 60:.1f} min in all; load average {first_load} at the start, "
        f"{load_average()} at the end; {machine()}. Ratios = figure / same-run reference "
        "(compare them with the README's Performance section)."
    )


if __name__ == "__main__":
    main()
