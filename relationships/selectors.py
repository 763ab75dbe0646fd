"""Reads of interactions, owners and follow-ups, and each stakeholder's timeline.

The restriction rule (DESIGN.md, do no harm) for this app: an interaction involving any
stakeholder the reader may not see is itself hidden from them (and so is one about a partnership
they may not see), and so is a follow-up on a hidden stakeholder or from a hidden interaction.
Every page, API view, panel and the reminder job starts from the two selectors below.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Lag, TruncDate

from index.selectors import engagement_list, methodology_current
from partnerships.models import PartnershipEvent
from partnerships.selectors import partnership_visible_to
from stakeholders.choices import Position, Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder
from stakeholders.selectors import (
    relation_dates_as_seen,
    relation_history_as_seen,
    sensitivities_visible_to,
    stake_history_as_seen,
    stakeholder_visible_to,
    tie_visible_to,
)
from stakeholders.stake_history import stake_history_seen, stake_recorder

from . import positions, salience
from .models import FollowUp, Interaction, SalienceAssessment, StakeholderOwner

Party = Interaction.stakeholders.through


def interaction_visible_to(user) -> QuerySet[Interaction]:
    """The interactions ``user`` may see: none of their actors hidden from them, and their
    partnership, if any, one they may see (a partnership that exists only through hidden
    members would not exist for them at all)."""
    partnerships = partnership_visible_to(user).prefetch_related(None).order_by().values("pk")
    queryset = Interaction.objects.filter(
        Q(partnership__isnull=True) | Q(partnership__in=partnerships)
    )
    allowed = sensitivities_visible_to(user)
    if len(allowed) == len(Sensitivity.values):
        return queryset
    hidden_party = Party.objects.filter(interaction=OuterRef("pk")).exclude(
        stakeholder__sensitivity__in=allowed
    )
    return queryset.filter(~Exists(hidden_party))


def interaction_list(*, user) -> QuerySet[Interaction]:
    """Visible interactions, newest first, with what a list row shows (a fixed number of
    queries: the row, then one prefetch each for their actors, outcomes and our people)."""
    return (
        interaction_visible_to(user)
        .select_related("created_by", "partnership", "engagement")
        .prefetch_related(
            Prefetch("stakeholders", queryset=Stakeholder.all_objects.order_by("name")),
            Prefetch("outcomes", queryset=Outcome.all_objects.order_by("title")),
            "our_people",
        )
        .order_by("-date", "-id")
    )


def stakeholders_met_lately(*, user, limit: int = 8) -> QuerySet:
    """The ids of the actors in the interactions ``user`` logged last (those they may still
    see): what the "log an interaction" form offers before a name is typed. A query to use as a
    subquery (it may name an actor twice, then offering fewer)."""
    if not getattr(user, "pk", None):
        return Party.objects.none().values("stakeholder_id")
    return (
        Party.objects.filter(
            interaction__in=interaction_visible_to(user).filter(created_by=user).values("pk"),
            stakeholder__in=stakeholder_visible_to(user).values("pk"),
        )
        .order_by("-interaction__date", "-interaction_id")
        .values("stakeholder_id")[:limit]
    )


def follow_up_visible_to(user) -> QuerySet[FollowUp]:
    """Follow-ups on stakeholders ``user`` may see, not from an interaction hidden from them."""
    return FollowUp.objects.filter(stakeholder__in=stakeholder_visible_to(user)).filter(
        Q(interaction__isnull=True) | Q(interaction__in=interaction_visible_to(user).values("pk"))
    )


def follow_up_list(*, user) -> QuerySet[FollowUp]:
    return follow_up_visible_to(user).select_related("stakeholder", "owner", "interaction")


def follow_ups_of_owner(*, user, limit: int = 10) -> dict:
    """``user``'s open follow-ups, soonest due first, each marked ``overdue``; two queries."""
    today = datetime.date.today()
    open_ones = follow_up_list(user=user).filter(owner=user, done_at__isnull=True)
    rows = list(open_ones.order_by("due_date", "id")[:limit])
    for row in rows:
        row.overdue = row.due_date < today
    total = len(rows) if len(rows) < limit else open_ones.count()
    return {"follow_ups": rows, "total": total, "today": today}


