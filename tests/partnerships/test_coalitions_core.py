"""The coalition solvers' pure core: the objective worked out by hand, the constraints, the exact
solver against brute force, the greedy within its stated bounds and the certificate."""

import itertools
import math
import random
from dataclasses import replace

import numpy as np
import pytest

from partnerships.coalitions.core.bounds import upper_bound
from partnerships.coalitions.core.dominance import dominated
from partnerships.coalitions.core.exact import solve_exact
from partnerships.coalitions.core.greedy import solve_greedy
from partnerships.coalitions.core.objective import evaluate, violations
from partnerships.coalitions.core.pool import (
    NO_FEASIBLE_SET,
    NO_INCLUSIVE_ACTOR,
    SOLVER_EXACT,
    SOLVER_GREEDY,
    TOO_FEW_ACTORS,
    TOO_FEW_KINDS,
    Parameters,
    Pool,
    build_pool,
)
from partnerships.coalitions.core.solver import solve

FUNDING, FIELD, TECH, LOGISTICS, TRUST = 1, 2, 4, 256, 512
STATE, NGO, FIRM, WOMENS_GROUP, GRASSROOTS = 0, 2, 3, 5, 9
PARAMS = Parameters()


def tiny_pool(**changes) -> Pool:
    """Four actors; the outcome needs funding, field presence, technology and community trust.

    A state (funding; interest 1, influence 0.64: stake 0.8), B NGO (field presence and
    logistics; 0.81 × 0.25: 0.45), C women's group (community trust; 1 × 0.36: 0.6; the only
    inclusive actor), D firm (technology; 0.25 × 1: 0.5). Ties A–B 0.8, A–C 0.4, B–C 0.5.
    """
    values = {
        "stakeholder_ids": [1, 2, 3, 4],
        "kinds": [STATE, NGO, WOMENS_GROUP, FIRM],
        "capabilities": [FUNDING, FIELD | LOGISTICS, TRUST, TECH],
        "inclusive": [False, False, True, False],
        "interest": [1.0, 0.81, 1.0, 0.25],
        "influence": [0.64, 0.25, 0.36, 1.0],
        "needed": FUNDING | FIELD | TECH | TRUST,
        "tie_from_ids": [1, 3, 2],
        "tie_to_ids": [2, 1, 3],
        "tie_strengths": [0.8, 0.4, 0.5],
    }
    values.update(changes)
    return build_pool(**values)


def indices(pool, ids):
    return [int(i) for i in pool.index_of(ids)]


def test_the_objective_worked_out_by_hand():
    pool = tiny_pool()
    scored = evaluate(pool, indices(pool, [1, 2, 3]), PARAMS)
    # Coverage: funding, field presence, trust of 4 needed = 0.75. Stake: (0.8 + 0.45 + 0.6) / 5
    # = 0.37. Stars: A 0.8 + 0.4 = 1.2, B 0.8 + 0.5 = 1.3, C 0.4 + 0.5 = 0.9: B brokers,
    # trust 1.3 / 4 = 0.325. Value 0.5 × 0.75 + 0.3 × 0.37 + 0.2 × 0.325 = 0.551.
    assert scored.coverage == pytest.approx(0.75)
    assert scored.stake == pytest.approx(0.37)
    assert scored.trust == pytest.approx(0.325)
    assert pool.ids[scored.broker] == 2
    assert scored.covered == FUNDING | FIELD | TRUST  # logistics is not needed
    assert scored.value == pytest.approx(0.551)
    # With the firm: everything covered, stake 2.35 / 5 = 0.47, the same broker:
    # 0.5 + 0.141 + 0.065 = 0.706.
    assert evaluate(pool, range(4), PARAMS).value == pytest.approx(0.706)
    # A and C are tied once each (0.4): equal stars, the smaller id brokers. 0.5 × 0.75 +
    # 0.3 × 1.9 / 5 + 0.2 × 0.4 / 4 = 0.509.
    scored = evaluate(pool, indices(pool, [1, 3, 4]), PARAMS)
    assert scored.value == pytest.approx(0.509)
    assert pool.ids[scored.broker] == 1


