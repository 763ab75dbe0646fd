"""The greedy solver, seeded from every possible broker and inclusive actor, with its a priori
guarantee (see the package docstring).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from partnerships.coalitions.core.bounds import coverage_stake_bound, star_bounds
from partnerships.coalitions.core.dominance import dominated
from partnerships.coalitions.core.objective import Coalition, Solution, _coalition, infeasibility
from partnerships.coalitions.core.pool import (
    EPSILON,
    POPCOUNT,
    SOLVER_GREEDY,
    SOLVER_NONE,
    Parameters,
    Pool,
)


@dataclass
class _GreedyBatch:
    members: np.ndarray  # (rows, max_size) pool indices, -1 = empty
    feasible: np.ndarray  # bool (rows,)
    steered: np.ndarray  # bool (rows,): the inclusion rule changed a choice
    blocked: np.ndarray  # bool (rows,): an opposing tie stopped a pick


def _trust_gain(pool: Pool, params: Parameters, seeds: np.ndarray, columns: np.ndarray):
    """What each column adds to each seed's trust: the seed's tie to it, weighted and scaled by
    the largest coalition's introductions (0 on a row without a seed)."""
    trust_gain = np.zeros((len(seeds), len(columns)))
    seeded = seeds >= 0
    if seeded.any():
        trust_gain[seeded] = pool.trust[seeds[seeded]][:, columns].toarray()
    trust_gain *= params.weight_trust / params.introductions
    return trust_gain


def _greedy_batch(
    pool: Pool,
    params: Parameters,
    seeds: np.ndarray,
    columns: np.ndarray,
    earlier: list[np.ndarray],
) -> _GreedyBatch:
    """The greedy of the module docstring for each seed at once (one row per seed; -1 = start
    empty, without a broker), choosing among the pool indices ``columns`` (which must hold every
    actor that can be the best pick: see :func:`solve_greedy`). ``earlier`` are membership masks
    (pool-sized booleans) of the coalitions already chosen."""
    rows = len(seeds)
    k = params.max_size
    row_index = np.arange(rows)
    brings = pool.brings[columns]
    inclusive = pool.inclusive[columns]
    kind_bits = np.left_shift(np.int64(1), pool.kinds)
    weight_cov = params.weight_coverage / pool.needed_count if pool.needed else 0.0
    static_gain = params.weight_stake * pool.stake[columns] / k
    trust_gain = _trust_gain(pool, params, seeds, columns)
    seeded = seeds >= 0
    column_kind_bits = kind_bits[columns]
    in_earlier = [mask[columns] for mask in earlier]

    members = np.full((rows, k), -1, dtype=np.int64)
    size = np.zeros(rows, dtype=np.int64)
    covered = np.zeros(rows, dtype=np.int64)
    kinds_used = np.zeros(rows, dtype=np.int64)
    not_inclusive = np.zeros(rows, dtype=np.int64)
    banned = np.zeros((rows, len(columns)), dtype=bool)
    shared = np.zeros((rows, len(earlier)), dtype=np.int64)
    steered = np.zeros(rows, dtype=bool)
    blocked = np.zeros(rows, dtype=bool)
    conflicts = pool.conflicts[:, columns].tocsr() if pool.conflicts.nnz else None

    def add(which: np.ndarray, picks: np.ndarray) -> None:  # picks: pool indices
        members[which, size[which]] = picks
        size[which] += 1
        covered[which] |= pool.brings[picks]
        kinds_used[which] |= kind_bits[picks]
        not_inclusive[which] += ~pool.inclusive[picks]
        if conflicts is not None:
            banned[which] |= conflicts[picks].toarray() > 0
        for c, mask in enumerate(earlier):
            shared[which, c] += mask[picks]

    if seeded.any():
        add(row_index[seeded], seeds[seeded])
    for _ in range(k):
        active = size < k
        if not active.any():
            break
        uncovered = pool.needed & ~covered
        gain = weight_cov * POPCOUNT[brings[None, :] & uncovered[:, None]]
        gain += static_gain[None, :]
        gain += trust_gain
        free = (kinds_used[:, None] & column_kind_bits[None, :]) == 0  # one member per kind
        for c, mask in enumerate(in_earlier):
            free &= ~(mask[None, :] & (shared[:, c] >= params.max_shared)[:, None])
        fits = free & ((not_inclusive < k - 1)[:, None] | inclusive[None, :])
        allowed = fits & ~banned
        best_free = np.where(free, gain, -np.inf).max(axis=1)
        best_fits = np.where(fits, gain, -np.inf).max(axis=1)
        choice = np.where(allowed, gain, -np.inf)
        picks = choice.argmax(axis=1)  # the first maximum: the smallest stakeholder id
        best = choice[row_index, picks]
        ok = active & np.isfinite(best)
        steered |= ok & (best_fits < best_free - EPSILON)
        stopped = ~np.isfinite(best) | (best < best_fits - EPSILON)
        blocked |= active & np.isfinite(best_fits) & stopped
        if not ok.any():
            break
        add(row_index[ok], columns[picks[ok]])
    has_inclusive = not_inclusive < size
    feasible = (size >= params.min_size) & has_inclusive
    return _GreedyBatch(members, feasible, steered, blocked)


