"""Reads that summarise many scores for pages: the dashboard, the home page's headline and trend
by quarter, and the score list's summary. Every one starts from ``score_visible_to`` (see
``index.selectors``).
"""

from collections import Counter
from datetime import date

from django.db.models import (
    Avg,
    Count,
    QuerySet,
)
from django.db.models.functions import TruncQuarter

from stakeholders.models import Outcome

from .choices import Pillar
from .models import Methodology, Score
from .scoring import PILLARS
from .selectors import score_visible_to


def _quarter(day) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _quarters_back(last: date, count: int) -> list[date]:
    """The ``count`` quarter starts ending with the one of ``last``, oldest first."""
    year, quarter = last.year, (last.month - 1) // 3
    starts = []
    for _ in range(count):
        starts.append(date(year, quarter * 3 + 1, 1))
        quarter -= 1
        if quarter < 0:
            year, quarter = year - 1, 3
    return starts[::-1]


def index_trend_by_quarter(
    *, methodology: Methodology | None, user, quarters: int = 8, today: date | None = None
) -> list[dict]:
    """The average composite of the engagements that started in each of the last ``quarters``
    quarters, up to the latest quarter with a score (never one after today's), with how many
    engagements each average is over. A quarter without a scored engagement is a gap (no
    value), never a zero. Over the scores the reader's audience reads. One query."""
    if methodology is None:
        return []
    today = today or date.today()
    rows = list(
        score_visible_to(user)
        .filter(
            methodology=methodology,
            composite__isnull=False,
            engagement__start_date__lte=today,
        )
        .annotate(start=TruncQuarter("engagement__start_date"))
        .values("start")
        .annotate(n=Count("id"), mean=Avg("composite"))
        .order_by("start")
    )
    if not rows:
        return []
    by_start = {_quarter_start(row["start"]): row for row in rows}
    return [
        {
            "label": _quarter(start),
            "value": by_start[start]["mean"] if start in by_start else None,
            "n": by_start[start]["n"] if start in by_start else 0,
        }
        for start in _quarters_back(_quarter_start(rows[-1]["start"]), quarters)
    ]


DASHBOARD_GROUP_ROWS = 20


def _by_composite(rows: list[dict]) -> list[dict]:
    """Highest mean composite first; groups without one last."""
    return sorted(
        rows, key=lambda row: (row["mean_composite"] is None, -(row["mean_composite"] or 0))
    )


def index_dashboard(*, methodology: Methodology | None, user) -> dict:
    """The dashboard: ``score_summary`` of every score under ``methodology`` (so the page and
    ``/api/v1/scores/summary/`` agree), groups ranked by mean composite (the best
    ``DASHBOARD_GROUP_ROWS`` partnerships and outcomes), the pillars compared like with like, the
    composite's distribution, and the quarters from the first to the last with the empty ones
    kept (a chart must not join across a year with no engagement).
    """
    if methodology is None:
        return {"count": 0}
    scores = score_visible_to(user).filter(methodology=methodology)
    summary = score_summary(scores=scores, user=user)
    overall = summary["overall"]
    return {
        "count": overall["count"],
        "composite": overall["mean_composite"],
        "completeness": overall["mean_completeness"],
        "pillars": _pillars_like_with_like(scores),
        "histogram": _composite_histogram(scores),
        "by_country": _by_composite([row for row in summary["by_country"] if row["country"]]),
        "by_partnership": _by_composite(summary["by_partnership"])[:DASHBOARD_GROUP_ROWS],
        "by_outcome": _by_composite(summary["by_outcome"])[:DASHBOARD_GROUP_ROWS],
        "by_quarter": _quarters_filled(summary["by_quarter"]),
    }


def index_headline(*, methodology: Methodology | None, user) -> dict:
    """The index in two figures for the home page: the average composite (with how many and how
    complete) and the pillars like with like. Two queries."""
    if methodology is None:
        return {"count": 0}
    scores = score_visible_to(user).filter(methodology=methodology)
    overall = scores.aggregate(
        count=Count("id"), composite=Avg("composite"), completeness=Avg("completeness")
    )
    return {**overall, "pillars": _pillars_like_with_like(scores)}


def _pillars_like_with_like(scores: QuerySet[Score]) -> dict:
    """The pillars' means over the engagements scored on all three (the same ones for each), best
    first, with how many those are and how complete their data. Means over different sets of
    engagements would not compare: a pillar known only where it is strong would look strong."""
    labels = dict(Pillar.choices)
    complete = scores.filter(**{f"{pillar}__isnull": False for pillar in PILLARS})
    row = complete.aggregate(
        n=Count("id"),
        completeness=Avg("completeness"),
        **{pillar: Avg(pillar) for pillar in PILLARS},
    )
    ranked = sorted(
        (
            {"pillar": p, "label": labels[p], "average": row[p]}
            for p in PILLARS
            if row[p] is not None
        ),
        key=lambda item: -item["average"],
    )
    return {"ranked": ranked, "n": row["n"], "completeness": row["completeness"]}


HISTOGRAM_BINS = 10


