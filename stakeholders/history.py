"""The registry as recorded on a past day, and what changed between two days.

Reads django-simple-history's tables (``<Model>.history``) in a bounded number of queries: the
state of every record at a moment is its latest snapshot before that moment, found for all
records at once with a window function (``ROW_NUMBER() OVER (PARTITION BY id ORDER BY
history_date DESC)``), never with a query per row. A diff reads each history table once for the
window: the window partitions each record's snapshots into "up to the first day" and "after it",
and keeps the newest of each.

Do no harm, as everywhere (``selectors``): a past view never resurrects what the reader may not
see today. For everyone, a stakeholder appears in a past view only if they may see it **today**
(``stakeholder_visible_to``: restricted since, archived by a deletion or merged into another, it
is absent from every past view) **and** its snapshot of that day was one they may see (an actor
restricted then and made public since begins, for the uncleared, when it was made public).
Stakes and ties follow their actors (both ends, both conditions); outcomes appear while they are
in use today (archived and deleted ones are gone from every read). So nothing here is derived
from an actor the reader may not see, then or now.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .models import Outcome, Stake, Stakeholder, Tie
from .selectors import sensitivities_visible_to, stakeholder_visible_to

# --- days -----------------------------------------------------------------------------------------


def day_parse(value: str | None, *, field: str = "as_of") -> datetime.date | None:
    """``YYYY-MM-DD`` as a date; empty is None. Raises ``ValidationError`` naming ``field`` for
    a malformed or a future day (nothing is recorded yet for tomorrow)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            {field: [f"“{value[:20]}” is not a date: give it as YYYY-MM-DD, e.g. 2026-11-02."]}
        ) from None
    today = timezone.localdate()
    if day > today:
        raise ValidationError(
            {
                field: [
                    f"{day:%Y-%m-%d} is in the future: give a day up to today ({today:%Y-%m-%d})."
                ]
            }
        )
    return day


