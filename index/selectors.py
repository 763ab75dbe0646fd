"""Reads of the index, shared by pages, the API and jobs.

Participants are read only through ``stakeholder_visible_to``: a hidden actor never appears in a
participant list or a count by kind. Scores are read only through ``score_visible_to``: people not
cleared read scores computed over public participants only (DESIGN.md, do no harm).
"""

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncQuarter

from stakeholders.choices import Audience, Kind, Sensitivity
from stakeholders.models import Outcome
from stakeholders.selectors import audience_of, stakeholder_visible_to

from .choices import Pillar
from .models import Engagement, EngagementParticipant, Methodology, Score
from .scoring import PILLARS, EngagementFacts, ParticipantFacts

FACT_FIELDS = (
    "digital_channels",
    "realtime_reporting",
    "marginalised_reach",
    "disinformation_safeguards",
    "data_protection",
    "participants_total",
    "participants_women",
    "leaders_total",
    "leaders_women",
    "gbv_safeguards",
    "unscr1325_participation",
    "unscr1325_protection",
    "unscr1325_prevention",
    "unscr1325_relief_recovery",
    "results_by_sex",
    "dac_gender_marker",
)


def methodology_current() -> Methodology | None:
    """The newest published methodology version: the one pages show by default."""
    return Methodology.objects.filter(published=True).order_by("-published_at", "-version").first()


def engagement_facts_by_audience(
    engagement_ids,
) -> dict[int, tuple[EngagementFacts, EngagementFacts | None]]:
    """The scoring inputs of many engagements for both audiences, in two queries.

    For each engagement: its facts over its public participants (what the public score reads:
    the engagement as if its restricted and confidential participants had never existed), and,
    only where such participants take part, its facts over all of them (the cleared score's
    inputs); ``None`` where the two would be the same.
    """
    public_participants = defaultdict(list)
    all_participants = defaultdict(list)
    rows = (
        EngagementParticipant.objects.filter(engagement_id__in=engagement_ids)
        .order_by("engagement_id", "stakeholder_id")
        .values_list(
            "engagement_id", "stakeholder__kind", "stakeholder__scope", "role",
            "stakeholder__sensitivity",
        )
    )  # fmt: skip
    # A few dozen (kind, scope, role) combinations cover every participant: one frozen
    # ParticipantFacts each, shared, instead of one per row (bulk rescoring reads 500,000 rows).
    shared: dict[tuple[str, str, str], ParticipantFacts] = {}
    mixed = set()
    for engagement_id, kind, scope, role, sensitivity in rows:
        key = (kind, scope, role)
        participant = shared.get(key)
        if participant is None:
            participant = shared[key] = ParticipantFacts(kind=kind, scope=scope, role=role)
        all_participants[engagement_id].append(participant)
        if sensitivity == Sensitivity.PUBLIC:
            public_participants[engagement_id].append(participant)
        else:
            mixed.add(engagement_id)
    facts = {}
    for row in Engagement.objects.filter(id__in=engagement_ids).values("id", *FACT_FIELDS):
        engagement_id = row.pop("id")
        public = EngagementFacts(**row, participants=tuple(public_participants[engagement_id]))
        cleared = None
        if engagement_id in mixed:
            cleared = EngagementFacts(**row, participants=tuple(all_participants[engagement_id]))
        facts[engagement_id] = (public, cleared)
    return facts


def engagement_facts_many(
    engagement_ids, *, audience: str = Audience.CLEARED
) -> dict[int, EngagementFacts]:
    """The scoring inputs of many engagements as ``audience`` reads them (two queries)."""
    return {
        engagement_id: (cleared if audience == Audience.CLEARED and cleared else public)
        for engagement_id, (public, cleared) in engagement_facts_by_audience(engagement_ids).items()
    }


def engagement_facts(
    engagement: Engagement, *, audience: str = Audience.CLEARED
) -> EngagementFacts:
    return engagement_facts_many([engagement.pk], audience=audience)[engagement.pk]


def score_visible_to(user) -> QuerySet[Score]:
    """The scores ``user`` reads: the public ones, or for cleared people the cleared one where an
    engagement has one (restricted participants) and the public one elsewhere. The one way in to
    scores for pages, the API, exports and webhooks."""
    return scores_for_audience(audience_of(user))


