"""Reads of the index, shared by pages, the API and jobs.

Participants are read only through ``stakeholder_visible_to``: a hidden actor never appears in a
participant list or a count by kind. Scores are read only through ``score_visible_to``: people not
cleared read scores computed over public participants only (DESIGN.md, do no harm).


Summaries over many scores (the dashboard, trends, the score list's summary) are in
``index.summaries``; reviewing a methodology version (its sensitivity, what publishing it moves)
in ``index.methodology_review``.
"""

from collections import Counter, defaultdict

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
from django.db.models.functions import Cast

from stakeholders.choices import Audience, Kind, Sensitivity
from stakeholders.selectors import audience_of, stakeholder_visible_to

from .models import Engagement, EngagementParticipant, Methodology, Score
from .scoring import FACT_FIELDS, PILLARS, EngagementFacts, ParticipantFacts


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
    draft, one whose members are hidden from them) is not even named by its id.

    Every caller without an account of its own (each partner token, anyone signed out) reads
    exactly the same: public actors only, no role, no drafts of their own. That query is built
    once per process and each call gets a copy of it (``.all()``; the kept one is never run, so
    it holds no rows): building the partnership visibility's subqueries was a fifth of the CPU of
    rendering a polled page (issue 22)."""
    if getattr(user, "pk", None) is None and audience_of(user) == Audience.PUBLIC:
        if not _SCORE_VALUES_WITHOUT_ACCOUNT:
            _SCORE_VALUES_WITHOUT_ACCOUNT.append(_score_values_of(user))
        return _SCORE_VALUES_WITHOUT_ACCOUNT[0].all()
    return _score_values_of(user)


# Built by the first caller without an account (two threads may both build it: the same query).
_SCORE_VALUES_WITHOUT_ACCOUNT: list[QuerySet] = []


def _score_values_of(user) -> QuerySet:
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


def rescore_run_status_of(run) -> dict:
    """A rescoring run's status, for its status endpoint (which adds its job's progress)."""
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