def stakeholder_owner_of(*, stakeholder: Stakeholder) -> StakeholderOwner | None:
    """The owner record of a stakeholder the caller has already found visible."""
    return StakeholderOwner.objects.select_related("owner").filter(stakeholder=stakeholder).first()


def stakeholder_relationship(*, stakeholder: Stakeholder, user) -> dict:
    """What the stakeholder page's relationship panel shows: its owner, its open follow-ups and
    the first page of its timeline."""
    follow_ups = list(
        follow_up_list(user=user)
        .filter(stakeholder=stakeholder, done_at__isnull=True)
        .order_by("due_date", "id")[:20]
    )
    today = datetime.date.today()
    for row in follow_ups:
        row.overdue = row.due_date < today
    return {
        "owner": stakeholder_owner_of(stakeholder=stakeholder),
        "follow_ups": follow_ups,
        "timeline": stakeholder_timeline(stakeholder=stakeholder, user=user, page=1),
    }


# --- the timeline ---------------------------------------------------------------------------

TIMELINE_PAGE = 20


@dataclass
class TimelineEntry:
    kind: str  # interaction, stake, tie, engagement, partnership
    when: datetime.datetime
    date_only: bool
    verb: str
    label: str
    url: str | None = None
    detail: str = ""
    who: Any = None
    obj: Any = None
    note: str = ""
    source: str = ""
    undated: bool = False  # nothing says when: shown without a date, sorted last

    @property
    def day(self) -> datetime.date:
        return self.when.astimezone(datetime.UTC).date() if self.date_only else self.when.date()


def _at(day: datetime.date) -> datetime.datetime:
    """Where an event known only by its day sorts: at the end of that day (after what was
    recorded earlier that day, which it usually concerns)."""
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)


def _interaction_at(interaction: Interaction) -> datetime.datetime:
    """An interaction logged on its own day sorts at the time it was logged; one logged later
    (or with no record of when), at the end of its day."""
    logged = interaction.created_at
    if logged is not None and logged.astimezone(datetime.UTC).date() == interaction.date:
        return logged
    return _at(interaction.date)


STAKE_VERBS = {"+": "stake recorded", "~": "stake changed", "-": "stake removed"}


def _stake_entries(stakeholder, user, limit):
    # A declassified actor's stakes begin, for the uncleared, as recorded when it was made
    # public (``stake_history_as_seen``), read as recorded then and by whoever made it public.
    seen = stake_history_as_seen(Stake.history.filter(stakeholder_id=stakeholder.pk), user=user)
    # The version each change replaced, as the reader could have seen it (a version from a time
    # the actor was hidden from them did not exist for them): the one before it among the
    # versions of the same stake they see, read in the same query ("from → to").
    before = {
        "partition_by": [F("id")],
        "order_by": [F("history_date").asc(), F("history_id").asc()],
    }
    records = seen.annotate(
        **{
            f"was_{field}": Window(Lag(field), **before)
            for field in ("position", "interest", "influence")
        }
    )
    return list(records.select_related("outcome").order_by("-seen_at", "-history_id")[:limit])


def _moved(label: str, was, now, show=str) -> str:
    if was is None or was == now:
        return f"{label}{show(now)}"
    return f"{label}{show(was)} → {show(now)}"


def _position_label(value: str) -> str:
    return Position(value).label.lower() if value in Position.values else value