def scores_for_audience(audience: str) -> QuerySet[Score]:
    if audience == Audience.CLEARED:
        return Score.objects.filter(
            Q(audience=Audience.CLEARED) | Q(audience=Audience.PUBLIC, cleared_differs=False)
        )
    return Score.objects.filter(audience=Audience.PUBLIC)


def engagement_list(*, methodology: Methodology | None, user) -> QuerySet[Engagement]:
    """Engagements with their score under ``methodology``, as ``user`` reads it, annotated
    (``composite`` etc.)."""
    queryset = Engagement.objects.all()
    if methodology is None:
        # No scores yet: the same columns, empty, so that sorting by them still works.
        return queryset.annotate(
            **{field: Value(None, output_field=FloatField()) for field in ENGAGEMENT_SCORE_FIELDS}
        )
    scores = score_visible_to(user).filter(engagement=OuterRef("pk"), methodology=methodology)
    return queryset.annotate(
        **{
            field: Subquery(scores.values(field)[:1])
            for field in ("digital", "multi_stakeholder", "feminist", "composite", "completeness")
        }
    )


def engagement_participants_visible(*, engagement: Engagement, user) -> list:
    """The participants of ``engagement`` that ``user`` may see, with their stakeholders."""
    return list(
        engagement.participants.filter(stakeholder__in=stakeholder_visible_to(user))
        .select_related("stakeholder")
        .order_by("role", "stakeholder__name")
    )


def participant_counts_by_kind(participants) -> list[dict]:
    """Counts by kind of already-filtered participants; kinds with none are left out."""
    counts = Counter(p.stakeholder.kind for p in participants)
    return [
        {"kind": kind, "label": label, "count": counts[kind]}
        for kind, label in Kind.choices
        if counts[kind]
    ]


def score_of(*, engagement: Engagement, methodology: Methodology | None, user) -> Score | None:
    if methodology is None:
        return None
    return score_visible_to(user).filter(engagement=engagement, methodology=methodology).first()


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


def score_list(*, user) -> QuerySet[Score]:
    """Scores as ``user`` (or a partner token) reads them, with engagement and methodology."""
    return score_visible_to(user).select_related("engagement", "methodology")


# What a score row shows in the API and webhooks, read as plain values: no model instances for
# a 100-row page (``index.representations.score_rows`` turns them into the API's shape).
SCORE_ROW_VALUES = (
    "id",
    "engagement_id",
    "methodology_id",
    "digital",
    "multi_stakeholder",
    "feminist",
    "composite",
    "completeness",
    "indicators_json",
    "computed_at",
    "engagement__title",
    "engagement__kind",
    "engagement__country",
    "engagement__start_date",
    "engagement__end_date",
    "partnership_shown",
    "methodology__name",
    "methodology__version",
)


def score_values_visible_to(user) -> QuerySet:
    """Scores as ``user`` (or a partner token) reads them, as ``SCORE_ROW_VALUES`` rows: the one
    read behind the scores API and the webhooks. A partnership the reader may not see (someone's
    draft, one whose members are hidden from them) is not even named by its id."""
    from partnerships.selectors import partnership_visible_to

    visible = partnership_visible_to(user).prefetch_related(None).order_by()
    shown = Case(
        When(engagement__partnership__in=visible.values("pk"), then="engagement__partnership"),
        default=None,
        output_field=IntegerField(),
    )
    return (
        score_visible_to(user)
        .annotate(
            partnership_shown=shown,
            indicators_json=Cast("indicators", output_field=TextField()),
        )
        .values(*SCORE_ROW_VALUES)
    )


SENSITIVITY_LIMIT = 5000


def _effects_by_parameter(effects) -> list[dict]:
    """One row per weight (its -step and +step effects side by side), the aggregation last; the
    weights whose changes move ranks most first."""
    rows: dict[str, dict] = {}
    for effect in effects:
        row = rows.setdefault(
            effect.parameter, {"parameter": effect.parameter, "label": effect.label}
        )
        side = "down" if effect.change.startswith("-") else "up"
        if effect.parameter == "aggregation":
            side = "switch"
            row["change"] = effect.change
        row[side] = {
            "mean_shift": effect.mean_shift,
            "max_shift": effect.max_shift,
            "share_moved": effect.share_moved,
        }
    weights = [row for key, row in rows.items() if key != "aggregation"]
    weights.sort(
        key=lambda row: (
            -max(row["down"]["mean_shift"], row["up"]["mean_shift"]),
            row["parameter"],
        )
    )
    return weights + ([rows["aggregation"]] if "aggregation" in rows else [])


