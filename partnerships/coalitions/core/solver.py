"""One entry point: exact up to ``Parameters.exact_limit`` actors, greedy beyond."""

from __future__ import annotations

import time

from partnerships.coalitions.core.exact import solve_exact
from partnerships.coalitions.core.greedy import solve_greedy
from partnerships.coalitions.core.objective import Solution, infeasibility
from partnerships.coalitions.core.pool import NO_FEASIBLE_SET, SOLVER_NONE, Parameters, Pool


def solve(pool: Pool, params: Parameters | None = None) -> Solution:
    """The outcome's coalitions: exact up to ``params.exact_limit`` actors, greedy beyond."""
    params = params or Parameters()
    started = time.perf_counter()
    reason = infeasibility(pool, params)
    if reason:
        solution = Solution([], SOLVER_NONE, pool.size, reason=reason)
    elif pool.size <= params.exact_limit:
        solution = solve_exact(pool, params)
    else:
        solution = solve_greedy(pool, params)
    if not solution.coalitions and not solution.reason:
        solution.reason = NO_FEASIBLE_SET
    solution.seconds = time.perf_counter() - started
    return solution