def test_without_ties_there_is_no_broker_and_no_trust():
    pool = tiny_pool(tie_from_ids=[], tie_to_ids=[], tie_strengths=[])
    scored = evaluate(pool, range(4), PARAMS)
    assert scored.broker == -1 and scored.trust == 0.0
    assert scored.value == pytest.approx(0.5 + 0.3 * 0.47)


def test_an_outcome_that_needs_nothing_on_record_scores_no_coverage():
    pool = tiny_pool(needed=0)
    assert evaluate(pool, range(4), PARAMS).coverage == 0.0


def test_both_solvers_find_the_best_coalition_of_the_tiny_outcome():
    pool = tiny_pool()
    for solver in (solve_exact, solve_greedy):
        solution = solver(pool, PARAMS)
        first = solution.coalitions[0]
        assert first.members == (1, 2, 3, 4)
        assert first.value == pytest.approx(0.706)
        assert first.broker == 2
        # Every other coalition shares at least three members with it: there is no second.
        assert len(solution.coalitions) == 1
    assert solve(pool, PARAMS).solver == SOLVER_EXACT
    assert solve(pool, replace(PARAMS, exact_limit=3)).solver == SOLVER_GREEDY


def test_the_constraints():
    pool = tiny_pool(
        stakeholder_ids=[1, 2, 3, 4, 5],
        kinds=[STATE, NGO, WOMENS_GROUP, FIRM, NGO],
        capabilities=[FUNDING, FIELD, TRUST, TECH, TECH],
        inclusive=[False, False, True, False, False],
        interest=[1.0] * 5,
        influence=[1.0] * 5,
        conflict_from_ids=[4],
        conflict_to_ids=[3],
    )
    at = indices(pool, [1, 2, 3, 4, 5])
    assert violations(pool, at[:3], PARAMS) == []
    assert violations(pool, at[1:3], PARAMS) == ["size"]
    assert "kinds" in violations(pool, [at[0], at[1], at[2], at[4]], PARAMS)
    assert violations(pool, [at[0], at[1], at[3]], PARAMS) == ["inclusive"]
    assert violations(pool, [at[0], at[2], at[3]], PARAMS) == ["opposes"]
    for solver in (solve_exact, solve_greedy):
        for coalition in solver(pool, PARAMS).coalitions:
            assert violations(pool, indices(pool, coalition.members), PARAMS) == []
            assert not {3, 4} <= set(coalition.members)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"stakeholder_ids": [1, 2], "kinds": [0, 1], "capabilities": [1, 2],
          "inclusive": [True, True], "interest": [1, 1], "influence": [1, 1]},
         TOO_FEW_ACTORS),
        ({"kinds": [NGO, NGO, WOMENS_GROUP, NGO]}, TOO_FEW_KINDS),
        ({"inclusive": [False] * 4}, NO_INCLUSIVE_ACTOR),
        ({"stakeholder_ids": [1, 2, 3], "kinds": [STATE, NGO, WOMENS_GROUP],
          "capabilities": [1, 2, 4], "inclusive": [False, False, True], "interest": [1] * 3,
          "influence": [1] * 3, "conflict_from_ids": [1], "conflict_to_ids": [3]},
         NO_FEASIBLE_SET),
    ],
)  # fmt: skip
def test_why_an_outcome_has_no_coalition(changes, reason):
    solution = solve(tiny_pool(**changes), PARAMS)
    assert solution.coalitions == [] and solution.reason == reason


def test_the_pool_keeps_only_ties_inside_it_and_the_strongest_of_a_pair():
    pool = tiny_pool(
        tie_from_ids=[1, 2, 1, 9, 3],
        tie_to_ids=[2, 1, 1, 1, 3],
        tie_strengths=[0.3, 0.9, 1.0, 1.0, 0.5],
    )
    assert list(zip(pool.tie_a, pool.tie_b, pool.tie_strength, strict=True)) == [(0, 1, 0.9)]


def test_input_order_does_not_matter():
    pool = tiny_pool()
    shuffled = tiny_pool(
        stakeholder_ids=[4, 3, 2, 1],
        kinds=[FIRM, WOMENS_GROUP, NGO, STATE],
        capabilities=[TECH, TRUST, FIELD | LOGISTICS, FUNDING],
        inclusive=[False, True, False, False],
        interest=[0.25, 1.0, 0.81, 1.0],
        influence=[1.0, 0.36, 0.25, 0.64],
    )
    assert shuffled.digest(PARAMS) == pool.digest(PARAMS)
    assert solve(shuffled, PARAMS).coalitions == solve(pool, PARAMS).coalitions