def methodology_sensitivity(
    *, methodology: Methodology, user, limit: int = SENSITIVITY_LIMIT
) -> dict:
    """How rankings under ``methodology`` move when its weights and aggregation vary.

    Covers the ``limit`` most recently started scored engagements (the page says so), read from
    their stored normalised indicator values; cached until a score under the version changes.
    The result names engagements only by title and rank, which anyone who may see scores may see.
    """
    from django.core.cache import cache
    from django.db.models import Max

    from . import sensitivity

    audience = audience_of(user)
    scores = scores_for_audience(audience).filter(methodology=methodology)
    stamp = scores.aggregate(n=Count("id"), last=Max("computed_at"))
    last = stamp["last"].timestamp() if stamp["last"] else 0
    key = f"index:sensitivity:{audience}:{methodology.pk}:{stamp['n']}:{last}:{limit}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    rows = list(
        scores.order_by("-engagement__start_date", "-engagement_id").values_list(
            "engagement_id", "engagement__title", "composite", "indicators"
        )[:limit]
    )
    codes = [spec["code"] for spec in methodology.indicators]
    values = sensitivity.normalised_matrix([row[3] for row in rows], codes)
    result = sensitivity.analyse(
        values, methodology.indicators, methodology.pillar_weights, methodology.aggregation
    )
    intervals: list[dict[str, Any]] = [
        {
            "engagement_id": rows[interval.index][0],
            "title": rows[interval.index][1],
            "composite": rows[interval.index][2],
            "rank": interval.rank,
            "median": interval.median,
            "low": interval.low,
            "high": interval.high,
            "width": interval.high - interval.low,
        }
        for interval in result.intervals
    ]
    data = {
        "covered": len(rows),
        "total": stamp["n"],
        "ranked": result.ranked,
        "step": result.step,
        "draws": result.draws,
        "effects": _effects_by_parameter(result.effects),
        "top": intervals[:15],
        "most_uncertain": sorted(intervals, key=lambda row: (-row["width"], row["rank"]))[:10],
    }
    cache.set(key, data, 3600)
    return data


