"""Does the candidate ranking predict partnerships that really form? One JSON line and a table.

    .venv/bin/python benchmarks/candidates_eval.py --table               # 100 activity splits
    .venv/bin/python benchmarks/candidates_eval.py --first-seed 0 --seeds 50   # the tuning splits
    .venv/bin/python benchmarks/candidates_eval.py --split date --cutoff 2020-07-01
    .venv/bin/python benchmarks/candidates_eval.py --set weight_fit=0.2 --set weight_rarity=1

Real data: the IATI activity files in ``../shared/data/iati/`` (``--files`` for others). An IATI
activity names the organisations that fund, are accountable for, extend and implement it: two
organisations in the same activity really work together. The harness hides some activities,
builds the registry from the others exactly as the IATI importer would (the importer's own
collector: organisations matched by ref then normalised name, kinds and scopes from the
organisation type, capabilities from roles, interest = share of the organisation's activities,
influence from the role), and asks whether the pairs the engine ranks highest are the pairs that
work together in the hidden activities.

* Outcomes: each DAC sector, recipient country and recipient region an actor's activities work
  on is one outcome (``--outcomes profile``, the default); ``--outcomes importer`` uses the
  importer's sector × country outcomes (far sparser: almost no two actors share one).
* Splits: ``--split activities`` (default) hides a random ``--holdout`` share of activities,
  ``--seeds`` times (seeds ``--first-seed`` onwards), and averages. Parameters were chosen on
  seeds 0–49 (the tuning splits); the default report reads seeds 100–199, never used to
  choose. ``--split date`` hides the activities starting on or after ``--cutoff`` (on these
  files few organisations first work together after any date, so the figures rest on a
  handful of pairs: reported, not used to choose).
* Truth: pairs that take part together in a hidden activity and in no visible one (a visible
  co-participation is recorded as a tie, and tied pairs are never candidates), restricted to the
  pairs the engine may propose: two actors of different kinds, both holding an outcome, untied.
* Rankings over those pairs: random, plain cosine (the engine's ``overlap``), Jaccard of the
  outcome sets, number of shared outcomes, Adamic–Adar on the actor–outcome graph, the engine's
  score before the likelihood (0.5 overlap + 0.3 complementarity + 0.2 inclusion), the
  likelihood before the kind and shared-partner factors (``weight_kinds = weight_partners =
  0``), with each of them alone, the likelihood, the priority; and the engine's own list
  (``compute_all``: top K per actor, K growing with outcomes held) ordered by priority, with the
  pairs it does not list after it at random.
* Metrics: precision at 50, 100 and 250, recall at 250 and average precision: means over splits
  with their standard error (``se``: the spread between splits / √splits); the likelihood's
  precision@100 against plain cosine's *paired* split by split (the mean difference and its
  standard error, and the ratio of the means with a 95 % bootstrap interval over splits),
  because the splits differ far more from each other than the rankings do on one split; and
  how many candidates the actors with the most hidden partners get (hubs).

Pure core only (``partnerships.overlap``'s pure modules): no database. Never collected as a test.
"""

import argparse
import dataclasses
import datetime as dt
import itertools
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.test")

import django  # noqa: E402

django.setup()

from iati import mapping  # noqa: E402
from iati.importing import ImportReport  # noqa: E402
from iati.parser import Activity, activities_read  # noqa: E402
from partnerships.overlap.compute import compute_all, score_pairs, tied  # noqa: E402
from partnerships.overlap.parameters import Parameters  # noqa: E402
from partnerships.overlap.registry import Registry, build_registry  # noqa: E402
from partnerships.overlap.selection import Selection  # noqa: E402
from stakeholders.choices import Kind, Scope  # noqa: E402

# The whole-import collector: the batched importer was checked equal to it (tests/iati), and it
# gathers organisations, roles and activity counts in memory, which is all this harness needs.
from tests.iati.whole_import import _Collector  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "iati"
FILES = [DATA / "dportal-covid-401-activities.xml", DATA / "dportal-foodsecurity-7-activities.xml"]
KIND_CODES = {kind: code for code, kind in enumerate(Kind.values)}
INCLUSIVE_KINDS = {Kind.WOMENS_GROUP, Kind.DIASPORA, Kind.GRASSROOTS}
KS = (50, 100, 250)


def start_of(activity: Activity) -> dt.date | None:
    return activity.dates.get("2") or activity.dates.get("1")


@dataclasses.dataclass
class World:
    registry: Registry
    truth: set  # (row, row) pairs, row < row
    eligible_src: np.ndarray
    eligible_dst: np.ndarray
    labels: np.ndarray


