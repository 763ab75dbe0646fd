"""Writes of engagements with their participants and outcomes; each queues the engagement's
rescoring once the transaction commits.

Every fact a caller may set is a keyword-only parameter (``ENGAGEMENT_FIELDS``): a misspelt one,
or one the application keeps for itself (``created_at``), is a ``TypeError`` at the call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models, transaction

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.services import UNSET, given_fields, model_update, validated_save
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.selectors import stakeholder_visible_to

from .choices import ParticipantRole
from .models import Engagement, EngagementParticipant
from .scoring import FACT_FIELDS

if TYPE_CHECKING:
    from partnerships.models import Partnership

Coordinate = float | Decimal | None

# What a page, an import or the demo may set on an engagement: its facts, each a keyword of the
# services (title, kind and start_date first: required to create one). Ids and timestamps are
# the application's own.
ENGAGEMENT_FIELDS = (
    "title",
    "kind",
    "start_date",
    "end_date",
    "place",
    "country",
    "subnational_area",
    "latitude",
    "longitude",
    "format",
    "partnership",
    "iati_activity",
    *FACT_FIELDS,
)


def _visible_participants(*, user, participants: Iterable[tuple[int, str]]):
    """Check ``(stakeholder_id, role)`` pairs: each visible to ``user``, once, with a known role.

    A stakeholder the user may not see is reported exactly like one that does not exist.
    """
    pairs = [(int(stakeholder_id), role) for stakeholder_id, role in participants]
    ids = [stakeholder_id for stakeholder_id, _ in pairs]
    if len(set(ids)) != len(ids):
        raise ApplicationError("A stakeholder is listed twice among participants.", "participants")
    for _, role in pairs:
        if role not in ParticipantRole.values:
            raise ApplicationError(
                f"Unknown role {role!r}; choose one of {', '.join(ParticipantRole.values)}.",
                "participants",
            )
    visible = set(stakeholder_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    for stakeholder_id in ids:
        if stakeholder_id not in visible:
            raise ApplicationError(
                f"Stakeholder #{stakeholder_id} does not exist.", "participants", code="nonexistent"
            )
    return pairs


def _check_partnership(*, user, partnership) -> None:
    """A partnership the user may not see (e.g. someone else's draft) fails like a missing one."""
    from partnerships.selectors import partnership_visible_to

    if (
        partnership is not None
        and not partnership_visible_to(user).filter(pk=partnership.pk).exists()
    ):
        raise ApplicationError(
            f"Partnership #{partnership.pk} does not exist.", "partnership", code="nonexistent"
        )


def _queue_rescore(engagement: Engagement) -> None:
    from .tasks import engagement_rescore

    enqueue_on_commit(engagement_rescore, engagement.pk)


@transaction.atomic
def engagement_create(
    *,
    user,
    title: str,
    kind: str,
    start_date: date,
    participants: Iterable[tuple[int, str]] = (),
    outcomes: Iterable = (),
    end_date: date | None = UNSET,
    place: str = UNSET,
    country: str = UNSET,
    subnational_area: str = UNSET,
    latitude: Coordinate = UNSET,
    longitude: Coordinate = UNSET,
    format: str = UNSET,
    partnership: Partnership | None = UNSET,
    iati_activity: models.Model | None = UNSET,
    digital_channels: int | None = UNSET,
    realtime_reporting: bool | None = UNSET,
    marginalised_reach: int | None = UNSET,
    disinformation_safeguards: bool | None = UNSET,
    data_protection: bool | None = UNSET,
    participants_total: int | None = UNSET,
    participants_women: int | None = UNSET,
    leaders_total: int | None = UNSET,
    leaders_women: int | None = UNSET,
    gbv_safeguards: bool | None = UNSET,
    unscr1325_participation: bool | None = UNSET,
    unscr1325_protection: bool | None = UNSET,
    unscr1325_prevention: bool | None = UNSET,
    unscr1325_relief_recovery: bool | None = UNSET,
    results_by_sex: bool | None = UNSET,
    dac_gender_marker: int | None = UNSET,
) -> Engagement:
    """Record an engagement with its participants (``(stakeholder_id, role)`` pairs); facts not
    given keep the model's defaults."""
    fields = given_fields(locals(), ENGAGEMENT_FIELDS[3:])
    pairs = _visible_participants(user=user, participants=participants)
    _check_partnership(user=user, partnership=fields.get("partnership"))
    engagement = validated_save(Engagement(title=title, kind=kind, start_date=start_date, **fields))
    EngagementParticipant.objects.bulk_create(
        EngagementParticipant(engagement=engagement, stakeholder_id=pk, role=role)
        for pk, role in pairs
    )
    if outcomes:
        engagement.outcomes.set(outcomes)
    _queue_rescore(engagement)
    return engagement


@transaction.atomic
def engagement_update(
    *,
    engagement: Engagement,
    user,
    participants: Iterable[tuple[int, str]] | None = None,
    outcomes: Iterable | None = None,
    title: str = UNSET,
    kind: str = UNSET,
    start_date: date = UNSET,
    end_date: date | None = UNSET,
    place: str = UNSET,
    country: str = UNSET,
    subnational_area: str = UNSET,
    latitude: Coordinate = UNSET,
    longitude: Coordinate = UNSET,
    format: str = UNSET,
    partnership: Partnership | None = UNSET,
    iati_activity: models.Model | None = UNSET,
    digital_channels: int | None = UNSET,
    realtime_reporting: bool | None = UNSET,
    marginalised_reach: int | None = UNSET,
    disinformation_safeguards: bool | None = UNSET,
    data_protection: bool | None = UNSET,
    participants_total: int | None = UNSET,
    participants_women: int | None = UNSET,
    leaders_total: int | None = UNSET,
    leaders_women: int | None = UNSET,
    gbv_safeguards: bool | None = UNSET,
    unscr1325_participation: bool | None = UNSET,
    unscr1325_protection: bool | None = UNSET,
    unscr1325_prevention: bool | None = UNSET,
    unscr1325_relief_recovery: bool | None = UNSET,
    results_by_sex: bool | None = UNSET,
    dac_gender_marker: int | None = UNSET,
) -> Engagement:
    """Change the given facts of an engagement; ``participants`` (if given) replaces those
    ``user`` may see.

    Participants hidden from ``user`` stay as they are: a person cannot remove (or learn of) an
    actor they are not cleared to see.
    """
    fields = given_fields(locals(), ENGAGEMENT_FIELDS)
    if "partnership" in fields and fields["partnership"] != engagement.partnership:
        _check_partnership(user=user, partnership=fields["partnership"])
    model_update(instance=engagement, fields=ENGAGEMENT_FIELDS, data=fields, what="an engagement")
    if participants is not None:
        pairs = dict(_visible_participants(user=user, participants=participants))
        visible_ids = stakeholder_visible_to(user).values("pk")
        current = {
            p.stakeholder_id: p
            for p in engagement.participants.filter(stakeholder_id__in=visible_ids)
        }
        for stakeholder_id, participant in current.items():
            if stakeholder_id not in pairs:
                participant.delete()
            elif participant.role != pairs[stakeholder_id]:
                participant.role = pairs[stakeholder_id]
                participant.save(update_fields=["role"])
        for stakeholder_id, role in pairs.items():
            if stakeholder_id not in current:
                EngagementParticipant.objects.create(
                    engagement=engagement, stakeholder_id=stakeholder_id, role=role
                )
    if outcomes is not None:
        engagement.outcomes.set(outcomes)
    _queue_rescore(engagement)
    return engagement
