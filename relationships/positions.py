"""How support and opposition in an outcome moved: pure functions over stake assessments, no
Django (the selector ``relationships.selectors.outcome_positions`` loads them).

Every version of a stake (django-simple-history) is one dated assessment: on ``day`` the actor
held ``position`` with ``influence`` in the outcome, or held no stake there (deleted, or moved to
another outcome: ``state`` None). An actor's state on a day is its latest assessment dated that
day or before (assessments of one day in the order they were recorded).

* **Per month** (``monthly``): at each month's end (today for the current month), the number of
  supporters, neutrals and opponents, and their **weight** — the sum of their influence (0–1
  each), so that a decisive opponent counts more than a marginal one.
* **Who moved** (``who_moved``): the actors whose position at the end of the period differs from
  the one they held when it began (or the first they were recorded with in it), with the day of
  the last change.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

POSITIONS = ("supports", "neutral", "opposes")


@dataclass(frozen=True)
class State:
    stakeholder_id: int
    position: str
    influence: float


@dataclass(frozen=True)
class Assessment:
    stake_id: int
    day: datetime.date
    state: State | None  # None: no stake in the outcome from that day


@dataclass(frozen=True)
class Move:
    stakeholder_id: int
    before: str
    after: str
    day: datetime.date


def timelines(assessments: Iterable[Assessment]) -> dict[int, list[Assessment]]:
    """Each stake's assessments in the order they hold (by day; the caller gives one day's in
    the order they were recorded, which a stable sort keeps)."""
    by_stake: dict[int, list[Assessment]] = {}
    for assessment in assessments:
        by_stake.setdefault(assessment.stake_id, []).append(assessment)
    for rows in by_stake.values():
        rows.sort(key=lambda row: row.day)
    return by_stake


def state_on(rows: Sequence[Assessment], day: datetime.date) -> State | None:
    """The state of one stake on ``day``: its latest assessment dated ``day`` or before."""
    index = bisect_right([row.day for row in rows], day)
    return rows[index - 1].state if index else None


def month_ends(*, today: datetime.date, months: int) -> list[datetime.date]:
    """The last day of each of the ``months`` months up to today's (today for the current one)."""
    ends: list[datetime.date] = []
    year, month = today.year, today.month
    for _ in range(months):
        first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
        ends.append(min(first_next - datetime.timedelta(days=1), today))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends[::-1]


def monthly(
    by_stake: Mapping[int, Sequence[Assessment]], ends: Sequence[datetime.date]
) -> list[dict]:
    """For each month end: ``count`` and ``weight`` (sum of influence) per position."""
    series = []
    for end in ends:
        count = dict.fromkeys(POSITIONS, 0)
        weight = dict.fromkeys(POSITIONS, 0.0)
        for rows in by_stake.values():
            state = state_on(rows, end)
            if state is not None and state.position in count:
                count[state.position] += 1
                weight[state.position] += state.influence
        series.append(
            {
                "end": end,
                "count": count,
                "weight": {key: round(value, 2) for key, value in weight.items()},
            }
        )
    return series


def who_moved(
    by_stake: Mapping[int, Sequence[Assessment]], *, start: datetime.date, end: datetime.date
) -> list[Move]:
    """Actors whose position on ``end`` differs from the one they first held in the period
    (the one they held when it began, or their first recorded in it), latest change first."""
    moves = []
    for rows in by_stake.values():
        before = state_on(rows, start - datetime.timedelta(days=1)) or next(
            (row.state for row in rows if start <= row.day <= end and row.state is not None), None
        )
        after = state_on(rows, end)
        if before is None or after is None or before.position == after.position:
            continue
        changed = max(
            row.day
            for row in rows
            if start <= row.day <= end and row.state is not None
            and row.state.position == after.position
        )  # fmt: skip
        moves.append(Move(after.stakeholder_id, before.position, after.position, changed))
    moves.sort(key=lambda move: (move.day, move.stakeholder_id), reverse=True)
    return moves


# --- the chart ---------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 420, 170
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 10, 10, 26


def chart(series: Sequence[dict], *, measure: str) -> dict:
    """The geometry of a line chart of ``series`` (``monthly``'s rows), one line per position,
    on a scale from 0 to the largest value (``measure``: ``count`` or ``weight``)."""
    values = [row[measure][position] for row in series for position in POSITIONS]
    high = max(values, default=0) or 1
    if measure == "count":
        high = max(int(high), 1)
    inner_w = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(series) - 1, 1)

    def y_of(value: float) -> float:
        return round(PAD_TOP + inner_h - value / high * inner_h, 1)

    lines = []
    for position in POSITIONS:
        points = [
            (round(PAD_LEFT + index * step, 1), y_of(row[measure][position]))
            for index, row in enumerate(series)
        ]
        lines.append(
            {
                "position": position,
                "points": " ".join(f"{x},{y}" for x, y in points),
                "last": points[-1] if points else None,
            }
        )
    ticks = [
        {"x": round(PAD_LEFT + index * step, 1), "label": row["end"].strftime("%b")}
        for index, row in enumerate(series)
        if index % 2 == (len(series) - 1) % 2  # every other month, the latest always
    ]
    high_label = f"{high:g}" if measure == "count" else f"{high:.1f}"
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "lines": lines,
        "ticks": ticks,
        "y_top": y_of(high),
        "y_zero": y_of(0),
        "x_left": PAD_LEFT,
        "x_right": CHART_WIDTH - PAD_RIGHT,
        "high_label": high_label,
        "label_y": CHART_HEIGHT - 8,
    }
