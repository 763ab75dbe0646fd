"""Sensitivity analysis: the vectorised composite equals the scorer's, and rank moves are right."""

import importlib
import random

import numpy as np
import pytest

from index.scoring import EngagementFacts, ParticipantFacts, score_engagement
from index.sensitivity import analyse, composites, normalised_matrix, ranks_of

V1 = importlib.import_module("index.migrations.0002_methodology_v1_and_roles")
CODES = [spec["code"] for spec in V1.INDICATORS]
PILLAR_OF = [spec["pillar"] for spec in V1.INDICATORS]
WEIGHTS = np.array([float(spec["weight"]) for spec in V1.INDICATORS])
PILLAR_WEIGHTS = np.array(
    [float(V1.PILLAR_WEIGHTS[p]) for p in ("digital", "multi_stakeholder", "feminist")]
)
KINDS = ["state", "igo", "ngo", "womens_group", "diaspora", "firm"]


def _maybe(rng, value):
    return None if rng.random() < 0.25 else value


def _random_facts(rng: random.Random) -> EngagementFacts:
    total = rng.randint(1, 200)
    leaders = rng.randint(1, 10)
    participants = tuple(
        ParticipantFacts(
            kind=rng.choice(KINDS),
            scope=rng.choice(["local", "national", "global"]),
            role=rng.choice(["convener", "participant", "funder", "implementer"]),
        )
        for _ in range(rng.choice([0, 2, 3, 5, 9]))
    )
    return EngagementFacts(
        digital_channels=_maybe(rng, rng.randint(0, 5)),
        realtime_reporting=_maybe(rng, rng.random() < 0.5),
        marginalised_reach=_maybe(rng, rng.randint(0, 3)),
        disinformation_safeguards=_maybe(rng, rng.random() < 0.5),
        data_protection=_maybe(rng, rng.random() < 0.5),
        participants_total=total,
        participants_women=_maybe(rng, rng.randint(0, total)),
        leaders_total=leaders,
        leaders_women=_maybe(rng, rng.randint(0, leaders)),
        gbv_safeguards=_maybe(rng, rng.random() < 0.5),
        unscr1325_participation=rng.random() < 0.5,
        unscr1325_protection=rng.random() < 0.5,
        results_by_sex=_maybe(rng, rng.random() < 0.5),
        dac_gender_marker=_maybe(rng, rng.randint(0, 2)),
        participants=participants,
    )


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
def test_vectorised_composite_equals_the_scorer_on_random_engagements(aggregation):
    rng = random.Random(7)
    methodology = {
        "indicators": V1.INDICATORS,
        "pillar_weights": V1.PILLAR_WEIGHTS,
        "aggregation": aggregation,
    }
    results = [score_engagement(_random_facts(rng), methodology) for _ in range(300)]
    values = normalised_matrix(
        [[indicator.as_dict() for indicator in result.indicators] for result in results], CODES
    )
    vectorised = composites(values, PILLAR_OF, WEIGHTS, PILLAR_WEIGHTS, aggregation)[:, 0]
    expected = np.array([np.nan if r.composite is None else r.composite for r in results])
    assert np.isnan(expected).sum() == np.isnan(vectorised).sum()
    np.testing.assert_allclose(vectorised, expected, rtol=0, atol=1e-9, equal_nan=True)
    # Some engagements lack a pillar or are 0 somewhere: the test covers the edge rules.
    assert any(r.feminist is None or r.multi_stakeholder is None for r in results) or any(
        r.composite == 0 for r in results
    )


def test_ranks_put_the_highest_first_and_ties_share_a_rank():
    assert ranks_of(np.array([[10.0], [30.0], [30.0], [5.0]]))[:, 0].tolist() == [3, 1, 1, 4]


def _two_indicator_methodology():
    indicators = [
        {"code": "D1", "pillar": "digital", "label": "Channels", "weight": 1.0},
        {"code": "D2", "pillar": "digital", "label": "Reporting", "weight": 1.0},
    ]
    return indicators, {"digital": 1.0, "multi_stakeholder": 1.0, "feminist": 1.0}


def test_a_weight_change_that_swaps_two_engagements_is_reported():
    indicators, pillars = _two_indicator_methodology()
    # A: D1 strong (0.9), D2 weak (0.2) → 55; B: D1 weak (0.3), D2 strong (0.75) → 52.5.
    # D1 -20 %: A = (0.72 + 0.2) / 1.8 = 51.1, B = (0.24 + 0.75) / 1.8 = 55 → they swap.
    # D2 +20 %: A = (0.9 + 0.24) / 2.2 = 51.8, B = (0.3 + 0.9) / 2.2 = 54.5 → they swap.
    # D1 +20 % and D2 -20 % keep A first.
    values = np.array([[0.9, 0.2], [0.3, 0.75]])
    result = analyse(values, indicators, pillars, "arithmetic", draws=50)
    effects = {(e.parameter, e.change): e for e in result.effects}
    assert effects[("D1", "-20 %")].max_shift == 1
    assert effects[("D1", "-20 %")].share_moved == 1.0
    assert effects[("D2", "+20 %")].mean_shift == 1.0
    assert effects[("D1", "+20 %")].max_shift == 0
    assert effects[("D2", "-20 %")].max_shift == 0
    # Only the digital pillar is scored, so pillar weights cannot move anything.
    assert effects[("pillar:digital", "+20 %")].max_shift == 0
    assert [interval.rank for interval in result.intervals] == [1, 2]
    first = result.intervals[0]
    assert first.index == 0 and first.low <= first.median <= first.high
    # The random draws sometimes swap them, so the intervals of both span ranks 1 to 2.
    assert first.high == 2.0 and result.intervals[1].low == 1.0


def test_a_weight_no_engagement_uses_moves_nothing_and_draws_are_seeded():
    indicators, pillars = _two_indicator_methodology()
    values = np.array([[0.9, np.nan], [0.3, np.nan], [0.5, np.nan]])
    result = analyse(values, indicators, pillars, "arithmetic")
    assert all(effect.max_shift == 0 for effect in result.effects)
    assert [interval.index for interval in result.intervals] == [0, 2, 1]
    assert all(interval.low == interval.high == interval.rank for interval in result.intervals)
    again = analyse(values, indicators, pillars, "arithmetic")
    assert again == result


def test_engagements_without_a_composite_are_left_out_and_an_empty_set_is_fine():
    indicators, pillars = _two_indicator_methodology()
    result = analyse(np.array([[np.nan, np.nan], [0.4, 0.4]]), indicators, pillars, "geometric")
    assert result.ranked == 1
    assert [interval.index for interval in result.intervals] == [1]
    empty = analyse(np.empty((0, 2)), indicators, pillars, "arithmetic")
    assert empty.ranked == 0 and empty.effects == () and empty.intervals == ()