def test_the_digest_follows_every_input():
    digest = tiny_pool().digest(PARAMS)
    assert tiny_pool().digest(PARAMS) == digest
    assert tiny_pool(needed=FUNDING).digest(PARAMS) != digest
    assert tiny_pool(interest=[1.0, 0.81, 1.0, 0.3]).digest(PARAMS) != digest
    assert tiny_pool(tie_strengths=[0.8, 0.4, 0.6]).digest(PARAMS) != digest
    assert tiny_pool().digest(replace(PARAMS, coalitions=5)) != digest


def test_a_dominated_actor_is_recognised():
    # E (another NGO) brings less than B with a smaller stake: dominated, unless B is opposed.
    pool = tiny_pool(
        stakeholder_ids=[1, 2, 3, 4, 5],
        kinds=[STATE, NGO, WOMENS_GROUP, FIRM, NGO],
        capabilities=[FUNDING, FIELD | LOGISTICS, TRUST, TECH, FIELD],
        inclusive=[False, False, True, False, False],
        interest=[1.0, 0.81, 1.0, 0.25, 0.5],
        influence=[0.64, 0.25, 0.36, 1.0, 0.1],
    )
    everyone = np.ones(pool.size, dtype=bool)
    assert dominated(pool, PARAMS, dominators=everyone).tolist() == [
        False, False, False, False, True,
    ]  # fmt: skip
    opposed = tiny_pool(**{**_five(), "conflict_from_ids": [2], "conflict_to_ids": [4]})
    assert not dominated(opposed, PARAMS, dominators=everyone).any()


def _five() -> dict:
    return {
        "stakeholder_ids": [1, 2, 3, 4, 5],
        "kinds": [STATE, NGO, WOMENS_GROUP, FIRM, NGO],
        "capabilities": [FUNDING, FIELD | LOGISTICS, TRUST, TECH, FIELD],
        "inclusive": [False, False, True, False, False],
        "interest": [1.0, 0.81, 1.0, 0.25, 0.5],
        "influence": [0.64, 0.25, 0.36, 1.0, 0.1],
    }


# --- against brute force ------------------------------------------------------------------------


def random_pool(rng: random.Random, n: int, *, conflicts: float = 0.03) -> Pool:
    ids = rng.sample(range(1, 10 * n + 10), n)
    tie_from, tie_to, strengths, against_from, against_to = [], [], [], [], []
    for a, b in itertools.combinations(ids, 2):
        draw = rng.random()
        if draw < 0.2:
            tie_from.append(a), tie_to.append(b), strengths.append(round(rng.random(), 2))
        elif draw < 0.2 + conflicts:
            against_from.append(a), against_to.append(b)
    return build_pool(
        stakeholder_ids=ids,
        kinds=[rng.randrange(6) for _ in ids],
        capabilities=[rng.randrange(1024) & rng.randrange(1024) for _ in ids],
        inclusive=[rng.random() < 0.3 for _ in ids],
        interest=[round(rng.random(), 2) for _ in ids],
        influence=[round(rng.random(), 2) for _ in ids],
        needed=rng.randrange(1024),
        tie_from_ids=tie_from,
        tie_to_ids=tie_to,
        tie_strengths=strengths,
        conflict_from_ids=against_from,
        conflict_to_ids=against_to,
    )


def brute_force(pool: Pool, params: Parameters) -> list[tuple[float, tuple]]:
    """Every coalition by enumeration; the k-th best sharing at most max_shared with the rest."""
    every = []
    for size in range(params.min_size, params.max_size + 1):
        for combo in itertools.combinations(range(pool.size), size):
            if not violations(pool, combo, params):
                ids = tuple(sorted(int(pool.ids[i]) for i in combo))
                every.append((evaluate(pool, combo, params).value, ids))
    chosen: list[tuple[float, tuple]] = []
    for _ in range(params.coalitions):
        allowed = [
            (value, ids)
            for value, ids in every
            if all(len(set(ids) & set(other)) <= params.max_shared for _, other in chosen)
        ]
        if not allowed:
            break
        best = max(value for value, _ in allowed)
        chosen.append(min((v, ids) for v, ids in allowed if v >= best - 1e-12))  # smallest ids
    return chosen


