"""The exact solver: depth-first branch and bound (see the package docstring)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from partnerships.coalitions.core.bounds import _top
from partnerships.coalitions.core.dominance import dominated
from partnerships.coalitions.core.greedy import _greedy_best, _membership
from partnerships.coalitions.core.objective import Solution, _coalition, evaluate, infeasibility
from partnerships.coalitions.core.pool import (
    EPSILON,
    POPCOUNT,
    SOLVER_EXACT,
    SOLVER_NONE,
    Parameters,
    Pool,
)


class _Search:
    """Depth-first branch and bound for the best coalition not sharing more than
    ``max_shared`` members with any of ``earlier`` (pool-index sets)."""

    def __init__(self, pool: Pool, params: Parameters, candidates: np.ndarray):
        self.params = params
        self.pool = pool
        n = len(candidates)
        brings = pool.brings[candidates]
        stakes = pool.stake[candidates]
        trust = pool.trust[candidates][:, candidates].tocsr()
        self.weight_cov = params.weight_coverage / pool.needed_count if pool.needed else 0.0
        self.weight_stake = params.weight_stake / params.max_size
        self.weight_trust = params.weight_trust / params.introductions
        slots = params.introductions
        star_best = np.zeros(n)
        tie_max = np.zeros(n)
        for i in range(n):
            row = trust.data[trust.indptr[i] : trust.indptr[i + 1]]
            if len(row):
                star_best[i] = sum(_top(row.tolist(), slots))
                tie_max[i] = row.max()
        # Actors in order of what each could add alone (the best first finds good incumbents
        # early, so the bound prunes sooner); equal ones by stakeholder id.
        alone = (
            self.weight_cov * POPCOUNT[brings]
            + self.weight_stake * stakes
            + self.weight_trust * star_best
        )
        o = np.lexsort((pool.ids[candidates], -alone))
        self.order = candidates[o]  # position p is pool index order[p]
        position = np.full(pool.size, -1, dtype=np.int64)
        position[self.order] = np.arange(n)
        self.position = position
        self.brings = [int(x) for x in brings[o]]
        self.stake = [float(x) for x in stakes[o]]
        self.kind_bit = [1 << int(x) for x in pool.kinds[self.order]]
        self.inclusive = [bool(x) for x in pool.inclusive[self.order]]
        self.tie_max = [float(x) for x in tie_max[o]]
        self.star_best = [float(x) for x in star_best[o]]
        self.ties: list[dict[int, float]] = [{} for _ in range(n)]
        for a, b, s in zip(pool.tie_a, pool.tie_b, pool.tie_strength, strict=True):
            pa, pb = int(position[a]), int(position[b])
            if pa >= 0 and pb >= 0:
                self.ties[pa][pb] = float(s)
                self.ties[pb][pa] = float(s)
        self.conflict = [0] * n
        for a, b in zip(pool.conflict_a, pool.conflict_b, strict=True):
            pa, pb = int(position[a]), int(position[b])
            if pa >= 0 and pb >= 0:
                self.conflict[pa] |= 1 << pb
                self.conflict[pb] |= 1 << pa
        # Suffix tables: what positions p.. could still bring at best.
        k = params.max_size
        self.suffix_or = [0] * (n + 1)
        self.suffix_inclusive = [False] * (n + 1)
        self.suffix_stakes: list[list[float]] = [[] for _ in range(n + 1)]
        self.suffix_bits: list[list[int]] = [[] for _ in range(n + 1)]
        # suffix_star[r][p]: the largest star an actor at p.. could reach when it has no tie
        # to the members chosen so far and r other places are left for its ties.
        self.suffix_star = [[0.0] * (n + 1) for _ in range(k)]
        for p in range(n - 1, -1, -1):
            self.suffix_or[p] = self.suffix_or[p + 1] | self.brings[p]
            self.suffix_inclusive[p] = self.suffix_inclusive[p + 1] or self.inclusive[p]
            self.suffix_stakes[p] = _top(self.suffix_stakes[p + 1] + [self.stake[p]], k)
            self.suffix_bits[p] = sorted(
                self.suffix_bits[p + 1] + [int(POPCOUNT[self.brings[p]])], reverse=True
            )[:k]
            for r in range(k):
                alone_star = min(r * self.tie_max[p], self.star_best[p])
                self.suffix_star[r][p] = max(self.suffix_star[r][p + 1], alone_star)
        self.suffix_stake_sums = [
            [sum(stakes_[:r]) for r in range(k + 1)] for stakes_ in self.suffix_stakes
        ]
        self.suffix_bit_sums = [[sum(bits[:r]) for r in range(k + 1)] for bits in self.suffix_bits]

    def best(
        self, earlier: list[set[int]], incumbent: Sequence[int] = ()
    ) -> tuple[int, ...] | None:
        """Pool indices of the best coalition respecting the sharing rule, or None.

        ``incumbent`` (pool indices of a coalition respecting the rule, e.g. the greedy's)
        starts the search with a value to beat, so that the bound prunes from the first node.
        """
        self.earlier = [
            sum(1 << int(self.position[i]) for i in group if self.position[i] >= 0)
            for group in earlier
        ]
        self.best_value = -1.0
        self.best_set: tuple[int, ...] | None = None
        if len(incumbent) and all(self.position[i] >= 0 for i in incumbent):
            self.best_value = evaluate(self.pool, incumbent, self.params).value
            self.best_set = tuple(int(self.position[i]) for i in incumbent)
        self._visit(0, [], 0, 0.0, 0, False, 0, [], [0] * len(self.earlier))
        if self.best_set is None:
            return None
        return tuple(sorted(int(self.order[p]) for p in self.best_set))

    def _smaller_ids(self, chosen: list[int]) -> bool:
        """Do ``chosen`` (positions) have smaller sorted stakeholder ids than the best so far?"""
        ids = self.pool.ids
        mine = sorted(int(ids[self.order[p]]) for p in chosen)
        theirs = sorted(int(ids[self.order[p]]) for p in self.best_set or ())
        return not theirs or mine < theirs

    def _keep_if_best(self, chosen, covered, stake_sum, stars) -> None:
        """Keep ``chosen`` (a coalition) if it beats the best so far, or ties it with smaller
        ids."""
        value = (
            self.weight_cov * int(POPCOUNT[covered])
            + self.weight_stake * stake_sum
            + self.weight_trust * max(stars)
        )
        if value > self.best_value + EPSILON or (
            value >= self.best_value - EPSILON and self._smaller_ids(chosen)
        ):
            self.best_value, self.best_set = value, tuple(chosen)

    def _linked_brokers(self, chosen, start, room):
        """The later actors ``q`` tied to chosen members, who could broker: each with the bound
        on its star (its ties to them plus ``room - 1`` ties to the others still to come), in
        order of position, and the suffix maxima of those bounds."""
        linked: dict[int, float] = {}
        for c in chosen:
            for q, strength in self.ties[c].items():
                if q >= start:
                    linked[q] = linked.get(q, 0.0) + strength
        linked_bounds = sorted(
            (q, min(total + (room - 1) * self.tie_max[q], self.star_best[q]))
            for q, total in linked.items()
        )
        linked_suffix = [0.0] * (len(linked_bounds) + 1)
        for i in range(len(linked_bounds) - 1, -1, -1):
            linked_suffix[i] = max(linked_suffix[i + 1], linked_bounds[i][1])
        return linked_bounds, linked_suffix

    def _visit(
        self, start, chosen, covered, stake_sum, kinds, has_inclusive, banned, stars, shared
    ):
        params = self.params
        size = len(chosen)
        if size >= params.min_size and has_inclusive:
            self._keep_if_best(chosen, covered, stake_sum, stars)
        if size == params.max_size:
            return
        room = params.max_size - size
        have_bits = int(POPCOUNT[covered])
        chosen_trust = max(
            (min(star + room * self.tie_max[b], self.star_best[b]) for b, star in zip(
                chosen, stars, strict=True
            )),
            default=0.0,
        )  # fmt: skip
        linked_bounds, linked_suffix = self._linked_brokers(chosen, start, room)
        next_linked = 0
        lone_star = self.suffix_star[room - 1]
        n = len(self.brings)
        for p in range(start, n):
            while next_linked < len(linked_bounds) and linked_bounds[next_linked][0] < p:
                next_linked += 1
            if size + (n - p) < params.min_size or not (has_inclusive or self.suffix_inclusive[p]):
                break
            bits = min(
                int(POPCOUNT[covered | self.suffix_or[p]]),
                have_bits + self.suffix_bit_sums[p][room],
            )
            optimistic = (
                self.weight_cov * bits
                + self.weight_stake * (stake_sum + self.suffix_stake_sums[p][room])
                + self.weight_trust * max(chosen_trust, lone_star[p], linked_suffix[next_linked])
            )
            if optimistic < self.best_value - EPSILON:
                break  # every table only shrinks as p grows: nothing further can do as well
            if kinds & self.kind_bit[p] or banned >> p & 1:
                continue
            if not has_inclusive and room == 1 and not self.inclusive[p]:
                continue
            if self.earlier:
                new_shared = [
                    count + (mask >> p & 1)
                    for count, mask in zip(shared, self.earlier, strict=True)
                ]
                if max(new_shared) > params.max_shared:
                    continue
            else:
                new_shared = shared
            ties = self.ties[p]
            new_stars = [star + ties.get(q, 0.0) for q, star in zip(chosen, stars, strict=True)]
            new_stars.append(sum(ties.get(q, 0.0) for q in chosen))
            self._visit(
                p + 1,
                [*chosen, p],
                covered | self.brings[p],
                stake_sum + self.stake[p],
                kinds | self.kind_bit[p],
                has_inclusive or self.inclusive[p],
                banned | self.conflict[p],
                new_stars,
                new_shared,
            )


def solve_exact(pool: Pool, params: Parameters | None = None) -> Solution:
    """The best coalitions by exhaustive branch and bound (see the module docstring)."""
    params = params or Parameters()
    started = time.perf_counter()
    reason = infeasibility(pool, params)
    if reason:
        return Solution([], SOLVER_NONE, pool.size, reason=reason)
    found: list[set[int]] = []
    coalitions = []
    untied = np.ones(pool.size, dtype=bool)
    untied[pool.tie_a] = untied[pool.tie_b] = False
    for _ in range(params.coalitions):
        chosen_before = np.zeros(pool.size, dtype=bool)
        chosen_before[[i for group in found for i in group]] = True
        # An actor without ties can be swapped for one that dominates it: never needed.
        redundant = untied & dominated(pool, params, dominators=~chosen_before)
        search = _Search(pool, params, np.flatnonzero(~redundant))
        # The greedy's answer under the same sharing rule is a value to beat from the start.
        incumbent, _flags = _greedy_best(pool, params, [_membership(pool, g) for g in found])
        members = search.best(found, incumbent=incumbent or ())
        if members is None:
            break
        found.append(set(members))
        coalitions.append(_coalition(pool, members, params, upper=None))
    return Solution(
        coalitions,
        SOLVER_EXACT,
        pool.size,
        upper_bound=coalitions[0].value if coalitions else None,
        guarantee=1.0,
        seconds=time.perf_counter() - started,
    )
