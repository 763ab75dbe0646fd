"""Time the coalition solvers on synthetic outcome pools; prints one JSON line.

    .venv/bin/python benchmarks/coalitions.py                      # exact 10..60, greedy 5,000
    .venv/bin/python benchmarks/coalitions.py --exact 20 30 40 --greedy 1000 5000 --pools 5
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/coalitions.py --database 3

Pure core only (no database): each pool is an outcome's stakeholders drawn like the registry's
(kinds skewed towards NGOs, states and firms; 1–3 capabilities each; the outcome needs 4; women's
groups and grassroots movements inclusive, plus a fifth of the others working locally; interest
and influence uniform; ``--degree`` ties per actor on average and 1 in 50 tied pairs opposing).
For every exact size it reports the median and largest time over ``--pools`` pools and how often
the greedy found the same value, and the lowest greedy/exact ratio; for every greedy size the
time, the certified share (value / upper bound) and the a priori guarantee.

With ``--database N``: the N outcomes with most stakeholders in the database ``DATABASE_URL``
names (e.g. after ``manage.py seed_demo --stakeholders 5000 --stakes 50000 --outcomes 10``),
computed end to end by the service for both audiences — read, solve, write — from scratch.

Every report carries the load average before and after and, for each pure-core size, a
**reference** timed in the same run on the same pool: one plain NumPy pass over every pair of the
pool for the greedy (the union of the two toolboxes' capability bits, its popcount and the
pair's interest × influence) and over every triple for the exact search, best of three;
``vs_reference`` is the solver's median as a multiple of it, which compares across machines.
Never collected as a test.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from partnerships.coalitions.core.exact import solve_exact  # noqa: E402
from partnerships.coalitions.core.greedy import solve_greedy  # noqa: E402
from partnerships.coalitions.core.pool import CAPABILITY_BITS, Parameters, Pool, build_pool  # noqa: E402
from smartdiplomacy.benchmarking import best_of, load_average, machine, ratio  # noqa: E402

KIND_WEIGHTS = np.array([14, 6, 30, 12, 6, 8, 8, 5, 4, 4, 3], dtype=float)  # 11 kinds
INCLUSIVE_KINDS = (5, 9)  # women's group, grassroots movement


def synthetic_pool(n: int, *, seed: int, degree: float = 4.0) -> Pool:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KIND_WEIGHTS), size=n, p=KIND_WEIGHTS / KIND_WEIGHTS.sum())
    capabilities = np.zeros(n, dtype=np.int64)
    for count in (1, 2, 3):
        chosen = rng.random(n) < 0.5 if count > 1 else np.ones(n, dtype=bool)
        capabilities[chosen] |= 1 << rng.integers(0, CAPABILITY_BITS, size=chosen.sum())
    needed = int(np.bitwise_or.reduce(1 << rng.choice(CAPABILITY_BITS, 4, replace=False)))
    inclusive = np.isin(kinds, INCLUSIVE_KINDS) | (rng.random(n) < 0.2)
    pairs = int(n * degree / 2)
    left = rng.integers(0, n, size=pairs)
    right = rng.integers(0, n, size=pairs)
    opposing = rng.random(pairs) < 0.02
    ids = np.arange(1, n + 1) * 7
    return build_pool(
        stakeholder_ids=ids,
        kinds=kinds,
        capabilities=capabilities,
        inclusive=inclusive,
        interest=rng.uniform(0.1, 1.0, size=n),
        influence=rng.uniform(0.0, 1.0, size=n),
        needed=needed,
        tie_from_ids=ids[left[~opposing]],
        tie_to_ids=ids[right[~opposing]],
        tie_strengths=rng.uniform(0.2, 1.0, size=(~opposing).sum()),
        conflict_from_ids=ids[left[opposing]],
        conflict_to_ids=ids[right[opposing]],
    )


def pairs_pass_seconds(pool: Pool) -> float:
    """The reference: every pair's joint toolbox size and interest × influence, in NumPy."""
    caps = pool.capabilities.astype(np.uint16)
    weight = pool.interest * pool.influence

    def once():
        union = np.bitwise_or.outer(caps, caps)
        covered = np.unpackbits(union.view(np.uint8), axis=-1).reshape(len(caps), -1).sum(axis=1)
        return covered, np.multiply.outer(weight, weight).max(axis=1)

    return best_of(once)


def triples_pass_seconds(pool: Pool) -> float:
    """The exact search's reference: every triple's joint toolbox size and summed interest."""
    import itertools

    caps = pool.capabilities.astype(np.uint16)
    triples = np.array(list(itertools.combinations(range(len(caps)), 3)), dtype=np.int64)

    def once():
        union = caps[triples[:, 0]] | caps[triples[:, 1]] | caps[triples[:, 2]]
        covered = np.unpackbits(union.view(np.uint8).reshape(-1, 2), axis=1).sum(axis=1)
        return covered, pool.interest[triples].sum(axis=1)

    return best_of(once)


