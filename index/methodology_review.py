"""Reads for reviewing a methodology version: how its ranks move when its weights vary
(sensitivity), and what publishing it will move or moved (preview, comparison).
"""

from typing import Any

from django.db.models import (
    Count,
)

from stakeholders.choices import Audience
from stakeholders.selectors import audience_of

from .models import Engagement, Methodology
from .selectors import engagement_facts_by_audience, methodology_current, scores_for_audience

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