def day_end(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` (in the site's time zone): "as of the end of that day"."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


# --- snapshots ------------------------------------------------------------------------------------


def _newest(
    history: QuerySet, *, before: datetime.datetime, split: datetime.datetime | None = None
):
    """The newest snapshot of each record before ``before``; with ``split``, the newest before
    ``split`` and the newest from ``split`` on (``part`` 1 and 0). One query."""
    partition: list[Any] = [F("id")]
    rows = history.filter(history_date__lt=before)
    if split is not None:
        rows = rows.annotate(
            part=Case(
                When(history_date__lt=split, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        partition.append(F("part"))
    return (
        rows.annotate(
            newest=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[F("history_date").desc(), F("history_id").desc()],
            )
        )
        .filter(newest=1)
        .order_by("id", "history_id")
    )


def _stakeholder_present(record, allowed) -> bool:
    return (
        record is not None
        and record.history_type != "-"
        and record.sensitivity in allowed
        and record.archived_at is None
        and record.merged_into_id is None
    )


def _outcome_present(record) -> bool:
    return record is not None and record.history_type != "-" and record.archived_at is None


def _present(record) -> bool:
    return record is not None and record.history_type != "-"


def stakeholders_recorded(*, user, day: datetime.date, ids: Iterable[int] | None = None) -> dict:
    """The stakeholders ``user`` may see today, as recorded at the end of ``day`` (historical
    records, with ``get_*_display`` as the model's), by id — those they could see then too."""
    allowed = sensitivities_visible_to(user)
    history = Stakeholder.history.filter(id__in=stakeholder_visible_to(user).values("id"))
    if ids is not None:
        history = history.filter(id__in=ids if isinstance(ids, QuerySet) else list(ids))
    return {
        record.id: record
        for record in _newest(history, before=day_end(day))
        if _stakeholder_present(record, allowed)
    }


def outcomes_recorded(*, day: datetime.date, ids: Iterable[int] | None = None) -> dict:
    """The outcomes in use today as recorded at the end of ``day``, by id."""
    history = Outcome.history.filter(id__in=Outcome.objects.values("id"))
    if ids is not None:
        history = history.filter(id__in=list(ids))
    return {
        record.id: record
        for record in _newest(history, before=day_end(day))
        if _outcome_present(record)
    }


def sector_codes_recorded(history_ids: Iterable[int]) -> dict[int, list[str]]:
    """Sector codes stored with each stakeholder snapshot, in one query."""
    history_ids = list(history_ids)
    if not history_ids:
        return {}
    through = apps.get_model("stakeholders", "HistoricalStakeholder_sectors")
    codes: dict[int, list[str]] = {}
    for history_id, code in (
        through.objects.filter(history_id__in=history_ids)
        .order_by("sector__code")
        .values_list("history_id", "sector__code")
    ):
        codes.setdefault(history_id, []).append(code)
    return codes


def ties_held_on(record, day: datetime.date) -> bool:
    """Did the tie, as recorded, hold on ``day`` (begun by then or undated, not yet ended)?"""
    return (record.start_date is None or record.start_date <= day) and (
        record.end_date is None or record.end_date >= day
    )


def graph_recorded(*, user, day: datetime.date, ids: QuerySet) -> tuple[list[tuple], list]:
    """The graph of the stakeholders among ``ids`` as recorded at the end of ``day``: actor rows
    ``(id, name, kind, country, scope, sensitivity)`` and the tie records between two of them
    (any dates; the caller keeps those that held when it says). Two queries."""
    actors = stakeholders_recorded(user=user, day=day, ids=ids)
    rows = [
        (pk, r.name, r.kind, str(r.country or ""), r.scope, r.sensitivity)
        for pk, r in sorted(actors.items())
    ]
    visible_now = stakeholder_visible_to(user).values("id")
    ties = [
        tie
        for tie in _newest(
            Tie.history.filter(
                from_stakeholder_id__in=visible_now, to_stakeholder_id__in=visible_now
            ),
            before=day_end(day),
        )
        if _present(tie) and tie.from_stakeholder_id in actors and tie.to_stakeholder_id in actors
    ]
    return rows, ties


@dataclass
class StakeholderAsOf:
    """One stakeholder's page as recorded at the end of ``day``."""

    day: datetime.date
    stakeholder: Any  # its historical record
    sectors: list[str]
    parent: Any | None
    stakes: list[dict]  # {"stake": record, "outcome": record}
    ties: list[dict]  # {"tie": record, "outgoing": bool, "other": record}


class NotRecordedYet(Exception):
    """The record exists (and the reader may see it today) but was not recorded, for them, on
    that day."""


def stakeholder_as_of(*, user, pk: int, day: datetime.date) -> StakeholderAsOf | None:
    """``pk`` as recorded at the end of ``day`` for ``user``: None if they may not see it today
    (exactly like a missing id); ``NotRecordedYet`` if it did not exist for them on that day.
    Six queries whatever the number of stakes and ties."""
    if not stakeholder_visible_to(user).filter(pk=pk).exists():
        return None
    end = day_end(day)
    allowed = sensitivities_visible_to(user)
    records = stakeholders_recorded(user=user, day=day, ids=[pk])
    if pk not in records:
        raise NotRecordedYet
    record = records[pk]
    visible_now = stakeholder_visible_to(user).values("id")
    stakes = [
        stake
        for stake in _newest(
            Stake.history.filter(stakeholder_id=pk, outcome_id__in=Outcome.objects.values("id")),
            before=end,
        )
        if _present(stake)
    ]
    ties = [
        tie
        for tie in _newest(
            Tie.history.filter(Q(from_stakeholder_id=pk) | Q(to_stakeholder_id=pk)).filter(
                from_stakeholder_id__in=visible_now, to_stakeholder_id__in=visible_now
            ),
            before=end,
        )
        if _present(tie) and ties_held_on(tie, day)
    ]
    others = {
        t.to_stakeholder_id if t.from_stakeholder_id == pk else t.from_stakeholder_id for t in ties
    }
    if record.parent_id is not None:
        others.add(record.parent_id)
    actors = stakeholders_recorded(user=user, day=day, ids=others) if others else {}
    outcomes = outcomes_recorded(day=day, ids={s.outcome_id for s in stakes}) if stakes else {}
    tie_rows = []
    for tie in ties:
        outgoing = tie.from_stakeholder_id == pk
        other = actors.get(tie.to_stakeholder_id if outgoing else tie.from_stakeholder_id)
        if other is not None and other.sensitivity in allowed:
            tie_rows.append({"tie": tie, "outgoing": outgoing, "other": other})
    tie_rows.sort(key=lambda row: (-row["tie"].strength, row["tie"].id))
    stake_rows = [
        {"stake": stake, "outcome": outcomes[stake.outcome_id]}
        for stake in stakes
        if stake.outcome_id in outcomes
    ]
    stake_rows.sort(key=lambda row: (-row["stake"].interest, row["stake"].id))
    return StakeholderAsOf(
        day=day,
        stakeholder=record,
        sectors=sector_codes_recorded([record.history_id]).get(record.history_id, []),
        parent=actors.get(record.parent_id) if record.parent_id else None,
        stakes=stake_rows,
        ties=tie_rows,
    )


@dataclass
class OutcomeAsOf:
    day: datetime.date
    outcome: Any
    stakes: list[dict]  # {"stake": record, "stakeholder": record}


def outcome_as_of(*, user, pk: int, day: datetime.date) -> OutcomeAsOf | None:
    """The outcome ``pk`` as recorded at the end of ``day`` with the stakes ``user`` may see
    (today and then): None if it is not in use today, ``NotRecordedYet`` if it did not exist
    then. Four queries whatever the number of stakes."""
    if not Outcome.objects.filter(pk=pk).exists():
        return None
    outcomes = outcomes_recorded(day=day, ids=[pk])
    if pk not in outcomes:
        raise NotRecordedYet
    stakes = [
        stake
        for stake in _newest(
            Stake.history.filter(
                outcome_id=pk, stakeholder_id__in=stakeholder_visible_to(user).values("id")
            ),
            before=day_end(day),
        )
        if _present(stake)
    ]
    actors = stakeholders_recorded(user=user, day=day, ids={s.stakeholder_id for s in stakes})
    rows = [
        {"stake": stake, "stakeholder": actors[stake.stakeholder_id]}
        for stake in stakes
        if stake.stakeholder_id in actors
    ]
    rows.sort(
        key=lambda row: (-row["stake"].influence, -row["stake"].interest, row["stakeholder"].name)
    )
    return OutcomeAsOf(day=day, outcome=outcomes[pk], stakes=rows)


# --- the diff -------------------------------------------------------------------------------------

# The fields a diff compares, per kind of record: what people read, not bookkeeping.
DIFF_FIELDS = {
    "stakeholder": (
        "name", "acronym", "kind", "country", "country_of_origin", "scope", "parent",
        "capabilities", "digital_presence", "women_led", "women_leadership_share",
        "sensitivity", "description", "website",
    ),
    "outcome": ("title", "theme", "description", "geography", "countries", "needed_capabilities"),
    "stake": ("interest", "influence", "position", "notes", "source"),
    "tie": ("kind", "strength", "start_date", "end_date", "source", "notes"),
}  # fmt: skip
CHANGE_ORDER = {"added": 0, "changed": 1, "removed": 2}
WHAT_ORDER = {"stakeholder": 0, "outcome": 1, "stake": 2, "tie": 3}


@dataclass
class DiffEntry:
    what: str  # stakeholder, outcome, stake, tie
    id: int
    change: str  # added, removed, changed
    label: str
    stakeholder_ids: tuple[int, ...]
    outcome_id: int | None
    fields: list[dict] = field(default_factory=list)  # {"field", "before", "after"} (raw)


@dataclass
class RegistryDiff:
    start: datetime.date
    end: datetime.date
    entries: list[DiffEntry]

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {what: dict.fromkeys(CHANGE_ORDER, 0) for what in WHAT_ORDER}
        for entry in self.entries:
            counts[entry.what][entry.change] += 1
        return counts


def _value(record, name: str, *, shown_parents: set[int]):
    if name == "parent":
        parent = record.parent_id
        return parent if parent in shown_parents else None
    value = getattr(record, name)
    if name in ("country", "country_of_origin"):
        return str(value or "")
    if name == "countries":
        return sorted(str(country) for country in value)
    if name in ("capabilities", "needed_capabilities"):
        return int(value or 0)
    return value


def _compare(what: str, before, after, *, shown_parents: set[int], allowed) -> list[dict]:
    fields = []
    for name in DIFF_FIELDS[what]:
        if name == "sensitivity" and len(allowed) == 1:
            continue  # always public for this reader: not theirs to see changing
        old = _value(before, name, shown_parents=shown_parents)
        new = _value(after, name, shown_parents=shown_parents)
        if old != new:
            fields.append({"field": name, "before": old, "after": new})
    return fields


def _states(history: QuerySet, *, start: datetime.date, end: datetime.date, present) -> dict:
    """{id: (state at the end of ``start``, state at the end of ``end``)}: records or None."""
    states: dict[int, list] = {}
    for record in _newest(history, before=day_end(end), split=day_end(start)):
        pair = states.setdefault(record.id, [None, None, None])
        pair[2 - record.part] = record  # part 1 (before the split) -> 1, part 0 -> 2
    result = {}
    for pk, (_, early, late) in states.items():
        before = early if present(early) else None
        after = late if late is not None else early
        result[pk] = (before, after if present(after) else None)
    return result


TIE_KIND_LABELS = dict(Tie.Kind.choices)


def registry_diff(
    *,
    user,
    start: datetime.date,
    end: datetime.date,
    stakeholder: int | None = None,
    outcome: int | None = None,
) -> RegistryDiff:
    """What changed in the registry ``user`` may see between the end of ``start`` and the end
    of ``end``: stakeholders, outcomes, stakes and ties added, removed and changed (field by
    field, before → after). Optionally only what concerns one ``stakeholder`` (itself, its
    stakes and ties) or one ``outcome`` (itself, its stakes, its holders and the ties among them).
    Reads each of the four history tables once, plus which recorded parents the reader may see
    today: six queries whatever the size of the window. Raises ``ValidationError`` when
    ``start`` is after ``end``."""
    if start > end:
        raise ValidationError({"from": ["The first day must not be after the second."]})
    allowed = sensitivities_visible_to(user)
    window = _window_states(
        user=user, start=start, end=end, stakeholder=stakeholder, outcome=outcome, allowed=allowed
    )
    entries = _DiffEntries(window, allowed=allowed, shown=_parents_shown(user, window.actors))
    for pk, (before, after) in window.actors.items():
        if stakeholder is not None and pk != stakeholder:
            continue
        entries.add("stakeholder", pk, before, after, (after or before).name, (pk,), None)
    for pk, (before, after) in window.outcomes.items():
        entries.add("outcome", pk, before, after, (after or before).title, (), pk)
    for pk, (before, after) in window.stakes.items():
        entries.add_stake(pk, before, after)
    for pk, (before, after) in window.ties.items():
        entries.add_tie(pk, before, after)
    entries.entries.sort(key=lambda e: (WHAT_ORDER[e.what], CHANGE_ORDER[e.change], e.label, e.id))
    return RegistryDiff(start=start, end=end, entries=entries.entries)


@dataclass
class _WindowStates:
    """{id: (state at the end of the first day, at the end of the second)} of each kind of
    record the reader may see, as ``_states`` gives them."""

    actors: dict
    outcomes: dict
    stakes: dict
    ties: dict


def _window_states(
    *, user, start, end, stakeholder: int | None, outcome: int | None, allowed
) -> _WindowStates:
    """The four history tables read over the window, cut down to one ``stakeholder`` or one
    ``outcome`` when given (see ``registry_diff``)."""
    visible_now = stakeholder_visible_to(user).values("id")
    in_use = Outcome.objects.values("id")

    stake_history = Stake.history.filter(stakeholder_id__in=visible_now, outcome_id__in=in_use)
    tie_history = Tie.history.filter(
        from_stakeholder_id__in=visible_now, to_stakeholder_id__in=visible_now
    )
    actor_history = Stakeholder.history.filter(id__in=visible_now)
    outcome_history = Outcome.history.filter(id__in=in_use)
    if stakeholder is not None:
        stake_history = stake_history.filter(stakeholder_id=stakeholder)
        tie_history = tie_history.filter(
            Q(from_stakeholder_id=stakeholder) | Q(to_stakeholder_id=stakeholder)
        )
    if outcome is not None:
        stake_history = stake_history.filter(outcome_id=outcome)
        outcome_history = outcome_history.filter(id=outcome)
    stakes = _states(stake_history, start=start, end=end, present=_present)
    if outcome is not None:
        holders = {r.stakeholder_id for pair in stakes.values() for r in pair if r is not None}
        tie_history = tie_history.filter(
            from_stakeholder_id__in=holders, to_stakeholder_id__in=holders
        )
        actor_history = actor_history.filter(id__in=holders)
    elif stakeholder is not None:
        outcome_history = outcome_history.filter(
            id__in={r.outcome_id for pair in stakes.values() for r in pair if r is not None}
        )
    ties = _states(tie_history, start=start, end=end, present=_present)
    if stakeholder is not None:
        ends = {stakeholder} | {
            pk
            for pair in ties.values()
            for r in pair
            if r is not None
            for pk in (r.from_stakeholder_id, r.to_stakeholder_id)
        }
        actor_history = actor_history.filter(id__in=ends)
    actors = _states(
        actor_history,
        start=start,
        end=end,
        present=lambda r: _stakeholder_present(r, allowed),
    )
    outcomes = _states(outcome_history, start=start, end=end, present=_outcome_present)
    return _WindowStates(actors=actors, outcomes=outcomes, stakes=stakes, ties=ties)


def _parents_shown(user, actors: dict) -> set[int]:
    """The recorded parents the reader may see today (one query, none without parents). A
    parent the reader may not see today is, for them, no parent at all."""
    parent_ids = {r.parent_id for pair in actors.values() for r in pair if r and r.parent_id}
    if not parent_ids:
        return set()
    return set(stakeholder_visible_to(user).filter(pk__in=parent_ids).values_list("pk", flat=True))


class _DiffEntries:
    """The diff's entries as they are found; a stake or tie exists, for this reader, on a side
    where its ends did too."""

    def __init__(self, window: _WindowStates, *, allowed, shown: set[int]) -> None:
        self.window = window
        self.allowed = allowed
        self.shown = shown
        self.entries: list[DiffEntry] = []

    def actor(self, pk, side):
        pair = self.window.actors.get(pk)
        return pair[side] if pair else None

    def outcome_at(self, pk, side):
        pair = self.window.outcomes.get(pk)
        return pair[side] if pair else None

    def add(self, what, pk, before, after, label, actors_of, outcome_id) -> None:
        if before is None and after is None:
            return
        fields: list[dict] = []
        if before is None:
            change = "added"
        elif after is None:
            change = "removed"
        else:
            fields = _compare(what, before, after, shown_parents=self.shown, allowed=self.allowed)
            if not fields:
                return
            change = "changed"
        self.entries.append(DiffEntry(what, pk, change, label, actors_of, outcome_id, fields))

    def add_stake(self, pk, before, after) -> None:
        actor, outcome_at = self.actor, self.outcome_at
        before = (
            before
            if before and actor(before.stakeholder_id, 0) and outcome_at(before.outcome_id, 0)
            else None
        )
        after = (
            after
            if after and actor(after.stakeholder_id, 1) and outcome_at(after.outcome_id, 1)
            else None
        )
        record = after or before
        if record is None:
            return
        holder = actor(record.stakeholder_id, 1) or actor(record.stakeholder_id, 0)
        goal = outcome_at(record.outcome_id, 1) or outcome_at(record.outcome_id, 0)
        self.add("stake", pk, before, after, f"{holder.name} → {goal.title}",
                 (record.stakeholder_id,), record.outcome_id)  # fmt: skip

    def add_tie(self, pk, before, after) -> None:
        actor = self.actor
        before = (
            before
            if before
            and actor(before.from_stakeholder_id, 0)
            and actor(before.to_stakeholder_id, 0)
            else None
        )
        after = (
            after
            if after and actor(after.from_stakeholder_id, 1) and actor(after.to_stakeholder_id, 1)
            else None
        )
        record = after or before
        if record is None:
            return
        side = 1 if after is not None else 0
        a, b = actor(record.from_stakeholder_id, side), actor(record.to_stakeholder_id, side)
        kind = TIE_KIND_LABELS.get(record.kind, record.kind).lower()
        self.add("tie", pk, before, after, f"{a.name} {kind} {b.name}",
                 (record.from_stakeholder_id, record.to_stakeholder_id), None)  # fmt: skip
