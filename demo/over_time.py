"""Demo stake re-assessments and salience assessments (demo/data/over_time.yaml), through the
services, so that a new user sees support and opposition move and the salience circles filled.

Idempotent: a stake change already recorded on its day, or a salience assessment of the same
actor, outcome and day, is skipped; an actor or stake the scenario lacks is skipped too.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from relationships import services
from relationships.models import SalienceAssessment
from stakeholders import services as registry
from stakeholders.models import Outcome, Stake

from .interactions import _stakeholder
from .vocabulary import data_file

MONTH = 30


def _outcomes() -> dict[str, Outcome]:
    titles = {row["slug"]: row["title"] for row in data_file("outcomes.yaml")["outcomes"]}
    by_title = {o.title: o for o in Outcome.objects.filter(title__in=titles.values())}
    return {slug: by_title[title] for slug, title in titles.items() if title in by_title}


@transaction.atomic
def demo_over_time_ensure(*, today: datetime.date | None = None) -> tuple[int, int]:
    """Record what is missing; returns (stake changes, salience assessments) recorded."""
    today = today or timezone.localdate()
    data = data_file("over_time.yaml")
    outcomes = _outcomes()
    officer = get_user_model().objects.filter(username="officer").first()
    changes = 0
    rows = sorted(data["stake_changes"], key=lambda row: -row["months_ago"])  # oldest first
    for row in rows:
        actor, outcome = _stakeholder(row["stakeholder"]), outcomes.get(row["outcome"])
        stake = Stake.objects.filter(stakeholder=actor, outcome=outcome).first() if actor else None
        day = today - datetime.timedelta(days=row["months_ago"] * MONTH)
        if stake is None or stake.history.filter(assessed_on=day).exists():
            continue
        fields = {k: row[k] for k in ("position", "interest", "influence", "source") if k in row}
        registry.stake_update(stake=stake, assessed_on=day, notes=row.get("note", ""), **fields)
        changes += 1
    assessed = 0
    for row in data["salience"]:
        actor, outcome = _stakeholder(row["stakeholder"]), outcomes.get(row["outcome"])
        day = today - datetime.timedelta(days=row["months_ago"] * MONTH)
        if actor is None or outcome is None or officer is None:
            continue
        if SalienceAssessment.objects.filter(
            stakeholder=actor, outcome=outcome, assessed_on=day
        ).exists():
            continue
        services.salience_assess(
            user=officer,  # the demo's officer, cleared: restricted actors included
            stakeholder=actor,
            outcome=outcome,
            power=row["power"],
            legitimacy=row["legitimacy"],
            urgency=row["urgency"],
            assessed_on=day,
            note=row.get("note", ""),
        )
        assessed += 1
    return changes, assessed
