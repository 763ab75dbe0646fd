"""Sensitivity of the index's rankings to its weights and aggregation (pure numpy, no Django).

The OECD/JRC Handbook on Constructing Composite Indicators asks every composite index to show how
much its rankings owe to choices its authors made. This module answers two questions over a set of
scored engagements, from the normalised indicator values stored with their scores:

* **One at a time**: each indicator weight and each pillar weight is moved by ±``step`` (20 %) while
  every other weight stays put, and the aggregation is switched (arithmetic ↔ geometric). For each
  change: the mean and largest move in rank, and the share of engagements whose rank moves.
* **All at once**: ``draws`` random weight sets, each weight multiplied by an independent factor
  drawn uniformly from ``[1 - step, 1 + step]`` (seeded, so the page shows the same figures every
  time). For each engagement: its rank with the published weights, its median rank and the 5–95 %
  interval of its rank over the draws.

The pillar and composite rules are exactly those of :mod:`index.scoring`, vectorised: a pillar is
the weighted mean of its *known* indicators (missing values are left out and the weights of the
known ones re-normalised, never read as zero); the composite aggregates the pillars that have a
score. Ranks are 1 for the highest composite; ties share the best rank ("min" method). Engagements
without a composite are left out of the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from .scoring import PILLARS

DEFAULT_STEP = 0.2
DEFAULT_DRAWS = 200
DEFAULT_SEED = 1325


@dataclass(frozen=True)
class WeightEffect:
    """How rankings move when one weight (or the aggregation) changes."""

    parameter: str  # "D1", "pillar:digital" or "aggregation"
    label: str
    change: str  # "-20 %", "+20 %" or "geometric"
    mean_shift: float
    max_shift: int
    share_moved: float


@dataclass(frozen=True)
class RankInterval:
    index: int  # row of the engagement in the input
    rank: int
    median: float
    low: float  # 5th percentile
    high: float  # 95th percentile


@dataclass(frozen=True)
class SensitivityResult:
    ranked: int  # engagements with a composite
    step: float
    draws: int
    effects: tuple[WeightEffect, ...]
    intervals: tuple[RankInterval, ...]  # in order of the published rank


def normalised_matrix(rows: list[list[dict]], codes: list[str]) -> np.ndarray:
    """Engagements × indicators of normalised values (NaN where unknown) from stored indicators."""
    position = {code: column for column, code in enumerate(codes)}
    matrix = np.full((len(rows), len(codes)), np.nan)
    for row_number, indicators in enumerate(rows):
        for indicator in indicators:
            column = position.get(indicator["code"])
            if column is not None and indicator.get("normalised") is not None:
                matrix[row_number, column] = indicator["normalised"]
    return matrix


def composites(
    values: np.ndarray,
    pillar_of: list[str],
    indicator_weights: np.ndarray,
    pillar_weights: np.ndarray,
    aggregation: str,
) -> np.ndarray:
    """Composite scores for every engagement (rows) under every weight set (columns).

    ``indicator_weights`` is indicators × sets and ``pillar_weights`` pillars × sets (a single set
    may be given as 1-D arrays). Returns engagements × sets, NaN where no pillar has a score.
    """
    indicator_weights = np.atleast_2d(indicator_weights.T).T
    pillar_weights = np.atleast_2d(pillar_weights.T).T
    known = ~np.isnan(values)
    filled = np.where(known, values, 0.0)
    sets = indicator_weights.shape[1]
    denominator = np.zeros((values.shape[0], sets))
    present_any = np.zeros((values.shape[0], sets), dtype=bool)
    log_sum = np.zeros((values.shape[0], sets))
    weighted_sum = np.zeros((values.shape[0], sets))
    any_zero = np.zeros((values.shape[0], sets), dtype=bool)
    for p, pillar in enumerate(PILLARS):
        columns = [i for i, name in enumerate(pillar_of) if name == pillar]
        if not columns:
            continue
        weights = indicator_weights[columns, :]
        known_weight = known[:, columns].astype(float) @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            pillar_score = 100.0 * (filled[:, columns] @ weights) / known_weight
        has_score = known_weight > 0
        pillar_weight = pillar_weights[p, :][np.newaxis, :]
        counted = has_score & (pillar_weight > 0)
        present_any |= has_score
        denominator += np.where(has_score, pillar_weight, 0.0)
        safe = np.where(has_score, pillar_score, 0.0)
        weighted_sum += np.where(has_score, pillar_weight * safe, 0.0)
        # As in scoring.aggregate: any scored pillar at 0 makes the geometric mean 0.
        any_zero |= has_score & (safe <= 0)
        with np.errstate(divide="ignore"):
            log_sum += np.where(counted & (safe > 0), pillar_weight * np.log(safe), 0.0)
    valid = present_any & (denominator > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if aggregation == "geometric":
            result = np.where(any_zero, 0.0, np.exp(log_sum / denominator))
        else:
            result = weighted_sum / denominator
    return np.where(valid, result, np.nan)


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest score, per column; ties share the best rank."""
    return np.column_stack(
        [rankdata(-scores[:, column], method="min") for column in range(scores.shape[1])]
    ).astype(int)


