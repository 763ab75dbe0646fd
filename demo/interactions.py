"""Demo interactions, owners and follow-ups (demo/data/interactions.yaml), through the services.

Idempotent: an interaction whose notes' first line is already logged is skipped, and so is its
follow-up; owners are set only where none is.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from relationships import services
from relationships.models import Interaction, StakeholderOwner
from stakeholders.choices import Sensitivity
from stakeholders.models import Outcome, Stakeholder

from .vocabulary import data_file


def _stakeholder(name: str) -> Stakeholder | None:
    if name.startswith("@restricted "):
        _, kind, country = name.split()
        return (
            Stakeholder.objects.filter(kind=kind, country=country)
            .exclude(sensitivity=Sensitivity.PUBLIC)
            .order_by("name", "id")
            .first()
        )
    return Stakeholder.objects.filter(name=name).order_by("id").first()


@transaction.atomic
def demo_interactions_ensure(*, today: datetime.date | None = None) -> int:
    """Create the demo interactions that are missing; returns how many were created."""
    today = today or timezone.localdate()
    data = data_file("interactions.yaml")
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    logged = {
        (notes or "").strip().splitlines()[0]
        for notes in Interaction.objects.values_list("notes", flat=True)
        if notes
    }
    created = 0
    for row in data["interactions"]:
        title = row["notes"].strip().splitlines()[0]
        author = users.get(row["by"])
        actors = [_stakeholder(name) for name in row["stakeholders"]]
        if title in logged or author is None or not all(actors):
            continue
        interaction = services.interaction_create(
            user=author,
            kind=row["kind"],
            date=today - datetime.timedelta(days=row["days_ago"]),
            stakeholders=actors,
            outcomes=list(Outcome.objects.filter(title__in=row.get("outcomes", []))),
            our_people=[author],
            notes=row["notes"],
            sentiment=row.get("sentiment"),
        )
        created += 1
        follow_up = row.get("follow_up")
        owner = users.get(follow_up["owner"]) if follow_up else None
        if follow_up and owner is not None:
            services.follow_up_create(
                user=author,
                stakeholder=actors[0],
                title=follow_up["title"],
                due_date=today + datetime.timedelta(days=follow_up["due_in"]),
                owner=owner,
                interaction=interaction,
            )
    for row in data.get("owners", []):
        stakeholder, owner = _stakeholder(row["stakeholder"]), users.get(row["owner"])
        if stakeholder is None or owner is None:
            continue
        if not StakeholderOwner.objects.filter(stakeholder=stakeholder).exists():
            services.stakeholder_owner_set(stakeholder=stakeholder, owner=owner, user=owner)
    return created