def outcome_keys(activity: Activity, collector: _Collector, mode: str) -> list:
    if mode == "importer":
        return collector.outcomes_of(activity, note=False)
    keys = [("sector", code) for code, _ in activity.sectors]
    keys += [("country", code) for code, _ in activity.recipient_countries]
    keys += [
        ("region", f"{vocabulary}:{code}") for vocabulary, code, _ in activity.recipient_regions
    ]
    return list(dict.fromkeys(keys))


def world_build(visible: list[Activity], hidden: list[Activity], mode: str) -> World:
    """The registry the visible activities give, and the pairs the hidden ones add."""
    collector = _Collector(ImportReport())
    for activity in visible:
        collector._gather(activity)  # organisations, roles, activity counts: as the importer

    def members(activity) -> dict[int, float]:
        found: dict[int, float] = {}
        for org in activity.participating_orgs:
            index = collector.org_index(org)
            if index is not None:
                found[index] = max(found.get(index, 0.0), mapping.influence_for_role(org.role))
        reporting = activity.reporting_org
        if reporting and (reporting.ref or reporting.name):
            index = collector.org_index(reporting)
            if index is not None:
                found.setdefault(index, mapping.REPORTING_INFLUENCE)
        return found

    cells: dict[tuple[int, object], list] = {}
    ties = set()
    for activity in visible:
        taking_part = members(activity)
        ties |= set(itertools.combinations(sorted(taking_part), 2))
        for key in outcome_keys(activity, collector, mode):
            for index, influence in taking_part.items():
                cell = cells.setdefault((index, key), [0, 0.0])
                cell[0] += 1
                cell[1] = max(cell[1], influence)
    truth = set()
    for activity in hidden:
        truth |= set(itertools.combinations(sorted(members(activity)), 2))
    truth -= ties

    orgs = collector.orgs
    keys = sorted({key for _, key in cells}, key=str)
    column = {key: j for j, key in enumerate(keys)}
    rows = np.array([index for index, _ in cells], dtype=np.int64)
    cols = np.array([column[key] for _, key in cells], dtype=np.int64)
    interest = np.array([n / max(orgs[i].activity_count, 1) for (i, _), (n, _) in cells.items()])
    influence = np.array([value for _, value in cells.values()])
    kinds = [mapping.kind_for_org_type(org.type)[0] for org in orgs]
    scopes = [mapping.SCOPE_BY_ORG_TYPE.get(org.type, Scope.NATIONAL) for org in orgs]
    capabilities = []
    for org in orgs:
        bits = 0
        for role in org.roles:
            bits |= int(mapping.CAPABILITY_BY_ROLE.get(role, 0))
        capabilities.append(bits)
    names = sorted(range(len(orgs)), key=lambda i: (mapping.name_normalised(orgs[i].name), i))
    order_keys = np.empty(len(orgs), dtype=np.int64)
    order_keys[names] = np.arange(len(orgs))
    tie_pairs = np.array(sorted(ties), dtype=np.int64).reshape(-1, 2)
    registry = build_registry(
        stakeholder_ids=np.arange(len(orgs)),
        kinds=[KIND_CODES[kind] for kind in kinds],
        capabilities=capabilities,
        inclusive=[
            kind in INCLUSIVE_KINDS or scope == Scope.LOCAL
            for kind, scope in zip(kinds, scopes, strict=True)
        ],
        outcome_ids=np.arange(len(keys)),
        needs=np.zeros(len(keys), dtype=np.uint16),  # IATI does not say what an outcome needs
        stake_stakeholder_ids=rows,
        stake_outcome_ids=cols,
        stake_interest=interest,
        stake_influence=influence,
        tie_from_ids=tie_pairs[:, 0],
        tie_to_ids=tie_pairs[:, 1],
        order_keys=order_keys,
    )
    n = registry.size
    src, dst = np.triu_indices(n, 1)
    holds = registry.norms > 0
    keep = holds[src] & holds[dst] & (registry.kinds[src] != registry.kinds[dst])
    src, dst = src[keep], dst[keep]
    keep = ~tied(registry, src, dst)
    src, dst = src[keep], dst[keep]
    labels = np.array([(a, b) in truth for a, b in zip(src.tolist(), dst.tolist(), strict=True)])
    return World(registry, truth, src, dst, labels)


def legacy_score(selection: Selection, registry, src, dst) -> np.ndarray:
    """The engine's score before this change: 0.5 overlap + 0.3 complementarity (from the
    outcomes' needs only, 0 when they do not say) + 0.2 inclusion."""
    needed = selection.needed
    caps_s, caps_t = registry.capabilities[src], registry.capabilities[dst]
    only_s = np.bitwise_count(needed & caps_s & ~caps_t)
    only_t = np.bitwise_count(needed & caps_t & ~caps_s)
    half = np.bitwise_count(needed).astype(np.int64) // 2
    compl = np.where(half > 0, np.minimum(only_s, only_t) / np.maximum(half, 1), 0.0)
    return 0.5 * selection.overlap + 0.3 * compl + 0.2 * selection.inclusion


