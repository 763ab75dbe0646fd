"""The attack that found the leak, replayed: from everything a person not cleared can read about
an engagement (its score, every indicator, the public weights and goalposts, its participants),
try to detect a hidden participant. Each of the participant indicators must be exactly what the
visible participants give, and each pillar exactly what the shown indicators give: nothing is left
over for a hidden actor to explain."""

import pytest

from index import scoring, services
from index.selectors import engagement_participants_visible, score_of
from stakeholders.choices import Kind, Scope, Sensitivity
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1(db):
    from index.models import Methodology

    return Methodology.objects.get(name="Smart Diplomacy Index", version=1)


HIDDEN_KINDS = [Kind.WOMENS_GROUP, Kind.DIASPORA, Kind.GRASSROOTS, Kind.NGO, Kind.STATE]


@pytest.mark.parametrize("hidden", [0, 1, 2, 3])
def test_no_indicator_or_pillar_betrays_a_hidden_participant(v1, analyst, hidden):
    engagement = EngagementFactory(
        digital_channels=2, participants_total=30, participants_women=12, gbv_safeguards=True
    )
    for kind in (Kind.NGO, Kind.STATE, Kind.FIRM):
        EngagementParticipantFactory(
            engagement=engagement, stakeholder=StakeholderFactory(kind=kind, scope=Scope.NATIONAL)
        )
    for kind in HIDDEN_KINDS[:hidden]:
        EngagementParticipantFactory(
            engagement=engagement,
            stakeholder=StakeholderFactory(
                kind=kind, scope=Scope.LOCAL, sensitivity=Sensitivity.RESTRICTED
            ),
        )
    services.score_compute(engagement=engagement, methodology=v1)
    score = score_of(engagement=engagement, methodology=v1, user=analyst)
    seen = engagement_participants_visible(engagement=engagement, user=analyst)
    indicators = {i["code"]: i for i in score.indicators}
    # What the visible participants alone give, indicator by indicator.
    kinds = [p.stakeholder.kind for p in seen]
    expected = {
        "M1": float(len(seen)),
        "M2": float(len(set(kinds))),
        "M3": scoring.kind_evenness(kinds),
        "M4": scoring.state_balance(kinds),
        "M5": sum(p.stakeholder.scope == "local" or p.stakeholder.kind == "diaspora" for p in seen)
        / len(seen),
        "F3": float(sum(kind == Kind.WOMENS_GROUP for kind in kinds)),
    }
    for code, value in expected.items():
        assert indicators[code]["value"] == pytest.approx(value, abs=1e-12), code
    # Each pillar is exactly the sum of its shown contributions: no residue to explain.
    for pillar in scoring.PILLARS:
        shown = [i["contribution"] for i in score.indicators if i["pillar"] == pillar]
        known = [c for c in shown if c is not None]
        assert getattr(score, pillar) == pytest.approx(sum(known), abs=1e-9), pillar
    # And the whole score is the one of the same engagement without its hidden participants.
    twin = scoring.score_engagement(
        scoring.EngagementFacts(
            digital_channels=2, participants_total=30, participants_women=12, gbv_safeguards=True,
            participants=tuple(
                scoring.ParticipantFacts(kind=p.stakeholder.kind, scope=p.stakeholder.scope,
                                         role=p.role)
                for p in sorted(seen, key=lambda p: p.stakeholder_id)
            ),
        ),
        v1.as_dict(),
    )  # fmt: skip
    assert (score.digital, score.multi_stakeholder, score.feminist, score.composite) == (
        twin.digital,
        twin.multi_stakeholder,
        twin.feminist,
        twin.composite,
    )
