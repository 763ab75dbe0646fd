"""The certificate: an upper bound on the best coalition's value, so that a greedy answer carries a
proven share of the optimum.
"""

from __future__ import annotations

import math

import numpy as np

from partnerships.coalitions.core.dominance import compact_brings
from partnerships.coalitions.core.pool import POPCOUNT, Parameters, Pool


def _top(values: list[float], count: int) -> list[float]:
    return sorted(values, reverse=True)[:count]


# --- the certificate ------------------------------------------------------------------------------


def star_bounds(pool: Pool, params: Parameters) -> np.ndarray:
    """For each actor, the largest trust it could give as broker: its ``max_size − 1`` strongest
    ties, divided by ``max_size − 1``."""
    trust = pool.trust
    stars = np.zeros(pool.size)
    for i in range(pool.size):
        row = trust.data[trust.indptr[i] : trust.indptr[i + 1]]
        if len(row):
            stars[i] = sum(_top(row.tolist(), params.introductions)) / params.introductions
    return stars


def coverage_stake_bound(pool: Pool, params: Parameters) -> float:
    """The exact maximum of ``w_cov · coverage + w_stake · stake`` over sets with one member per
    kind, ``min_size``–``max_size`` members and an inclusive one (conflicts and the sharing rule
    left out, which can only raise it); 0 if there is no such set.

    Dynamic programming over the subsets of needed capabilities, one kind at a time:
    ``V[c, f, m]`` is the largest stake sum of ``c`` members, ``f`` saying whether one is
    inclusive, whose toolboxes cover *at least* the subset ``m``, so that adding a member that
    brings ``g`` reads ``V[c, f, m ∖ g]`` — a gather, with no two sources writing one target.
    """
    k = params.max_size
    compact, bits = compact_brings(pool)
    masks = np.arange(1 << bits, dtype=np.int64)
    values = np.full((k + 1, 2, len(masks)), -np.inf)
    values[0, 0, 0] = 0.0
    stakes = pool.stake
    for kind in np.unique(pool.kinds):
        of_kind = np.flatnonzero(pool.kinds == kind)
        # One candidate per (toolbox, inclusive): the largest stake among them.
        groups: dict[tuple[int, bool], float] = {}
        for i in of_kind:
            key = (int(compact[i]), bool(pool.inclusive[i]))
            groups[key] = max(groups.get(key, -1.0), float(stakes[i]))
        before = values
        values = before.copy()
        for (toolbox, inclusive), stake in groups.items():
            source = masks & ~toolbox
            for count in range(k):
                for flag in (0, 1):
                    target = values[count + 1, flag | int(inclusive)]
                    np.maximum(target, before[count, flag, source] + stake, out=target)
    coverage = POPCOUNT[masks] / bits if bits else np.zeros(1)
    best = -np.inf
    for count in range(params.min_size, k + 1):
        stake_sums = values[count, 1]
        reachable = np.isfinite(stake_sums)
        if reachable.any():
            candidate = (
                params.weight_coverage * coverage[reachable]
                + params.weight_stake * stake_sums[reachable] / k
            ).max()
            best = max(best, float(candidate))
    return best if math.isfinite(best) else 0.0


def upper_bound(pool: Pool, params: Parameters | None = None) -> float:
    """U ≥ the value of every coalition of the pool (the greedy's certificate): the exact best
    coverage and stake (:func:`coverage_stake_bound`) plus ``w_trust`` times the best star any
    actor could reach as broker."""
    params = params or Parameters()
    stars = star_bounds(pool, params)
    return coverage_stake_bound(pool, params) + params.weight_trust * float(stars.max(initial=0))
