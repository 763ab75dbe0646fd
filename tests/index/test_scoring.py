"""The index's pure core against engagements scored by hand, pillar by pillar."""

import importlib
import math
import random

import pytest

from index.scoring import (
    EngagementFacts,
    ParticipantFacts,
    kind_evenness,
    normalise,
    score_engagement,
)

V1 = importlib.import_module("index.migrations.0002_methodology_v1_and_roles")
METHODOLOGY = {
    "indicators": V1.INDICATORS,
    "pillar_weights": V1.PILLAR_WEIGHTS,
    "aggregation": "arithmetic",
}
EXACT = 1e-9

PARTICIPANTS = (
    ParticipantFacts(kind="state", scope="national", role="convener"),
    ParticipantFacts(kind="ngo", scope="local", role="implementer"),
    ParticipantFacts(kind="womens_group", scope="local", role="participant"),
    ParticipantFacts(kind="diaspora", scope="global", role="funder"),
)

# Reference engagement A. Hand computation (v1 goalposts and weights):
# Digital: D1 2 channels → 2/3 (w 1); D2 yes → 1 (w 1); D3 level 1 → 1/3 (w 1.5);
#   D4 unknown (left out); D5 no → 0 (w 1). Known weight 4.5; sum 2/3 + 1 + 0.5 + 0 = 13/6.
#   Pillar = 100 · (13/6) / 4.5 = 1300/27.
# Multi-stakeholder: M1 4 actors → (4-1)/9 = 1/3; M2 4 kinds → 3/5; M3 one of each → 1;
#   M4 1 state of 4 → 2 · 1/4 = 1/2; M5 3 of 4 local or diaspora = 0.75 → clamped 1;
#   M6 convener, implementer, funder → 3/3 = 1. All weights 1: 100 · (133/30) / 6 = 13300/180.
# Feminist: F1 12/40 = 0.3 → 0.6 (w 1.5 → 0.9); F2 1/5 → 0.4 (w 1.5 → 0.6); F3 one women's
#   group → 1/2 (w 1); F4 unknown; F5 marker 2 → clamped 1 (w 0.5 → 0.5); F6 2 of 4 → 1/2;
#   F7 no → 0. Known weight 6.5; sum 3.0. Pillar = 300 / 6.5.
# Completeness: 16 of 18 indicators known.
FACTS_A = EngagementFacts(
    digital_channels=2,
    realtime_reporting=True,
    marginalised_reach=1,
    disinformation_safeguards=None,
    data_protection=False,
    participants_total=40,
    participants_women=12,
    leaders_total=5,
    leaders_women=1,
    gbv_safeguards=None,
    unscr1325_participation=True,
    unscr1325_protection=True,
    results_by_sex=False,
    dac_gender_marker=2,
    participants=PARTICIPANTS,
)
DIGITAL_A = 1300 / 27
MULTI_A = 13300 / 180
FEMINIST_A = 300 / 6.5


def test_reference_engagement_digital_pillar():
    result = score_engagement(FACTS_A, METHODOLOGY)
    assert result.digital == pytest.approx(DIGITAL_A, abs=EXACT)
    by_code = {i.code: i for i in result.indicators}
    assert by_code["D1"].normalised == pytest.approx(2 / 3, abs=EXACT)
    assert by_code["D1"].contribution == pytest.approx(100 * (2 / 3) / 4.5, abs=EXACT)
    assert by_code["D3"].contribution == pytest.approx(100 * 1.5 * (1 / 3) / 4.5, abs=EXACT)
    assert by_code["D4"].missing and by_code["D4"].contribution is None
    assert by_code["D5"].value == 0.0 and not by_code["D5"].missing


def test_reference_engagement_multi_stakeholder_pillar():
    result = score_engagement(FACTS_A, METHODOLOGY)
    assert result.multi_stakeholder == pytest.approx(MULTI_A, abs=EXACT)
    by_code = {i.code: i for i in result.indicators}
    assert by_code["M3"].value == pytest.approx(1.0, abs=EXACT)
    assert by_code["M4"].value == pytest.approx(0.5, abs=EXACT)
    assert by_code["M5"].value == pytest.approx(0.75, abs=EXACT)
    assert by_code["M5"].normalised == 1.0  # clamped at the goalpost


def test_reference_engagement_feminist_pillar():
    result = score_engagement(FACTS_A, METHODOLOGY)
    assert result.feminist == pytest.approx(FEMINIST_A, abs=EXACT)
    by_code = {i.code: i for i in result.indicators}
    assert by_code["F5"].normalised == 1.0  # marker 2 is not better than 1
    assert by_code["F4"].missing


