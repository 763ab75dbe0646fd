"""Stake history as a reader could have seen it, for the timeline and the change log.

Part of the restriction rule (``stakeholders.selectors``, DESIGN.md "do no harm"): versions from
a time the actor was hidden from the reader are left out (``relation_history_as_seen``), and a
stake that existed when its actor was made visible to them begins, for them, then.
"""

from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)

from .choices import Sensitivity
from .models import Stake, Stakeholder

RECORDER_NAMES = ("username", "first_name", "last_name")


PARTS = ("all", "visible", "carried")


def _as_recorded(records: QuerySet) -> QuerySet:
    """Records read as they were made: when, by whom, recorded if it was their creation."""
    return records.annotate(
        seen_at=F("history_date"),
        seen_first=Q(history_type="+"),
        seen_by_id=F("history_user_id"),
        **{f"seen_by_{name}": F(f"history_user__{name}") for name in RECORDER_NAMES},
    )


def stake_history_seen(records: QuerySet, *, allowed: list[str], part: str = "all") -> QuerySet:
    """Stake history records as a reader who sees the ``allowed`` sensitivities could have seen
    them (``stakeholders.selectors.stake_history_as_seen`` gives a user's), each with
    ``seen_at`` (when, for them), ``seen_first`` (it reads as the stake being recorded) and who
    made it, for them: ``seen_by_id``, ``seen_by_username``, ``seen_by_first_name``,
    ``seen_by_last_name``.

    ``relation_history_as_seen``'s records, and, for a stake whose actor was made visible to
    the reader after the stake was recorded, the version that held at that moment: for them the
    stake was recorded then, by whoever made the actor visible, as in the world where the actor
    first existed when it was made public (what ``stakeholder_history`` and the pages as of a
    day show). So a declassified actor's stakes begin, for them, as recorded then, and the next
    change reads from what they held then.

    ``part``: ``visible`` (the records as they were made, in ``history_date`` order: a long
    history read newest first by its index) or ``carried`` (only those begun when their actor
    was made visible, from the stakeholders ever hidden from the reader) — the two parts of a
    long feed, read apart so that neither sorts every record."""
    if set(allowed) >= set(Sensitivity.values):
        return _as_recorded(records).none() if part == "carried" else _as_recorded(records)
    actor = Stakeholder.history.filter(id=OuterRef("stakeholder_id"))
    records = records.alias(
        hidden_until=Subquery(
            actor.exclude(sensitivity__in=allowed)
            .order_by("-history_date")
            .values("history_date")[:1]
        ),
        sensitivity_then=Subquery(
            actor.filter(history_date__lte=OuterRef("history_date"))
            .order_by("-history_date")
            .values("sensitivity")[:1]
        ),
    )
    shown = actor.filter(history_date__gt=OuterRef("hidden_until")).order_by("history_date")
    records = records.alias(shown_at=Subquery(shown.values("history_date")[:1]))
    superseded = Exists(
        Stake.history.filter(
            id=OuterRef("id"),
            history_date__gt=OuterRef("history_date"),
            history_date__lte=OuterRef("shown_at"),
        )
    )
    carried = (
        Q(shown_at__isnull=False, history_date__lte=F("shown_at"))
        & ~Q(history_type="-")
        & ~superseded
    )
    visible = Q(hidden_until__isnull=True) | Q(
        history_date__gt=F("hidden_until"), sensitivity_then__in=allowed
    )
    if part == "visible":
        return _as_recorded(records.filter(visible))
    if part == "carried":
        ever_hidden = Stakeholder.history.exclude(sensitivity__in=allowed).values("id")
        records = records.filter(stakeholder_id__in=ever_hidden).alias(carried=carried)
        shown_records = records.filter(carried=True)
    else:
        records = records.alias(carried=carried)
        shown_records = records.filter(visible | Q(carried=True))
    return shown_records.annotate(
        seen_at=Case(When(carried=True, then=F("shown_at")), default=F("history_date")),
        seen_first=Q(carried=True) | Q(history_type="+"),
        **{
            f"seen_by_{name}": Case(
                When(carried=True, then=Subquery(shown.values(f"history_user__{name}")[:1])),
                default=F(f"history_user__{name}"),
                output_field=field,
            )
            for name, field in (
                ("id", BigIntegerField()),
                *((name, CharField()) for name in RECORDER_NAMES),
            )
        },
    )


def stake_recorder(record):
    """Who made a record of ``stake_history_seen``, for its reader: an unsaved user carrying
    the names shown (for a stake that began when its actor was made public, whoever did that)."""
    if record.seen_by_id is None:
        return None
    return get_user_model()(
        pk=record.seen_by_id,
        username=record.seen_by_username,
        first_name=record.seen_by_first_name or "",
        last_name=record.seen_by_last_name or "",
    )