def rankings(world: World, params: Parameters, rng) -> dict[str, np.ndarray]:
    registry, src, dst = world.registry, world.eligible_src, world.eligible_dst
    scored = score_pairs(registry, src, dst, params)
    before = score_pairs(
        registry, src, dst, dataclasses.replace(params, weight_kinds=0.0, weight_partners=0.0)
    )
    kinds_only = score_pairs(registry, src, dst, dataclasses.replace(params, weight_partners=0.0))
    partners_only = score_pairs(registry, src, dst, dataclasses.replace(params, weight_kinds=0.0))
    binary = (registry.interest > 0).astype(np.float64).tocsr()
    degrees = np.asarray(binary.sum(axis=1)).ravel()
    holders = np.asarray(binary.sum(axis=0)).ravel()
    common = binary[src].multiply(binary[dst]).tocsr()
    shared = np.asarray(common.sum(axis=1)).ravel()
    adamic_adar = np.asarray(common @ (1 / np.log(np.maximum(holders, 2)))).ravel()
    union = degrees[src] + degrees[dst] - shared
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    # The engine's own list: what it stores, best first; unlisted pairs after it, at random.
    listed = compute_all(registry, params)
    position = {
        (int(a), int(b)): p for a, b, p in zip(listed.src, listed.dst, listed.score, strict=True)
    }
    engine_list = np.array(
        [position.get((a, b), -1.0) for a, b in zip(src.tolist(), dst.tolist(), strict=True)]
    )
    return {
        "random": rng.random(len(src)),
        "plain cosine (overlap)": scored.overlap,
        "Jaccard of outcome sets": jaccard,
        "shared outcomes": shared,
        "Adamic–Adar": adamic_adar,
        "engine score before": legacy_score(scored, registry, src, dst),
        "likelihood before (no kinds, no partners)": before.likelihood,
        "likelihood with kinds only": kinds_only.likelihood,
        "likelihood with shared partners only": partners_only.likelihood,
        "likelihood": scored.likelihood,
        "priority": scored.score,
        "engine list (by priority)": engine_list,
    }, listed


def metrics(score: np.ndarray, labels: np.ndarray, rng) -> dict[str, float]:
    """Precision at k, recall at 250 and average precision; equal scores in random order."""
    order = np.lexsort((rng.random(len(score)), -score))
    hits = labels[order]
    found = np.cumsum(hits)
    total = max(int(labels.sum()), 1)
    out = {f"p@{k}": float(hits[:k].mean()) if len(hits) else 0.0 for k in KS}
    out["recall@250"] = float(hits[:250].sum() / total)
    out["ap"] = float((found / np.arange(1, len(hits) + 1))[hits].sum() / total)
    return out


def standard_error(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def paired(first, second, draws: int = 2000) -> dict:
    """``first`` against ``second``, split by split: the mean difference and its standard error,
    the ratio of the means, and that ratio's 95 % bootstrap interval (splits drawn again with
    replacement; seeded, so the figures repeat)."""
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(first), size=(draws, len(first)))
    ratios = first[picks].mean(axis=1) / np.maximum(second[picks].mean(axis=1), 1e-12)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return {
        "difference": round(float((first - second).mean()), 4),
        "difference_se": round(standard_error(first - second), 4),
        "ratio": round(float(first.mean() / max(second.mean(), 1e-12)), 2),
        "ratio_95": [round(float(low), 2), round(float(high), 2)],
    }


def hubs(world: World, listed: Selection, top: int = 5) -> list[dict]:
    """The actors with most hidden partners: outcomes held, hidden partners, candidates listed."""
    partners = defaultdict(int)
    for a, b in world.truth:
        partners[a] += 1
        partners[b] += 1
    counts = np.bincount(np.r_[listed.src, listed.dst], minlength=world.registry.size)
    biggest = sorted(partners, key=lambda i: (-partners[i], i))[:top]
    return [
        {
            "outcomes": int(world.registry.degrees[i]),
            "hidden_partners": partners[i],
            "candidates": int(counts[i]),
        }
        for i in biggest
    ]


def splits(activities, args):
    if args.split == "date":
        cutoff = dt.date.fromisoformat(args.cutoff)
        dated = [a for a in activities if start_of(a)]
        yield (
            [a for a in dated if start_of(a) < cutoff],
            [a for a in dated if start_of(a) >= cutoff],
        )
        return
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        hide = np.random.default_rng(seed).random(len(activities)) < args.holdout
        yield (
            [a for a, h in zip(activities, hide, strict=True) if not h],
            [a for a, h in zip(activities, hide, strict=True) if h],
        )