def rescore_run_status_of(run) -> dict:
    """What a rescoring run's progress bar polls (the shape ``static/js/runs.js`` reads)."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "phase_label": "",
        "chunks_done": run.done,
        "chunks_total": run.total,
        "done": run.done,
        "total": run.total,
        "percent": run.percent,
        "active": run.active,
        "error": run.error,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


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


def methodology_indicator_codes() -> list[str]:
    """Every indicator code of every methodology version, pillar by pillar (for CSV columns)."""
    pillar_of: dict[str, str] = {}
    for indicators in Methodology.objects.order_by("pk").values_list("indicators", flat=True):
        for indicator in indicators:
            pillar_of.setdefault(indicator["code"], indicator.get("pillar"))
    order = {pillar: position for position, pillar in enumerate(PILLARS)}
    return sorted(
        pillar_of, key=lambda code: (order.get(pillar_of[code], len(order)), len(code), code)
    )


ENGAGEMENT_SCORE_FIELDS = ("digital", "multi_stakeholder", "feminist", "composite", "completeness")


def engagement_scores_for(
    *, user, stakeholder=None, partnership=None, methodology: Methodology | None, limit: int = 10
) -> dict:
    """The engagements a stakeholder took part in (or that serve a partnership), newest first,
    each with its score under ``methodology``, and the averages over all of them.

    Callers have already checked that the stakeholder or partnership is visible to the reader;
    engagements and scores are aggregates that name no other actor. Two queries.
    """
    engagements = engagement_list(methodology=methodology, user=user)
    if stakeholder is not None:
        engagements = engagements.filter(participants__stakeholder=stakeholder).annotate(
            role=Subquery(
                EngagementParticipant.objects.filter(
                    engagement=OuterRef("pk"), stakeholder=stakeholder
                ).values("role")[:1]
            )
        )
    if partnership is not None:
        engagements = engagements.filter(partnership=partnership)
    rows = list(engagements.order_by("-start_date", "-pk")[:limit])
    averages = {}
    if methodology is not None:
        scores = score_visible_to(user).filter(
            methodology=methodology, engagement__in=engagements.values("pk")
        )
        averages = scores.aggregate(
            n=Count("id"), **{name: Avg(name) for name in ENGAGEMENT_SCORE_FIELDS}
        )
    total = len(rows) if len(rows) < limit else engagements.count()
    return {"engagements": rows, "total": total, "averages": averages, "methodology": methodology}


def methodology_of_version(*, version: int) -> Methodology | None:
    """Version ``version`` of the current methodology (of any, by name, if none is published)."""
    versions = Methodology.objects.filter(version=version)
    current = methodology_current()
    if current is not None:
        versions = versions.filter(name=current.name)
    return versions.order_by("name").first()


# --- publishing a version: what will move, and what moved --------------------------------------

PREVIEW_LIMIT = 5000
MOVES_SHOWN = 10


def _ranks(values: dict[int, float | None]) -> dict[int, int]:
    """Rank 1 = highest composite; engagements without a composite are not ranked; ties share
    the order of their ids (stable)."""
    ranked = {key: value for key, value in values.items() if value is not None}
    ordered = sorted(ranked, key=lambda key: (-ranked[key], key))
    return {key: rank for rank, key in enumerate(ordered, start=1)}


def _moves(before: dict, after: dict, titles: dict[int, str]) -> dict:
    """How ``after`` (engagement → composite) differs from ``before``: how many changed, by how
    much on average, and the largest rank moves."""
    ranks_before, ranks_after = _ranks(before), _ranks(after)
    changed = [k for k in after if before.get(k) != after[k]]
    shifts = [
        abs(ranks_before[k] - ranks_after[k])
        for k in ranks_after
        if k in ranks_before
    ]  # fmt: skip
    largest = sorted(
        (
            {"engagement_id": k, "title": titles.get(k, ""), "before": before.get(k),
             "after": after[k], "rank_before": ranks_before.get(k), "rank_after": ranks_after[k],
             "move": (ranks_before[k] - ranks_after[k]) if k in ranks_before else None}
            for k in ranks_after
        ),
        key=lambda row: (-(abs(row["move"]) if row["move"] is not None else 0), row["rank_after"]),
    )[:MOVES_SHOWN]  # fmt: skip
    return {
        "compared": len(after),
        "changed": len(changed),
        "mean_rank_move": sum(shifts) / len(shifts) if shifts else 0.0,
        "ranks_moved": sum(1 for shift in shifts if shift),
        "largest": largest,
    }


def methodology_preview(*, methodology: Methodology, user, limit: int = PREVIEW_LIMIT) -> dict:
    """What publishing the draft ``methodology`` would change, as ``user`` reads scores: each of
    the ``limit`` most recently started engagements scored now with the draft (the pure scorer,
    nothing written) against its score under the version in use."""
    from .scoring import score_engagement

    current = methodology_current()
    audience = audience_of(user)
    engagements = list(
        Engagement.objects.order_by("-start_date", "-pk").values_list("pk", "title")[:limit]
    )
    titles = dict(engagements)
    facts = engagement_facts_by_audience(list(titles))
    data = methodology.as_dict()
    after = {}
    for engagement_id, (public, cleared) in facts.items():
        chosen = cleared if audience == Audience.CLEARED and cleared is not None else public
        after[engagement_id] = score_engagement(chosen, data).composite
    before = {}
    if current is not None:
        before = dict(
            scores_for_audience(audience)
            .filter(methodology=current, engagement_id__in=list(titles))
            .values_list("engagement_id", "composite")
        )
    return {"current": current, "covered": len(titles), "total": Engagement.objects.count(),
            **_moves(before, after, titles)}  # fmt: skip


def methodology_comparison(*, methodology: Methodology, user) -> dict | None:
    """What publishing ``methodology`` moved: its stored scores against those of the version
    published before it (None when it is the first)."""
    previous = (
        Methodology.objects.filter(published=True, published_at__lt=methodology.published_at)
        .order_by("-published_at", "-version")
        .first()
        if methodology.published_at
        else None
    )
    if previous is None:
        return None
    scores = scores_for_audience(audience_of(user))
    after = dict(scores.filter(methodology=methodology).values_list("engagement_id", "composite"))
    before = dict(scores.filter(methodology=previous).values_list("engagement_id", "composite"))
    titles = dict(Engagement.objects.filter(pk__in=list(after)).values_list("pk", "title"))
    return {"previous": previous, **_moves(before, after, titles)}
