"""Writes of interactions, owners and follow-ups, validated, each recorded in the history.

A stakeholder, outcome, partnership or person the writer may not see is refused exactly like one
that does not exist, naming the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from index import engagement_services
from index.engagement_services import ENGAGEMENT_FIELDS, Coordinate
from index.models import Engagement
from partnerships.models import Partnership
from partnerships.selectors import partnership_visible_to
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.services import UNSET, given_fields
from stakeholders.models import Outcome, Stakeholder
from stakeholders.selectors import stakeholder_visible_to

from . import salience
from .choices import SENTIMENT_MAX, SENTIMENT_MIN, InteractionKind
from .models import (
    FollowUp,
    FollowUpReminder,
    Interaction,
    SalienceAssessment,
    StakeholderOwner,
)
from .selectors import follow_up_visible_to, interaction_visible_to, salience_visible_to

NOTES_MAX = 10_000


def _today() -> datetime.date:
    return timezone.localdate()


def _ids(values: Iterable) -> list[int]:
    return [int(getattr(value, "pk", value)) for value in values]


def _visible_stakeholders(*, user, stakeholders: Iterable) -> list[int]:
    ids = list(dict.fromkeys(_ids(stakeholders)))
    if not ids:
        raise ApplicationError(
            "Choose at least one stakeholder (their people or organisation).", "stakeholders"
        )
    found = set(stakeholder_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ApplicationError(
            f"Stakeholder #{missing[0]} does not exist.", "stakeholders", code="nonexistent"
        )
    return ids


def _outcomes(outcomes: Iterable) -> list[int]:
    ids = list(dict.fromkeys(_ids(outcomes)))
    found = set(Outcome.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ApplicationError(
            f"Outcome #{missing[0]} does not exist.", "outcomes", code="nonexistent"
        )
    return ids


def _people(people: Iterable) -> list[int]:
    ids = list(dict.fromkeys(_ids(people)))
    found = set(
        get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
    )
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ApplicationError(
            f"Person #{missing[0]} does not exist or is inactive.", "our_people", code="nonexistent"
        )
    return ids


def _check_partnership(*, user, partnership: Partnership | None) -> None:
    if partnership is not None and not (
        partnership_visible_to(user).prefetch_related(None).filter(pk=partnership.pk).exists()
    ):
        raise ApplicationError(
            f"Partnership #{partnership.pk} does not exist.", "partnership", code="nonexistent"
        )


def _check_fields(*, kind: str, date, sentiment, notes: str) -> None:
    if kind not in InteractionKind.values:
        raise ApplicationError(
            f"Choose a kind among {', '.join(InteractionKind.values)}; {kind!r} is not one.", "kind"
        )
    if not isinstance(date, datetime.date):
        raise ApplicationError("Give the date as YYYY-MM-DD.", "date")
    today = _today()
    if date > today:
        raise ApplicationError(
            f"The date cannot be in the future (today is {today:%Y-%m-%d}); log an interaction "
            "once it happened, or add a follow-up for one to come.",
            "date",
        )
    if sentiment is not None and not SENTIMENT_MIN <= int(sentiment) <= SENTIMENT_MAX:
        raise ApplicationError(
            f"Sentiment must be between {SENTIMENT_MIN} and {SENTIMENT_MAX} (or left empty).",
            "sentiment",
        )
    if len(notes or "") > NOTES_MAX:
        raise ApplicationError(f"Notes must be at most {NOTES_MAX} characters.", "notes")


@transaction.atomic
def interaction_create(
    *,
    user,
    kind: str,
    date: datetime.date,
    stakeholders: Iterable,
    outcomes: Iterable = (),
    our_people: Iterable = (),
    notes: str = "",
    sentiment: int | None = None,
    partnership: Partnership | None = None,
) -> Interaction:
    """Log an interaction: at least one stakeholder, all visible to ``user``; a date not after
    today; a sentiment on the documented scale (-2 … +2) or none."""
    _check_fields(kind=kind, date=date, sentiment=sentiment, notes=notes)
    stakeholder_ids = _visible_stakeholders(user=user, stakeholders=stakeholders)
    outcome_ids = _outcomes(outcomes)
    people_ids = _people(our_people)
    _check_partnership(user=user, partnership=partnership)
    interaction = Interaction(
        kind=kind,
        date=date,
        notes=notes or "",
        sentiment=sentiment,
        partnership=partnership,
        created_by=user if getattr(user, "pk", None) else None,
    )
    interaction.full_clean(exclude=["stakeholders", "outcomes", "our_people"])
    # The M2M rows first, then one save, so that the history's first record holds them.
    interaction.save()
    interaction.stakeholders.set(stakeholder_ids)
    interaction.outcomes.set(outcome_ids)
    interaction.our_people.set(people_ids)
    interaction.save()
    return interaction


INTERACTION_FIELDS = ("kind", "date", "notes", "sentiment", "partnership")


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    user,
    stakeholders: Iterable | None = None,
    outcomes: Iterable | None = None,
    our_people: Iterable | None = None,
    kind: str = UNSET,
    date: datetime.date = UNSET,
    notes: str = UNSET,
    sentiment: int | None = UNSET,
    partnership: Partnership | None = UNSET,
) -> Interaction:
    """Change an interaction ``user`` may see: the fields given (``INTERACTION_FIELDS``) and the
    three lists (each replaced when given)."""
    fields = given_fields(locals(), INTERACTION_FIELDS)
    locked = interaction_visible_to(user).select_for_update().filter(pk=interaction.pk).first()
    if locked is None:
        raise ApplicationError(f"Interaction #{interaction.pk} does not exist.", code="nonexistent")
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_fields(
        kind=locked.kind, date=locked.date, sentiment=locked.sentiment, notes=locked.notes
    )
    if "partnership" in fields:
        _check_partnership(user=user, partnership=locked.partnership)
    if stakeholders is not None:
        locked.stakeholders.set(_visible_stakeholders(user=user, stakeholders=stakeholders))
    if outcomes is not None:
        locked.outcomes.set(_outcomes(outcomes))
    if our_people is not None:
        locked.our_people.set(_people(our_people))
    locked.full_clean(exclude=["stakeholders", "outcomes", "our_people"])
    locked.save()
    return locked


@transaction.atomic
def interaction_delete(*, interaction: Interaction, user) -> None:
    """Delete an interaction ``user`` may see (its follow-ups stay, without it)."""
    locked = interaction_visible_to(user).select_for_update().filter(pk=interaction.pk).first()
    if locked is None:
        raise ApplicationError(f"Interaction #{interaction.pk} does not exist.", code="nonexistent")
    locked.delete()


# An engagement's facts a promotion may set: all but the IATI activity, an import's own.
PROMOTED_FIELDS = tuple(name for name in ENGAGEMENT_FIELDS if name != "iati_activity")


@transaction.atomic
def interaction_promote(
    *,
    interaction: Interaction,
    user,
    title: str,
    kind: str,
    start_date: datetime.date,
    participants: Iterable[tuple[int, str]] = (),
    outcomes: Iterable = (),
    end_date: datetime.date | None = UNSET,
    place: str = UNSET,
    country: str = UNSET,
    subnational_area: str = UNSET,
    latitude: Coordinate = UNSET,
    longitude: Coordinate = UNSET,
    format: str = UNSET,
    partnership: Partnership | None = UNSET,
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
    """Record an index engagement from ``interaction`` (the engagement form, pre-filled from it,
    says what) and link the two: the engagement remembers its interaction. The engagement's
    facts are ``engagement_create``'s (but its IATI activity: an import's own)."""
    facts = given_fields(locals(), PROMOTED_FIELDS)
    locked = interaction_visible_to(user).select_for_update().filter(pk=interaction.pk).first()
    if locked is None:
        raise ApplicationError(f"Interaction #{interaction.pk} does not exist.", code="nonexistent")
    if locked.engagement_id is not None:
        raise ApplicationError(
            "This interaction was already promoted to an engagement.", code="promoted"
        )
    engagement = engagement_services.engagement_create(
        user=user, participants=participants, outcomes=outcomes, **facts
    )
    locked.engagement = engagement
    locked._change_reason = "Promoted to an engagement"
    locked.save(update_fields=["engagement", "updated_at"])
    return engagement


# --- owners ---------------------------------------------------------------------------------


def _check_owner_sees(*, owner, stakeholder: Stakeholder, field: str) -> None:
    if owner is None or not owner.is_active:
        raise ApplicationError("Choose an active person.", field)
    if not stakeholder_visible_to(owner).filter(pk=stakeholder.pk).exists():
        raise ApplicationError(
            f"{owner} is not cleared for this stakeholder; choose someone who is.", field
        )


@transaction.atomic
def stakeholder_owner_set(*, stakeholder: Stakeholder, owner, user) -> StakeholderOwner | None:
    """Make ``owner`` the stakeholder's owner (``None`` removes the owner)."""
    if not stakeholder_visible_to(user).filter(pk=stakeholder.pk).exists():
        raise ApplicationError(
            f"Stakeholder #{stakeholder.pk} does not exist.", "stakeholder", code="nonexistent"
        )
    current = StakeholderOwner.objects.select_for_update().filter(stakeholder=stakeholder).first()
    if owner is None:
        if current is not None:
            current.delete()
        return None
    _check_owner_sees(owner=owner, stakeholder=stakeholder, field="owner")
    if current is None:
        current = StakeholderOwner(stakeholder=stakeholder)
    current.owner = owner
    current.assigned_by = user if getattr(user, "pk", None) else None
    current.save()
    return current


