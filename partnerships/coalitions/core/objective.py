"""The objective (coverage, stake, trust), the coalition rules, and the shape of a result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from partnerships.coalitions.core.pool import (
    NO_INCLUSIVE_ACTOR,
    POPCOUNT,
    TOO_FEW_ACTORS,
    TOO_FEW_KINDS,
    Parameters,
    Pool,
)


@dataclass(frozen=True)
class Evaluation:
    value: float
    coverage: float
    stake: float
    trust: float
    broker: int  # index into the pool, -1 when no member is tied to another
    covered: int  # needed capabilities the members bring together


def evaluate(pool: Pool, members: Iterable[int], params: Parameters) -> Evaluation:
    """The objective of the module docstring for the pool indices ``members``.

    The one place the value is computed: both solvers report what this returns. The broker is
    the member with the largest star; ties between stars go to the member tied to more of the
    others, then to the smaller stakeholder id.
    """
    members = sorted(int(i) for i in members)
    covered = 0
    for i in members:
        covered |= int(pool.capabilities[i])
    covered &= pool.needed
    coverage = int(POPCOUNT[covered]) / pool.needed_count if pool.needed else 0.0
    stakes = pool.stake
    stake = sum(float(stakes[i]) for i in members) / params.max_size
    trust_matrix = pool.trust
    best = (0.0, 0, 0)  # (star, tied others, -index)
    broker = -1
    for b in members:
        row = trust_matrix.getrow(b)
        lookup = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        strengths = [lookup[j] for j in members if j != b and j in lookup]
        key = (sum(strengths), len(strengths), -b)
        if strengths and key > best:
            best, broker = key, b
    trust = best[0] / params.introductions
    value = (
        params.weight_coverage * coverage
        + params.weight_stake * stake
        + params.weight_trust * trust
    )
    return Evaluation(value, coverage, stake, trust, broker, covered)


def violations(pool: Pool, members: Iterable[int], params: Parameters) -> list[str]:
    """Which constraints ``members`` (pool indices) break: empty for a coalition."""
    members = sorted({int(i) for i in members})
    problems = []
    if not params.min_size <= len(members) <= params.max_size:
        problems.append("size")
    if len({int(pool.kinds[i]) for i in members}) != len(members):
        problems.append("kinds")
    if not any(bool(pool.inclusive[i]) for i in members):
        problems.append("inclusive")
    conflicts = pool.conflicts
    if any(conflicts[a, b] for a in members for b in members if a < b):
        problems.append("opposes")
    return problems


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coalition:
    members: tuple[int, ...]  # stakeholder ids, ascending
    value: float
    coverage: float
    stake: float
    trust: float
    broker: int | None  # stakeholder id
    covered: int  # needed capabilities covered, bit set
    bound: float  # proven: value ≥ bound × the best coalition's value (1.0 when exact)


@dataclass
class Solution:
    coalitions: list[Coalition]
    solver: str  # SOLVER_EXACT, SOLVER_GREEDY or SOLVER_NONE
    pool_size: int
    # Greedy: U ≥ the optimum's value (the certificate); exact: the optimum itself.
    upper_bound: float | None = None
    # A priori share of the optimum the first coalition reaches: 1 exact, 1/2 or 1/3 greedy
    # when the Fisher–Nemhauser–Wolsey bound applies, 0 when it could not be established.
    guarantee: float = 0.0
    reason: str = ""  # why there is no coalition (TOO_FEW_ACTORS, …), "" when there are some
    seconds: float = 0.0


def _coalition(pool: Pool, members, params: Parameters, *, upper: float | None) -> Coalition:
    scored = evaluate(pool, members, params)
    bound = 1.0 if upper is None else (min(1.0, scored.value / upper) if upper > 0 else 1.0)
    return Coalition(
        members=tuple(int(pool.ids[i]) for i in sorted(members)),
        value=scored.value,
        coverage=scored.coverage,
        stake=scored.stake,
        trust=scored.trust,
        broker=int(pool.ids[scored.broker]) if scored.broker >= 0 else None,
        covered=scored.covered,
        bound=bound,
    )


def infeasibility(pool: Pool, params: Parameters) -> str:
    """Why no coalition can exist in this pool at all, or "" if one might."""
    if pool.size < params.min_size:
        return TOO_FEW_ACTORS
    if len(np.unique(pool.kinds)) < params.min_size:
        return TOO_FEW_KINDS
    if not pool.inclusive.any():
        return NO_INCLUSIVE_ACTOR
    return ""