def test_contributions_add_up_to_each_pillar():
    result = score_engagement(FACTS_A, METHODOLOGY)
    for pillar, score in result.pillars.items():
        total = math.fsum(
            i.contribution for i in result.indicators if i.pillar == pillar and not i.missing
        )
        assert total == pytest.approx(score, abs=EXACT)


def test_reference_engagement_composite_and_completeness():
    result = score_engagement(FACTS_A, METHODOLOGY)
    assert result.composite == pytest.approx((DIGITAL_A + MULTI_A + FEMINIST_A) / 3, abs=EXACT)
    assert result.completeness == pytest.approx(16 / 18, abs=EXACT)
    geometric = score_engagement(FACTS_A, {**METHODOLOGY, "aggregation": "geometric"})
    assert geometric.composite == pytest.approx(
        (DIGITAL_A * MULTI_A * FEMINIST_A) ** (1 / 3), abs=EXACT
    )
    assert geometric.composite < result.composite  # imbalance is penalised


def test_pillar_weights_weigh_the_composite():
    weighted = {
        **METHODOLOGY,
        "pillar_weights": {"digital": 2, "multi_stakeholder": 1, "feminist": 1},
    }
    result = score_engagement(FACTS_A, weighted)
    assert result.composite == pytest.approx((2 * DIGITAL_A + MULTI_A + FEMINIST_A) / 4, abs=EXACT)


def test_unknown_is_not_zero():
    """Reference engagement B: nothing known, so no pillar, no composite, completeness 0."""
    result = score_engagement(EngagementFacts(), METHODOLOGY)
    assert (result.digital, result.multi_stakeholder, result.feminist) == (None, None, None)
    assert result.composite is None
    assert result.completeness == 0.0
    assert all(i.missing for i in result.indicators)
    # One fact made known raises completeness and leaves the other pillars unknown.
    known = score_engagement(EngagementFacts(realtime_reporting=False), METHODOLOGY)
    assert known.digital == 0.0 and known.completeness == pytest.approx(1 / 18, abs=EXACT)
    assert known.feminist is None and known.composite == 0.0


@pytest.mark.parametrize(
    "pillars, expected",
    [
        ({}, None),  # nothing recorded about UNSCR 1325: unknown, not zero
        ({"unscr1325_participation": False}, 0.0),  # recorded: no pillar addressed
        ({"unscr1325_protection": True}, 1.0),  # the others unknown count as not addressed
        ({"unscr1325_protection": True, "unscr1325_prevention": None}, 1.0),
        (
            {
                "unscr1325_participation": True,
                "unscr1325_protection": True,
                "unscr1325_prevention": False,
                "unscr1325_relief_recovery": True,
            },
            3.0,
        ),
    ],
)
def test_unscr1325_pillars_are_unknown_only_when_none_is_recorded(pillars, expected):
    result = score_engagement(EngagementFacts(**pillars), METHODOLOGY)
    (f6,) = [i for i in result.indicators if i.code == "F6"]
    assert f6.value == expected
    assert result.completeness == (0.0 if expected is None else pytest.approx(1 / 18))


def test_a_zero_count_of_participants_is_unknown_share_not_zero():
    result = score_engagement(
        EngagementFacts(participants_total=0, participants_women=0), METHODOLOGY
    )
    assert {i.code: i for i in result.indicators}["F1"].missing


def test_kind_evenness_is_shannon_over_ln_k():
    shares = (2 / 3, 1 / 3)
    expected = -sum(s * math.log(s) for s in shares) / math.log(2)
    assert kind_evenness(["state", "state", "ngo"]) == pytest.approx(expected, abs=EXACT)
    assert kind_evenness(["ngo", "ngo"]) == 0.0
    assert kind_evenness(["ngo", "firm", "state"]) == pytest.approx(1.0, abs=EXACT)


def test_normalise_clamps_to_the_goalposts():
    assert normalise(5, 0, 3) == 1.0
    assert normalise(-1, 0, 3) == 0.0
    assert normalise(1.5, 0, 3) == 0.5


def test_same_inputs_same_score_whatever_the_participants_order():
    first = score_engagement(FACTS_A, METHODOLOGY)
    shuffled = list(PARTICIPANTS)
    random.Random(7).shuffle(shuffled)
    again = score_engagement(
        EngagementFacts(**{**FACTS_A.__dict__, "participants": tuple(shuffled)}), METHODOLOGY
    )
    assert again == first  # exactly equal floats


def test_an_unknown_indicator_code_is_refused():
    bad = {**METHODOLOGY, "indicators": [{**V1.INDICATORS[0], "code": "X9"}]}
    with pytest.raises(ValueError, match="X9"):
        score_engagement(FACTS_A, bad)
