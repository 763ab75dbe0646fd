"""Demo engagements for the demo scenario: deterministic, idempotent, through the services.

Two engagements per demo outcome, with participants drawn from the actors holding the strongest
stakes in it and facts that vary (some left unknown, so completeness varies too).
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django_countries import countries

from index.choices import EngagementFormat, EngagementKind, ParticipantRole
from index.engagement_services import engagement_create
from index.models import Engagement
from stakeholders.models import Outcome, Stake

from .scenario import OUTCOMES as DEMO_OUTCOMES
from .vocabulary import demo_place

DEMO_SEED = 2026
FUNDING_KINDS = {"state", "igo", "foundation"}


def _maybe(rng: random.Random, value, unknown_share: float = 0.2):
    return None if rng.random() < unknown_share else value


@transaction.atomic
def demo_engagements_ensure(*, outcomes=None, per_outcome: int = 2) -> int:
    """Create the demo engagements that are missing; returns how many were created."""
    rng = random.Random(DEMO_SEED)
    author = get_user_model().objects.filter(username="admin").first()
    existing = set(Engagement.objects.values_list("title", flat=True))
    if outcomes is None:
        titles = [spec.title for spec in DEMO_OUTCOMES]
        outcomes = Outcome.objects.filter(title__in=titles).order_by("title")
    outcomes = list(outcomes)
    created = 0
    kinds = list(EngagementKind.values)
    formats = list(EngagementFormat.values)
    for outcome in outcomes:
        stakes = list(
            Stake.objects.filter(outcome=outcome)
            .select_related("stakeholder")
            .order_by("-interest", "stakeholder_id")[:12]
        )
        if len(stakes) < 2:
            continue
        for number in range(1, per_outcome + 1):
            kind = rng.choice(kinds)
            title = f"{EngagementKind(kind).label}: {outcome.title} #{number}"
            size = rng.randint(2, min(8, len(stakes)))
            chosen = sorted(rng.sample(stakes, size), key=lambda stake: stake.stakeholder_id)
            participants = []
            for index, stake in enumerate(chosen):
                if index == 0:
                    role = ParticipantRole.CONVENER
                elif stake.stakeholder.kind in FUNDING_KINDS and rng.random() < 0.5:
                    role = ParticipantRole.FUNDER
                else:
                    role = rng.choice([ParticipantRole.PARTICIPANT, ParticipantRole.IMPLEMENTER])
                participants.append((stake.stakeholder_id, role))
            total = rng.randint(12, 240)
            leaders = rng.randint(2, 12)
            start = datetime.date(2025, 1, 6) + datetime.timedelta(days=rng.randint(0, 600))
            country = next((c.code for c in outcome.countries if c.code in countries), "")
            fields = {
                **demo_place(country),
                "end_date": start + datetime.timedelta(days=rng.choice([0, 1, 2, 30, 180])),
                "format": rng.choice(formats),
                "country": country,
                "place": outcome.geography,
                "digital_channels": _maybe(rng, rng.randint(0, 4)),
                "realtime_reporting": _maybe(rng, rng.random() < 0.5),
                "marginalised_reach": _maybe(rng, rng.randint(0, 3)),
                "disinformation_safeguards": _maybe(rng, rng.random() < 0.4, 0.35),
                "data_protection": _maybe(rng, rng.random() < 0.6),
                "participants_total": total,
                "participants_women": _maybe(rng, rng.randint(0, total)),
                "leaders_total": leaders,
                "leaders_women": _maybe(rng, rng.randint(0, leaders)),
                "gbv_safeguards": _maybe(rng, rng.random() < 0.5),
                "unscr1325_participation": rng.random() < 0.6,
                "unscr1325_protection": rng.random() < 0.5,
                "unscr1325_prevention": rng.random() < 0.4,
                "unscr1325_relief_recovery": rng.random() < 0.4,
                "results_by_sex": _maybe(rng, rng.random() < 0.5, 0.4),
                "dac_gender_marker": _maybe(rng, rng.choice([0, 1, 2]), 0.3),
            }
            if title in existing:
                continue
            engagement_create(
                user=author,
                title=title,
                kind=kind,
                start_date=start,
                participants=participants,
                outcomes=[outcome],
                **fields,
            )
            created += 1
    return created