# --- follow-ups -----------------------------------------------------------------------------


@transaction.atomic
def follow_up_create(
    *,
    user,
    stakeholder: Stakeholder,
    title: str,
    due_date: datetime.date,
    owner,
    interaction: Interaction | None = None,
) -> FollowUp:
    """A follow-up on a stakeholder for ``owner`` (who must be able to see it), by ``due_date``;
    from ``interaction`` if given (which must involve the stakeholder)."""
    title = (title or "").strip()
    if not title:
        raise ApplicationError("Say what is to be done.", "title")
    if len(title) > 200:
        raise ApplicationError("The title must be at most 200 characters.", "title")
    if not isinstance(due_date, datetime.date):
        raise ApplicationError("Give the due date as YYYY-MM-DD.", "due_date")
    if not stakeholder_visible_to(user).filter(pk=stakeholder.pk).exists():
        raise ApplicationError(
            f"Stakeholder #{stakeholder.pk} does not exist.", "stakeholder", code="nonexistent"
        )
    _check_owner_sees(owner=owner, stakeholder=stakeholder, field="owner")
    if interaction is not None:
        if not interaction_visible_to(user).filter(pk=interaction.pk).exists():
            raise ApplicationError(
                f"Interaction #{interaction.pk} does not exist.", "interaction", code="nonexistent"
            )
        if not interaction.stakeholders.filter(pk=stakeholder.pk).exists():
            raise ApplicationError(
                "The interaction does not involve this stakeholder.", "interaction"
            )
    follow_up = FollowUp(
        stakeholder=stakeholder,
        title=title,
        due_date=due_date,
        owner=owner,
        interaction=interaction,
        created_by=user if getattr(user, "pk", None) else None,
    )
    follow_up.full_clean()
    follow_up.save()
    return follow_up