def _one_at_a_time(
    indicators: list[dict], base_w: np.ndarray, base_p: np.ndarray, step: float
) -> tuple[list[np.ndarray], list[np.ndarray], list[tuple[str, str, str]]]:
    """Every indicator's weight, then every pillar's, down and up by ``step``: the weights of
    each variant and what it changed (parameter, label, change)."""
    variants_w, variants_p, described = [], [], []
    for i, spec in enumerate(indicators):
        code = spec["code"]
        for factor, change in ((1 - step, f"-{step:.0%}"), (1 + step, f"+{step:.0%}")):
            w = base_w.copy()
            w[i] *= factor
            variants_w.append(w)
            variants_p.append(base_p)
            described.append((code, spec.get("label", code), change.replace("%", " %")))
    for p, pillar in enumerate(PILLARS):
        for factor, change in ((1 - step, f"-{step:.0%}"), (1 + step, f"+{step:.0%}")):
            pw = base_p.copy()
            pw[p] *= factor
            variants_w.append(base_w)
            variants_p.append(pw)
            label = f"{pillar.replace('_', '-').capitalize()} pillar"
            described.append((f"pillar:{pillar}", label, change.replace("%", " %")))
    return variants_w, variants_p, described


def analyse(
    values: np.ndarray,
    indicators: list[dict],
    pillar_weights: dict[str, float],
    aggregation: str,
    *,
    step: float = DEFAULT_STEP,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> SensitivityResult:
    """Sensitivity of the ranking of ``values`` (engagements × indicators, normalised, NaN where
    unknown; columns in the order of ``indicators``) to the methodology's weights."""
    pillar_of = [spec["pillar"] for spec in indicators]
    base_w = np.array([float(spec["weight"]) for spec in indicators])
    base_p = np.array([float(pillar_weights.get(pillar, 0)) for pillar in PILLARS])

    base = composites(values, pillar_of, base_w, base_p, aggregation)[:, 0]
    keep = ~np.isnan(base)
    values = values[keep]
    rows = np.flatnonzero(keep)
    if values.shape[0] == 0:
        return SensitivityResult(0, step, draws, (), ())
    base_rank = ranks_of(base[keep][:, np.newaxis])[:, 0]

    # One at a time: every weight down and up by ``step``, then the other aggregation.
    variants_w, variants_p, described = _one_at_a_time(indicators, base_w, base_p, step)
    shifted = ranks_of(
        composites(
            values, pillar_of, np.column_stack(variants_w), np.column_stack(variants_p), aggregation
        )
    )
    other = "geometric" if aggregation != "geometric" else "arithmetic"
    switched = ranks_of(composites(values, pillar_of, base_w, base_p, other))
    shifted = np.column_stack([shifted, switched])
    described.append(("aggregation", "Aggregation of the pillars", other))
    moves = np.abs(shifted - base_rank[:, np.newaxis])
    effects = tuple(
        WeightEffect(
            parameter=parameter,
            label=label,
            change=change,
            mean_shift=float(moves[:, column].mean()),
            max_shift=int(moves[:, column].max()),
            share_moved=float((moves[:, column] > 0).mean()),
        )
        for column, (parameter, label, change) in enumerate(described)
    )

    # All at once: random weight sets around the published ones.
    rng = np.random.default_rng(seed)
    draw_w = base_w[:, np.newaxis] * rng.uniform(1 - step, 1 + step, (len(base_w), draws))
    draw_p = base_p[:, np.newaxis] * rng.uniform(1 - step, 1 + step, (len(base_p), draws))
    drawn = ranks_of(composites(values, pillar_of, draw_w, draw_p, aggregation))
    low, median, high = np.percentile(drawn, [5, 50, 95], axis=1)
    order = np.lexsort((rows, base_rank))
    intervals = tuple(
        RankInterval(
            index=int(rows[k]),
            rank=int(base_rank[k]),
            median=float(median[k]),
            low=float(low[k]),
            high=float(high[k]),
        )
        for k in order
    )
    return SensitivityResult(int(values.shape[0]), step, draws, effects, intervals)