def _stake_entry(record) -> TimelineEntry:
    # An outcome deleted since (or archived: out of every read) is named as gone.
    outcome = record.outcome if record.outcome and not record.outcome.archived_at else None
    detail = ""
    if record.history_type != "-":
        was = (
            (None, None, None)
            if record.seen_first
            else (record.was_position, record.was_interest, record.was_influence)
        )
        detail = " · ".join(
            (
                _moved("", was[0], record.position, _position_label),
                _moved("interest ", was[1], record.interest, "{:.2f}".format),
                _moved("influence ", was[2], record.influence, "{:.2f}".format),
            )
        )
        if record.assessed_on and record.assessed_on != record.seen_at.date():
            detail += f" · assessed {record.assessed_on:%d %b %Y}"
    kind = "+" if record.seen_first else record.history_type
    return TimelineEntry(
        kind="stake",
        when=record.seen_at,
        date_only=False,
        verb=STAKE_VERBS.get(kind, "stake changed"),
        label=outcome.title if outcome else "an outcome since deleted",
        url=outcome.get_absolute_url() if outcome else None,
        detail=detail,
        who=stake_recorder(record),
        note=(record.notes or "").strip() if record.history_type != "-" else "",
        source=record.source if record.history_type != "-" else "",
    )


def _interaction_entries(stakeholder, user, limit: int) -> list[TimelineEntry]:
    """The newest ``limit`` interactions with the stakeholder the reader may see."""
    interactions = (
        interaction_visible_to(user)
        .filter(stakeholders=stakeholder)
        .select_related("created_by")
        .order_by("-date", "-id")[:limit]
    )
    return [
        TimelineEntry(
            kind="interaction",
            when=_interaction_at(interaction),
            date_only=True,
            verb=interaction.get_kind_display().lower(),
            label=interaction.title,
            url=interaction.get_absolute_url(),
            detail=interaction.get_sentiment_display() or "",
            who=interaction.created_by,
            obj=interaction,
        )
        for interaction in interactions
    ]


def _tie_entries(stakeholder, user, limit: int) -> list[TimelineEntry]:
    """The newest ``limit`` ties begun, then the newest ``limit`` ended (two queries)."""
    ties = relation_dates_as_seen(
        tie_visible_to(user).filter(
            Q(from_stakeholder=stakeholder) | Q(to_stakeholder=stakeholder)
        ),
        user=user,
        ends=("from_stakeholder_id", "to_stakeholder_id"),
    ).alias(
        # Not recorded when (from before records kept it): unknown, not the actors' first day.
        seen_at=Case(When(created_at__isnull=True, then=None), default=F("seen_created_at"))
    )
    entries = []
    # A tie without a start date began when it was recorded, as far as we know — for a reader
    # not cleared, not before both its actors were public (``relation_dates_as_seen``): it sorts
    # there, marked undated (and one from before records kept that, with neither, sorts last).
    begun = Coalesce("start_date", TruncDate("seen_at", tzinfo=datetime.UTC))
    for field, verb in (("start_date", "tie begun"), ("end_date", "tie ended")):
        rows = ties.select_related("from_stakeholder", "to_stakeholder")
        if field == "start_date":
            rows = rows.alias(began=begun).order_by(
                F("began").desc(nulls_last=True),
                F("seen_at").desc(nulls_last=True),
                "-id",
            )
        else:
            rows = rows.filter(end_date__isnull=False).order_by("-end_date", "-id")
        for tie in rows[:limit]:
            other = (
                tie.to_stakeholder
                if tie.from_stakeholder_id == stakeholder.pk
                else (tie.from_stakeholder)
            )
            day = getattr(tie, field)
            undated = day is None
            entries.append(
                TimelineEntry(
                    kind="tie",
                    when=(
                        _at(day)
                        if day is not None
                        else (tie.created_at and tie.seen_created_at)
                        or datetime.datetime.min.replace(tzinfo=datetime.UTC)
                    ),
                    date_only=day is not None,
                    verb="tie recorded" if undated else verb,
                    label=other.name,
                    url=other.get_absolute_url(),
                    detail=tie.get_kind_display().lower() + (" · no start date" if undated else ""),
                    undated=undated and tie.created_at is None,
                )
            )
    return entries