def _visible_follow_up(*, follow_up: FollowUp, user) -> FollowUp:
    locked = follow_up_visible_to(user).select_for_update().filter(pk=follow_up.pk).first()
    if locked is None:
        raise ApplicationError(f"Follow-up #{follow_up.pk} does not exist.", code="nonexistent")
    return locked


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, user) -> FollowUp:
    """Mark a follow-up done (again is a no-op)."""
    locked = _visible_follow_up(follow_up=follow_up, user=user)
    if locked.done_at is None:
        locked.done_at = timezone.now()
        locked.save()
    return locked


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, user) -> FollowUp:
    locked = _visible_follow_up(follow_up=follow_up, user=user)
    if locked.done_at is not None:
        locked.done_at = None
        locked.save()
    return locked


@transaction.atomic
def follow_up_update(
    *, follow_up: FollowUp, user, title: str | None = None, due_date=None, owner=None
) -> FollowUp:
    locked = _visible_follow_up(follow_up=follow_up, user=user)
    if title is not None:
        if not title.strip():
            raise ApplicationError("Say what is to be done.", "title")
        locked.title = title.strip()
    if due_date is not None:
        locked.due_date = due_date
    if owner is not None:
        _check_owner_sees(owner=owner, stakeholder=locked.stakeholder, field="owner")
        locked.owner = owner
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def follow_up_delete(*, follow_up: FollowUp, user) -> None:
    _visible_follow_up(follow_up=follow_up, user=user).delete()


# --- reminders ------------------------------------------------------------------------------