def _composite_histogram(scores: QuerySet[Score]) -> list[dict]:
    """How many engagements have a composite in each tenth of the scale (100 in the last)."""
    width = 100 / HISTOGRAM_BINS
    composites = scores.exclude(composite__isnull=True).values_list("composite", flat=True)
    counts = Counter(
        min(int(value // width), HISTOGRAM_BINS - 1) for value in composites if value is not None
    )
    return [
        {"low": round(i * width), "high": round((i + 1) * width), "count": counts.get(i, 0)}
        for i in range(HISTOGRAM_BINS)
    ]


def _quarters_filled(rows: list[dict]) -> list[dict]:
    """``rows`` (one per quarter with engagements, oldest first) with the quarters between them
    that had none, as rows of count 0 and no means."""
    if not rows:
        return []
    by_start = {row["start"]: row for row in rows}
    first, last = rows[0]["start"], rows[-1]["start"]
    filled, year, quarter = [], first.year, (first.month - 1) // 3
    while (year, quarter) <= (last.year, (last.month - 1) // 3):
        start = first.replace(year=year, month=quarter * 3 + 1, day=1)
        filled.append(
            by_start.get(start)
            or {"quarter": _quarter(start), "start": start, "count": 0,
                **{f"mean_{name}": None for name in SUMMARY_AVERAGES},
                "best_pillar": None, "weakest_pillar": None}
        )  # fmt: skip
        quarter += 1
        if quarter == 4:
            year, quarter = year + 1, 0
    return filled


SUMMARY_AVERAGES = ("digital", "multi_stakeholder", "feminist", "composite", "completeness")


def _summary_stats(row: dict) -> dict:
    """One group's figures, with its best and weakest pillar by mean (null when none is known)."""
    stats = {"count": row["count"]}
    # Rounded well below what any page shows: a mean's last binary digits depend on the order
    # the database adds the rows in, which says nothing anyone should read.
    stats.update(
        {
            f"mean_{name}": None if row[f"mean_{name}"] is None else round(row[f"mean_{name}"], 9)
            for name in SUMMARY_AVERAGES
        }
    )
    known = [(stats[f"mean_{pillar}"], pillar) for pillar in PILLARS]
    known = [(mean, pillar) for mean, pillar in known if mean is not None]
    # Ties go to the pillar named first (digital, multi-stakeholder, feminist): deterministic.
    stats["best_pillar"] = max(known, key=lambda item: item[0])[1] if known else None
    stats["weakest_pillar"] = min(known, key=lambda item: item[0])[1] if known else None
    return stats


def score_summary(*, scores: QuerySet[Score], user) -> dict:
    """Aggregates of ``scores`` (already filtered, one methodology) overall and by group.

    Five queries whatever the number of scores. Countries and outcomes are public; partnerships
    are listed only when ``partnership_visible_to(user)`` includes them, and scores of the others
    are simply not grouped under any partnership (no "hidden" or "other" bucket that would count
    them). An engagement serving several outcomes counts once under each.
    """
    from django_countries import countries

    from partnerships.selectors import partnership_visible_to

    base = Score.objects.filter(pk__in=scores.order_by().values("pk")).order_by()
    figures = {"count": Count("id"), **{f"mean_{name}": Avg(name) for name in SUMMARY_AVERAGES}}

    overall = _summary_stats(base.aggregate(**figures))
    by_country = [
        {
            "country": row["engagement__country"] or None,
            "country_name": countries.name(row["engagement__country"]) or None,
            **_summary_stats(row),
        }
        for row in base.values("engagement__country")
        .annotate(**figures)
        .order_by("engagement__country")
    ]
    visible = partnership_visible_to(user).order_by().values("pk")
    by_partnership = [
        {
            "partnership": row["engagement__partnership"],
            "title": row["engagement__partnership__title"],
            **_summary_stats(row),
        }
        for row in base.filter(engagement__partnership__in=visible)
        .values("engagement__partnership", "engagement__partnership__title")
        .annotate(**figures)
        .order_by("engagement__partnership__title", "engagement__partnership")
    ]
    by_outcome = [
        {
            "outcome": row["engagement__outcomes"],
            "title": row["engagement__outcomes__title"],
            **_summary_stats(row),
        }
        # Listed outcomes only: machine-made ones ("<sector> in <country>") wait for promotion.
        for row in base.filter(engagement__outcomes__in=Outcome.objects.listed().values("pk"))
        .values("engagement__outcomes", "engagement__outcomes__title")
        .annotate(**figures)
        .order_by("engagement__outcomes__title", "engagement__outcomes")
    ]
    by_quarter = [
        {
            "quarter": _quarter(row["start"]),
            "start": row["start"],
            **_summary_stats(row),
        }
        for row in base.annotate(start=TruncQuarter("engagement__start_date"))
        .values("start")
        .annotate(**figures)
        .order_by("start")
    ]
    return {
        "overall": overall,
        "by_country": by_country,
        "by_partnership": by_partnership,
        "by_outcome": by_outcome,
        "by_quarter": by_quarter,
    }