def _engagement_entries(stakeholder, user, limit: int) -> list[TimelineEntry]:
    """The newest ``limit`` engagements it took part in, with their composite score."""
    engagements = (
        engagement_list(methodology=methodology_current(), user=user)
        .filter(participants__stakeholder=stakeholder)
        .order_by("-start_date", "-pk")[:limit]
    )
    entries = []
    for engagement in engagements:
        composite = getattr(engagement, "composite", None)
        entries.append(
            TimelineEntry(
                kind="engagement",
                when=_at(engagement.start_date),
                date_only=True,
                verb="engagement",
                label=engagement.title,
                url=engagement.get_absolute_url(),
                detail=f"composite {composite:.1f}" if composite is not None else "not scored",
            )
        )
    return entries


def _partnership_entries(stakeholder, user, limit: int) -> list[TimelineEntry]:
    """The newest ``limit`` steps of the visible partnerships it is a member of."""
    partnerships = (
        partnership_visible_to(user)
        .prefetch_related(None)
        .select_related(None)
        .filter(members__stakeholder=stakeholder)
        .values("pk")
    )
    events = (
        PartnershipEvent.objects.filter(partnership__in=partnerships)
        .select_related("partnership", "actor")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            kind="partnership",
            when=event.created_at,
            date_only=False,
            verb=f"partnership {event.get_to_status_display().lower()}",
            label=event.partnership.title,
            url=event.partnership.get_absolute_url(),
            who=event.actor,
        )
        for event in events
    ]


def stakeholder_timeline(
    *, stakeholder: Stakeholder, user, page: int = 1, per_page: int = TIMELINE_PAGE
) -> dict:
    """Everything that happened between us and ``stakeholder``, as ``user`` may see it, newest
    first: interactions, stake changes, ties begun and ended, engagements (with their composite
    score) and the steps of partnerships it is a member of.

    Page ``page`` of ``per_page``. Each source is read once, its newest ``page × per_page + 1``
    rows, and the sources are merged: seven queries whatever the number of rows (the caller has
    already found the stakeholder visible).
    """
    page = max(1, int(page))
    limit = page * per_page + 1
    entries: list[TimelineEntry] = _interaction_entries(stakeholder, user, limit)
    entries += [_stake_entry(r) for r in _stake_entries(stakeholder, user, limit)]
    entries += _tie_entries(stakeholder, user, limit)
    entries += _engagement_entries(stakeholder, user, limit)
    entries += _partnership_entries(stakeholder, user, limit)

    entries.sort(key=lambda entry: entry.when, reverse=True)
    start = (page - 1) * per_page
    shown = entries[start : start + per_page]
    return {
        "entries": shown,
        "page": page,
        "has_next": len(entries) > start + per_page,
        "has_previous": page > 1,
        "stakeholder": stakeholder,
    }


# --- salience -------------------------------------------------------------------------------


def salience_visible_to(user) -> QuerySet[SalienceAssessment]:
    """Salience assessments ``user`` may see: of stakeholders visible to them, in outcomes that
    are not archived, and not recorded while the stakeholder was hidden from them (for them, it
    did not exist then)."""
    queryset = SalienceAssessment.objects.filter(
        stakeholder__in=stakeholder_visible_to(user).values("pk"),
        outcome__archived_at__isnull=True,
    )
    return relation_history_as_seen(queryset, user=user, ends=("stakeholder_id",), at="created_at")


def salience_list(*, user) -> QuerySet[SalienceAssessment]:
    return salience_visible_to(user).select_related("stakeholder", "outcome", "assessed_by")


def _latest(rows) -> list[SalienceAssessment]:
    """The latest assessment of each (stakeholder, outcome) among ``rows`` (ordered newest
    first: by day assessed, then by when recorded)."""
    seen, latest = set(), []
    for row in rows:
        key = (row.stakeholder_id, row.outcome_id)
        if key not in seen:
            seen.add(key)
            latest.append(row)
    return latest