def _reminder_text(follow_up: FollowUp, today: datetime.date) -> tuple[str, str]:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    link = base + reverse("stakeholders:stakeholder_detail", args=[follow_up.stakeholder_id])
    late = (today - follow_up.due_date).days
    when = (
        "due today"
        if late == 0
        else f"overdue by {late} day{'s' if late != 1 else ''} (due {follow_up.due_date:%d %b %Y})"
    )
    subject = f"[Smart Diplomacy] Follow-up {when}: {follow_up.title}"
    body = (
        f"Your follow-up on {follow_up.stakeholder.name} is {when}:\n\n"
        f"    {follow_up.title}\n\n"
        f"Open the stakeholder to mark it done or change its date:\n{link}#follow-ups\n\n"
        f"All your follow-ups: {base}{reverse('home')}\n"
    )
    return subject, body


def follow_up_reminders_send(*, today: datetime.date | None = None) -> int:
    """E-mail each owner about each of their open follow-ups due today or overdue, at most once
    per follow-up and day (a ``FollowUpReminder`` row records each one sent, so the beat job is
    safe to repeat). A follow-up its owner may no longer see (its stakeholder restricted since,
    say) is not mentioned to them. Returns how many reminders were sent."""
    today = today or _today()
    due = (
        FollowUp.objects.filter(done_at__isnull=True, due_date__lte=today, owner__is_active=True)
        .exclude(owner__email="")
        .exclude(reminders__day=today)
        .select_related("owner", "stakeholder")
        .order_by("owner_id", "due_date", "id")
    )
    sent = 0
    for follow_up in due:
        owner = follow_up.owner
        if not follow_up_visible_to(owner).filter(pk=follow_up.pk).exists():
            continue
        try:
            with transaction.atomic():
                FollowUpReminder.objects.create(follow_up=follow_up, day=today)
                subject, body = _reminder_text(follow_up, today)
                address = owner.email
                transaction.on_commit(
                    lambda s=subject, b=body, a=address: send_mail(
                        s, b, settings.DEFAULT_FROM_EMAIL, [a], fail_silently=True
                    )
                )
        except IntegrityError:
            continue  # another run sent it today
        sent += 1
    return sent


# --- salience -------------------------------------------------------------------------------


@transaction.atomic
def salience_assess(
    *,
    user,
    stakeholder: Stakeholder,
    outcome: Outcome,
    power: int,
    legitimacy: int,
    urgency: int,
    assessed_on: datetime.date | None = None,
    note: str = "",
) -> SalienceAssessment:
    """Record one salience assessment of ``stakeholder`` in ``outcome`` (a re-assessment is a
    new row; earlier ones stay): each attribute on the 0–3 scale of ``relationships.salience``,
    dated ``assessed_on`` (today by default, never in the future), by ``user``, who must see the
    stakeholder and the outcome."""
    values = {"power": power, "legitimacy": legitimacy, "urgency": urgency}
    for name, value in values.items():
        try:
            salience.check_scale(value)
        except ValueError as error:
            raise ApplicationError(f"{name.capitalize()} {error}.", name) from None
    assessed_on = assessed_on or _today()
    if not isinstance(assessed_on, datetime.date):
        raise ApplicationError("Give the date as YYYY-MM-DD.", "assessed_on")
    today = _today()
    if assessed_on > today:
        raise ApplicationError(
            f"The assessment cannot be dated in the future (today is {today:%Y-%m-%d}).",
            "assessed_on",
        )
    if len(note or "") > NOTES_MAX:
        raise ApplicationError(f"The note must be at most {NOTES_MAX} characters.", "note")
    if not stakeholder_visible_to(user).filter(pk=getattr(stakeholder, "pk", None)).exists():
        raise ApplicationError(
            f"Stakeholder #{getattr(stakeholder, 'pk', stakeholder)} does not exist.",
            "stakeholder",
            code="nonexistent",
        )
    if not Outcome.objects.filter(pk=getattr(outcome, "pk", None)).exists():
        raise ApplicationError(
            f"Outcome #{getattr(outcome, 'pk', outcome)} does not exist.",
            "outcome",
            code="nonexistent",
        )
    assessment = SalienceAssessment(
        stakeholder=stakeholder,
        outcome=outcome,
        assessed_on=assessed_on,
        note=(note or "").strip(),
        assessed_by=user if getattr(user, "pk", None) else None,
        **values,
    )
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def salience_delete(*, assessment: SalienceAssessment, user) -> None:
    """Delete a wrong assessment ``user`` may see (the history keeps it)."""
    locked = salience_visible_to(user).select_for_update().filter(pk=assessment.pk).first()
    if locked is None:
        raise ApplicationError(f"Assessment #{assessment.pk} does not exist.", code="nonexistent")
    locked.delete()