def test_the_exact_solver_is_brute_force():
    rng = random.Random(20261203)
    params = replace(PARAMS, coalitions=3)
    compared = 0
    for _ in range(60):
        pool = random_pool(rng, rng.randrange(5, 11))
        expected = brute_force(pool, params)
        found = solve_exact(pool, params).coalitions
        assert [c.members for c in found] == [ids for _, ids in expected]
        assert [c.value for c in found] == pytest.approx([value for value, _ in expected])
        compared += len(expected)
    assert compared > 60  # the draws did produce coalitions to compare


def test_the_greedy_keeps_its_stated_bounds():
    """Where both run: the greedy's coalitions are coalitions, its first is at least the stated
    a priori share of the exact optimum when it states one, its certificate U is never below the
    optimum — and it mostly finds the optimum itself."""
    rng = random.Random(7)
    params = replace(PARAMS, coalitions=3)
    same = stated = total = 0
    for _ in range(80):
        pool = random_pool(rng, rng.randrange(6, 12))
        exact = solve_exact(pool, params)
        greedy = solve_greedy(pool, params)
        assert bool(exact.coalitions) == bool(greedy.coalitions)
        if not exact.coalitions:
            continue
        total += 1
        optimum = exact.coalitions[0].value
        assert greedy.upper_bound >= optimum - 1e-9
        for number, coalition in enumerate(greedy.coalitions):
            members = indices(pool, coalition.members)
            assert violations(pool, members, params) == []
            for earlier in greedy.coalitions[:number]:
                assert len(set(coalition.members) & set(earlier.members)) <= params.max_shared
            assert coalition.bound == pytest.approx(coalition.value / greedy.upper_bound)
        first = greedy.coalitions[0].value
        assert first <= optimum + 1e-9
        assert first >= greedy.guarantee * optimum - 1e-9
        assert first >= greedy.coalitions[0].bound * optimum - 1e-9
        stated += greedy.guarantee > 0
        same += math.isclose(first, optimum, abs_tol=1e-9)
    assert total > 60
    assert same >= 0.8 * total
    assert stated >= 0.3 * total


def test_the_certificate_is_exact_without_trust_and_conflicts():
    """With no trust weight and no opposing pairs, the dynamic programme is the optimum."""
    rng = random.Random(11)
    params = replace(PARAMS, weight_coverage=0.6, weight_stake=0.4, weight_trust=0.0)
    for _ in range(25):
        pool = random_pool(rng, rng.randrange(5, 10), conflicts=0.0)
        best = brute_force(pool, replace(params, coalitions=1))
        if best:
            assert upper_bound(pool, params) == pytest.approx(best[0][0])


def test_a_large_pool_is_solved_greedily_with_a_certificate():
    rng = np.random.default_rng(3)
    n = 1500
    kinds = rng.integers(0, 11, size=n)
    pool = build_pool(
        stakeholder_ids=np.arange(1, n + 1),
        kinds=kinds,
        capabilities=1 << rng.integers(0, 10, size=n),
        inclusive=(kinds == WOMENS_GROUP) | (rng.random(n) < 0.2),
        interest=rng.random(n),
        influence=rng.random(n),
        needed=FUNDING | FIELD | TECH | TRUST,
        tie_from_ids=rng.integers(1, n + 1, size=3000),
        tie_to_ids=rng.integers(1, n + 1, size=3000),
        tie_strengths=rng.random(3000),
    )
    solution = solve(pool, PARAMS)
    assert solution.solver == SOLVER_GREEDY
    assert len(solution.coalitions) == PARAMS.coalitions
    assert solution.coalitions[0].coverage == 1.0
    assert 0.8 < solution.coalitions[0].bound <= 1.0
    for coalition in solution.coalitions:
        assert violations(pool, indices(pool, coalition.members), PARAMS) == []


def test_parameters_name_their_allowed_ranges():
    assert Parameters().errors() == {}
    assert Parameters(coalitions=0).errors() == {"coalitions": "Must be between 1 and 10."}
    assert "add up to 1" in Parameters(weight_trust=0.5).errors()["weight_coverage"]
    assert Parameters(min_size=5, max_size=4).errors() == {
        "min_size": "Must be at most max_size (4)."
    }