def _batch_values(pool: Pool, params: Parameters, members: np.ndarray) -> np.ndarray:
    """Values of many member sets at once (rows of pool indices, -1 = empty), as
    :func:`evaluate` computes them up to rounding; used to rank, never reported."""
    rows, k = members.shape
    present = members >= 0
    safe = np.where(present, members, 0)
    covered = np.bitwise_or.reduce(np.where(present, pool.brings[safe], 0), axis=1)
    coverage = POPCOUNT[covered] / pool.needed_count if pool.needed else np.zeros(rows)
    stake = np.where(present, pool.stake[safe], 0.0).sum(axis=1) / params.max_size
    stars = np.zeros((rows, k))
    trust = pool.trust
    for a in range(k):
        for b in range(a + 1, k):
            both = present[:, a] & present[:, b]
            if not both.any():
                continue
            strength = np.zeros(rows)
            strength[both] = np.asarray(trust[safe[both, a], safe[both, b]]).ravel()
            stars[:, a] += strength
            stars[:, b] += strength
    return (
        params.weight_coverage * coverage
        + params.weight_stake * stake
        + params.weight_trust * stars.max(axis=1) / params.introductions
    )


def greedy_seeds(pool: Pool) -> np.ndarray:
    """Where the greedy starts: -1 (empty, no broker), every possible broker (each actor tied to
    another in the pool) and every inclusive actor (so that some start already satisfies the
    inclusion rule, which then never binds)."""
    tied = np.concatenate([pool.tie_a, pool.tie_b, np.flatnonzero(pool.inclusive)])
    return np.concatenate([np.array([-1], dtype=np.int64), np.unique(tied).astype(np.int64)])


def _greedy_best(
    pool: Pool, params: Parameters, found: list[np.ndarray], *, batch: int = 128
) -> tuple[list[int] | None, list]:
    """The best set the greedy reaches from any seed, sharing at most ``max_shared`` members with
    each of ``found`` (boolean membership masks): its pool indices (None if no start reaches a
    coalition), and each batch's per-seed flags for :func:`_greedy_guarantee`."""
    seeds = greedy_seeds(pool)
    trust = pool.trust
    best_key, best_members = None, None
    flags = []
    chosen_before = np.logical_or.reduce(found) if found else np.zeros(pool.size, bool)
    # The best pick is never an actor dominated by another that is not tied to the seed:
    # each batch chooses among the undominated ones and its seeds' neighbours.
    front = np.flatnonzero(~dominated(pool, params, dominators=~chosen_before))
    for start in range(0, len(seeds), batch):
        chunk = seeds[start : start + batch]
        neighbours = trust[chunk[chunk >= 0]].indices
        columns = np.union1d(front, neighbours) if len(neighbours) else front
        result = _greedy_batch(pool, params, chunk, columns, found)
        flags.append((chunk, result.feasible, result.steered, result.blocked))
        if not result.feasible.any():
            continue
        # Rows of sorted pool indices, empty places (n) last: they compare like sorted ids,
        # the pool being ordered by id.
        sets = result.members[result.feasible]
        sets = np.sort(np.where(sets >= 0, sets, pool.size), axis=1)
        values = _batch_values(pool, params, np.where(sets < pool.size, sets, -1))
        # The best value; among equal values the smallest sorted ids.
        row = np.lexsort((*sets.T[::-1], -np.round(values, 12)))[0]
        key = (-round(float(values[row]), 12), tuple(sets[row].tolist()))
        if best_key is None or key < best_key:
            best_key = key
            best_members = [int(i) for i in sets[row] if i < pool.size]
    return best_members, flags


def _membership(pool: Pool, members) -> np.ndarray:
    mask = np.zeros(pool.size, dtype=bool)
    mask[list(members)] = True
    return mask


def solve_greedy(pool: Pool, params: Parameters | None = None, *, batch: int = 128) -> Solution:
    """Coalitions by the seeded greedy of the module docstring, each with its certificate."""
    params = params or Parameters()
    started = time.perf_counter()
    reason = infeasibility(pool, params)
    if reason:
        return Solution([], SOLVER_NONE, pool.size, reason=reason)
    stars = star_bounds(pool, params)
    coverage_stake = coverage_stake_bound(pool, params)
    upper = coverage_stake + params.weight_trust * float(stars.max(initial=0.0))
    found: list[np.ndarray] = []
    coalitions: list[Coalition] = []
    guarantee = 0.0
    for number in range(params.coalitions):
        best_members, flags = _greedy_best(pool, params, found, batch=batch)
        if best_members is None:
            break
        coalition = _coalition(pool, best_members, params, upper=upper)
        if number == 0:
            guarantee = _greedy_guarantee(pool, params, flags, stars, coverage_stake, coalition)
        found.append(_membership(pool, best_members))
        coalitions.append(coalition)
    return Solution(
        coalitions,
        SOLVER_GREEDY,
        pool.size,
        upper_bound=upper,
        guarantee=guarantee,
        seconds=time.perf_counter() - started,
    )


def _greedy_guarantee(pool, params, flags, stars, coverage_stake, best: Coalition) -> float:
    """The a priori share of the optimum that ``best`` is sure to reach, or 0.

    The optimum ``S*`` is reached from one seed: its broker ``b*``, or, when its members have no
    tie, its inclusive member (the star of an untied seed is 0, so the seeded objective is the
    value itself). Started from that seed, the greedy is within 1/2 of ``S*`` (1/3 if the
    inclusion rule changed a pick) provided its set is a coalition and no "opposes" tie stopped
    a pick. ``S*`` is unknown, so this must hold for every seed that could be ``b*`` — every
    seed whose own bound (the best coverage and stake, plus its best star) reaches ``best`` —
    and for every inclusive seed. A seed started inclusive is never steered.
    """
    share = 1 / 2
    for chunk, feasible, steered, blocked in flags:
        for seed, ok, changed, stopped in zip(chunk, feasible, steered, blocked, strict=True):
            if seed < 0:
                continue  # the empty start is an extra try, not part of the argument
            own_bound = coverage_stake + params.weight_trust * float(stars[seed])
            if own_bound < best.value - 1e-9 and not pool.inclusive[seed]:
                continue  # cannot be the optimum's broker
            if not ok or stopped:
                return 0.0
            if changed:
                share = 1 / 3
    return share