def timed(solver, pool, params):
    started = time.perf_counter()
    solution = solver(pool, params)
    return solution, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exact", type=int, nargs="*", default=[10, 20, 30, 40, 50, 60])
    parser.add_argument("--greedy", type=int, nargs="*", default=[200, 1000, 5000])
    parser.add_argument("--pools", type=int, default=5, help="pools per size")
    parser.add_argument("--degree", type=float, default=4.0, help="ties per actor on average")
    parser.add_argument("--coalitions", type=int, default=Parameters.coalitions)
    parser.add_argument("--database", type=int, default=0, metavar="N", help="see above")
    args = parser.parse_args()
    load_before = load_average()
    if args.database:
        report = database_report(args.database)
        print(json.dumps({**report, "load_before": load_before, "load_after": load_average()}))
        return
    params = Parameters(coalitions=args.coalitions)
    report = {
        "parameters": params.as_dict(),
        "degree": args.degree,
        "exact": [],
        "greedy": [],
        "load_before": load_before,
        **machine(),
    }
    for n in args.exact:
        times, greedy_times, same, ratios, certified = [], [], 0, [], []
        for seed in range(args.pools):
            pool = synthetic_pool(n, seed=seed, degree=args.degree)
            exact, seconds = timed(solve_exact, pool, params)
            greedy, greedy_seconds = timed(solve_greedy, pool, params)
            times.append(seconds)
            greedy_times.append(greedy_seconds)
            if exact.coalitions and greedy.coalitions:
                best, found = exact.coalitions[0].value, greedy.coalitions[0].value
                same += abs(best - found) < 1e-9
                ratios.append(found / best)
                certified.append(greedy.coalitions[0].bound)
        reference = triples_pass_seconds(synthetic_pool(n, seed=0, degree=args.degree))
        report["exact"].append(
            {
                "actors": n,
                "reference_s": round(reference, 5),
                "vs_reference": ratio(statistics.median(times), reference, 1),
                "exact_median_s": round(statistics.median(times), 4),
                "exact_max_s": round(max(times), 4),
                "greedy_median_s": round(statistics.median(greedy_times), 4),
                "greedy_same_value": f"{same}/{len(ratios)}",
                "greedy_worst_ratio": round(min(ratios), 4) if ratios else None,
                "greedy_worst_certified": round(min(certified), 4) if certified else None,
            }
        )
    for n in args.greedy:
        times, certified, guarantees = [], [], []
        for seed in range(args.pools):
            pool = synthetic_pool(n, seed=seed, degree=args.degree)
            greedy, seconds = timed(solve_greedy, pool, params)
            times.append(seconds)
            if greedy.coalitions:
                certified.append(greedy.coalitions[0].bound)
                guarantees.append(round(greedy.guarantee, 3))
        reference = pairs_pass_seconds(synthetic_pool(n, seed=0, degree=args.degree))
        report["greedy"].append(
            {
                "actors": n,
                "reference_s": round(reference, 4),
                "vs_reference": ratio(statistics.median(times), reference, 1),
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "certified_min": round(min(certified), 4) if certified else None,
                "certified_median": round(statistics.median(certified), 4) if certified else None,
                "a_priori_guarantees": guarantees,
            }
        )
    report["reference"] = (
        "NumPy pass over every triple (exact) or pair (greedy) of the pool: union of toolboxes, "
        "popcount, best of 3"
    )
    report["load_after"] = load_average()
    print(json.dumps(report))


def database_report(count: int) -> dict:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")
    import django

    django.setup()
    from django.db.models import Count

    from partnerships.coalitions import services
    from partnerships.models import CoalitionComputation
    from stakeholders.models import Outcome

    outcomes = Outcome.objects.annotate(holders=Count("stakes")).order_by("-holders")[:count]
    rows = []
    for outcome in outcomes:
        CoalitionComputation.objects.filter(outcome=outcome).delete()
        started = time.perf_counter()
        inputs = services.outcome_inputs_load(outcome)
        read = time.perf_counter() - started
        results = services.coalitions_compute(outcome_id=outcome.pk)
        total = time.perf_counter() - started
        computations = {c.audience: c for c in CoalitionComputation.objects.filter(outcome=outcome)}
        rows.append(
            {
                "outcome": outcome.pk,
                "stakeholders": len(inputs.holders),
                "ties": len(inputs.ties),
                "read_s": round(read, 3),
                "both_audiences_s": round(total, 3),
                "statuses": [r.status for r in results],
                **{
                    audience: {
                        "pool": c.pool_size,
                        "solver": c.solver,
                        "solve_s": c.seconds,
                        "certified_min": round(
                            min((x.bound for x in c.coalitions.all()), default=0), 4
                        ),
                        "guarantee": round(c.guarantee, 3),
                    }
                    for audience, c in computations.items()
                },
            }
        )
    return {"database": rows}


if __name__ == "__main__":
    main()