def outcome_salience(*, outcome: Outcome, user) -> dict:
    """The outcome page's salience panel: each visible actor's latest class, the count per
    class (zeros included, for the three-circle view), and every assessment (earlier ones
    kept). Two queries."""
    rows = list(
        salience_list(user=user)
        .filter(outcome=outcome)
        .order_by("-assessed_on", "-created_at", "-id")
    )
    latest = _latest(rows)
    groups = {cls.key: [] for cls in salience.CLASSES}
    for row in sorted(latest, key=lambda row: (row.stakeholder.name, row.stakeholder_id)):
        groups[row.salience.key].append(row)
    counts = salience.class_counts(row.salience.key for row in latest)
    return {
        "latest": latest,
        "classes": [
            {
                "cls": cls,
                "count": count,
                "rows": groups[cls.key],
                "spot": salience.VENN_SPOTS[cls.key],
            }
            for cls, count in counts
        ],
        "assessments": rows,
        "circles": salience.VENN_CIRCLES,
    }


def stakeholder_salience(*, stakeholder: Stakeholder, user) -> list[dict]:
    """Per outcome, the stakeholder's latest salience and its earlier assessments; one query
    (the caller has found the stakeholder visible)."""
    rows = (
        salience_list(user=user)
        .filter(stakeholder=stakeholder)
        .order_by("outcome__title", "outcome_id", "-assessed_on", "-created_at", "-id")
    )
    per_outcome: dict[int, dict] = {}
    for row in rows:
        entry = per_outcome.setdefault(
            row.outcome_id, {"outcome": row.outcome, "latest": row, "earlier": []}
        )
        if entry["latest"] is not row:
            entry["earlier"].append(row)
    return list(per_outcome.values())


# --- position and interest over time --------------------------------------------------------

POSITION_MONTHS = 12


def outcome_positions(
    *, outcome: Outcome, user, months: int = POSITION_MONTHS, today: datetime.date | None = None
) -> dict:
    """How support and opposition in ``outcome`` moved over the last ``months`` months, from
    the stake history as ``user`` could have seen it (``relationships.positions``): actors
    hidden from them now, and versions from a time an actor was hidden, are left out; a stake
    that existed when its actor was made public to them begins then, as it stood. Each
    version is dated by its ``assessed_on`` (the day it was recorded when empty). Two
    queries (the history, then the names of who moved)."""
    today = today or datetime.date.today()
    ever_here = Stake.history.filter(outcome_id=outcome.pk).values("id")
    # A stake that existed when its actor was made visible to the reader begins, for them, then
    # (the version that held then), as in the world where the actor first existed then.
    records = stake_history_seen(
        Stake.history.filter(
            id__in=ever_here, stakeholder_id__in=stakeholder_visible_to(user).values("pk")
        ),
        allowed=sensitivities_visible_to(user),
    )
    rows = (
        records.annotate(day=Coalesce("assessed_on", TruncDate("seen_at", tzinfo=datetime.UTC)))
        .order_by("seen_at", "history_id")
        .values_list(
            "id", "day", "history_type", "outcome_id", "stakeholder_id", "position", "influence"
        )
    )
    by_stake = positions.timelines(
        positions.Assessment(
            stake_id=stake_id,
            day=day,
            state=None
            if kind == "-" or outcome_id != outcome.pk
            else positions.State(stakeholder_id, position, influence),
        )
        for stake_id, day, kind, outcome_id, stakeholder_id, position, influence in rows
    )
    ends = positions.month_ends(today=today, months=months)
    series = positions.monthly(by_stake, ends)
    start = ends[0].replace(day=1)
    moves = positions.who_moved(by_stake, start=start, end=today)
    names = stakeholder_visible_to(user).in_bulk([move.stakeholder_id for move in moves])
    labels = dict(Position.choices)
    return {
        "series": series,
        "count_chart": positions.chart(series, measure="count"),
        "weight_chart": positions.chart(series, measure="weight"),
        "moves": [
            {
                "stakeholder": names[move.stakeholder_id],
                "before": move.before,
                "before_label": labels.get(move.before, move.before),
                "after": move.after,
                "after_label": labels.get(move.after, move.after),
                "day": move.day,
            }
            for move in moves
            if move.stakeholder_id in names
        ],
        "start": start,
        "end": today,
        "has_history": bool(by_stake),
    }