def parameters(overrides: list[str]) -> Parameters:
    values = {}
    for item in overrides:
        name, _, value = item.partition("=")
        default = getattr(Parameters(), name)
        values[name] = type(default)(value)
    params = Parameters.from_dict(values)
    if params.errors():
        raise SystemExit(f"bad parameters: {params.errors()}")
    return params


def evaluate(activities, args, params):
    """Every split's rankings measured against its held-out partnerships: the metrics by ranking,
    each split's sizes, and the hubs' rows."""
    results: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    sizes, hub_rows = [], []
    for number, (visible, hidden) in enumerate(splits(activities, args)):
        world = world_build(visible, hidden, args.outcomes)
        rng = np.random.default_rng(1000 + number)
        ranked, listed = rankings(world, params, rng)
        sizes.append(
            {
                "actors": int(np.count_nonzero(world.registry.norms > 0)),
                "outcomes": world.registry.interest.shape[1],
                "pairs": len(world.labels),
                "held_out": int(world.labels.sum()),
                "listed": len(listed),
            }
        )
        for name, score in ranked.items():
            for metric, value in metrics(score, world.labels, rng).items():
                results[name][metric].append(value)
        hub_rows.extend(hubs(world, listed))
    return results, sizes, hub_rows


def print_table(summary: dict, spread: dict) -> None:
    """The rankings as a Markdown table, each figure ± its standard error."""
    print()
    print("| ranking | precision@50 | precision@100 | precision@250 | recall@250 | AP |")
    print("|---|---|---|---|---|---|")
    for name, m in summary.items():
        e = spread[name]
        cells = [f"{m[k]:.3f} ± {e[k]:.3f}" for k in ("p@50", "p@100", "p@250", "recall@250")]
        print(f"| {name} | {' | '.join(cells)} | {m['ap']:.3f} ± {e['ap']:.3f} |")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", default=[str(f) for f in FILES])
    parser.add_argument("--outcomes", choices=("profile", "importer"), default="profile")
    parser.add_argument("--split", choices=("activities", "date"), default="activities")
    parser.add_argument("--holdout", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--cutoff", default="2020-07-01")
    parser.add_argument("--set", action="append", default=[], help="a parameter, name=value")
    parser.add_argument("--table", action="store_true", help="also print a Markdown table")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    load_before = os.getloadavg()
    started = time.perf_counter()
    params = parameters(args.set)
    activities = [
        item for path in args.files for item in activities_read(path) if isinstance(item, Activity)
    ]
    results, sizes, hub_rows = evaluate(activities, args, params)
    summary = {
        name: {metric: round(float(np.mean(values)), 4) for metric, values in by.items()}
        for name, by in results.items()
    }
    spread = {
        name: {metric: round(standard_error(values), 4) for metric, values in by.items()}
        for name, by in results.items()
    }
    best_baseline = max(
        summary[name]["p@100"]
        for name in ("random", "plain cosine (overlap)", "Jaccard of outcome sets",
                     "shared outcomes", "Adamic–Adar", "engine score before")
    )  # fmt: skip
    report = {
        "files": [Path(f).name for f in args.files],
        "outcomes": args.outcomes,
        "split": args.split,
        "holdout": args.holdout if args.split == "activities" else None,
        "cutoff": args.cutoff if args.split == "date" else None,
        "splits": len(sizes),
        "mean_sizes": {k: round(float(np.mean([s[k] for s in sizes])), 1) for k in sizes[0]},
        "parameters": params.as_dict(),
        "rankings": summary,
        "se": spread,
        "likelihood_vs_cosine_paired_p@100": paired(
            results["likelihood"]["p@100"], results["plain cosine (overlap)"]["p@100"]
        ),
        "likelihood_vs_before_paired_p@100": paired(
            results["likelihood"]["p@100"],
            results["likelihood before (no kinds, no partners)"]["p@100"],
        ),
        "likelihood_vs_cosine_paired_ap": paired(
            results["likelihood"]["ap"], results["plain cosine (overlap)"]["ap"]
        ),
        "likelihood_vs_cosine_p@100": round(
            summary["likelihood"]["p@100"] / max(summary["plain cosine (overlap)"]["p@100"], 1e-9),
            2,
        ),
        "likelihood_vs_best_baseline_p@100": round(
            summary["likelihood"]["p@100"] / max(best_baseline, 1e-9), 2
        ),
        "hubs": {
            "outcomes": round(float(np.mean([h["outcomes"] for h in hub_rows])), 1),
            "hidden_partners": round(float(np.mean([h["hidden_partners"] for h in hub_rows])), 1),
            "candidates": round(float(np.mean([h["candidates"] for h in hub_rows])), 1),
        },
        "seconds": round(time.perf_counter() - started, 2),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, ensure_ascii=False))
    if args.table:
        print_table(summary, spread)


if __name__ == "__main__":
    main()
