"""Reads of the index, shared by pages, the API and jobs.

Participants are read only through ``stakeholder_visible_to``: a hidden actor never appears in a
participant list or a count by kind. Scores themselves may be shown (DESIGN.md, do no harm).
"""

from collections import Counter, defaultdict

from django.db.models import Avg, Count, OuterRef, QuerySet, Subquery

from stakeholders.choices import Kind
from stakeholders.selectors import stakeholder_visible_to, user_is_cleared

from .models import Engagement, EngagementParticipant, Methodology, Score
from .scoring import PARTICIPANT_INDICATORS, EngagementFacts, ParticipantFacts

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


def engagement_facts_many(engagement_ids) -> dict[int, EngagementFacts]:
    """The scoring inputs of many engagements in two queries, whoever asks.

    Scoring uses every participant, hidden or not: the score is an aggregate that may be shown;
    only what names or counts actors is filtered for people.
    """
    participants = defaultdict(list)
    rows = (
        EngagementParticipant.objects.filter(engagement_id__in=engagement_ids)
        .order_by("engagement_id", "stakeholder_id")
        .values_list("engagement_id", "stakeholder__kind", "stakeholder__scope", "role")
    )
    for engagement_id, kind, scope, role in rows:
        participants[engagement_id].append(ParticipantFacts(kind=kind, scope=scope, role=role))
    facts = {}
    for row in Engagement.objects.filter(id__in=engagement_ids).values("id", *FACT_FIELDS):
        engagement_id = row.pop("id")
        facts[engagement_id] = EngagementFacts(
            **row, participants=tuple(participants[engagement_id])
        )
    return facts


def engagement_facts(engagement: Engagement) -> EngagementFacts:
    return engagement_facts_many([engagement.pk])[engagement.pk]


def engagement_list(*, methodology: Methodology | None) -> QuerySet[Engagement]:
    """Engagements with their score under ``methodology`` annotated (``composite`` etc.)."""
    queryset = Engagement.objects.all()
    if methodology is None:
        return queryset
    scores = Score.objects.filter(engagement=OuterRef("pk"), methodology=methodology)
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


def score_of(*, engagement: Engagement, methodology: Methodology | None) -> Score | None:
    if methodology is None:
        return None
    return Score.objects.filter(engagement=engagement, methodology=methodology).first()


def _quarter(day) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def index_dashboard(*, methodology: Methodology | None) -> dict:
    """Average scores by country and by quarter, and the best and weakest pillars overall."""
    empty = {"by_country": [], "by_quarter": [], "pillars": [], "count": 0}
    if methodology is None:
        return empty
    scores = Score.objects.filter(methodology=methodology)
    averages = ("digital", "multi_stakeholder", "feminist", "composite")
    by_country = list(
        scores.exclude(engagement__country="")
        .values("engagement__country")
        .annotate(n=Count("id"), **{f"avg_{name}": Avg(name) for name in averages})
        .order_by("-avg_composite", "engagement__country")
    )
    from django_countries import countries

    for row in by_country:
        row["country_name"] = countries.name(row["engagement__country"])
    quarters = defaultdict(list)
    for start, composite in scores.values_list("engagement__start_date", "composite"):
        quarters[_quarter(start)].append(composite)
    by_quarter = [
        {
            "quarter": quarter,
            "n": len(values),
            "avg_composite": _mean([v for v in values if v is not None]),
        }
        for quarter, values in sorted(quarters.items())
    ]
    overall = scores.aggregate(n=Count("id"), **{name: Avg(name) for name in averages})
    labels = {
        "digital": "Digital",
        "multi_stakeholder": "Multi-stakeholder",
        "feminist": "Feminist",
    }
    pillars = sorted(
        (
            {"pillar": name, "label": label, "average": overall[name]}
            for name, label in labels.items()
            if overall[name] is not None
        ),
        key=lambda row: -row["average"],
    )
    return {
        "by_country": by_country,
        "by_quarter": by_quarter,
        "pillars": pillars,
        "count": overall["n"],
        "composite": overall["composite"],
    }


def _mean(values):
    return sum(values) / len(values) if values else None


def score_indicators_visible(indicators: list[dict], *, user) -> list[dict]:
    """A score's indicators as ``user`` may see them.

    The values of the indicators read from the participants (M1–M6, F3: how many actors, kinds,
    women's groups…) would let someone infer a participant hidden from them. People not cleared,
    and partner tokens, get those as ``withheld`` (value, normalised and contribution null) on
    every score alike, so that withholding says nothing about any one engagement. The pillar
    scores themselves may be shown (DESIGN.md, do no harm).
    """
    allowed = user_is_cleared(user)
    rows = []
    for indicator in indicators:
        withheld = not allowed and indicator["code"] in PARTICIPANT_INDICATORS
        row = {**indicator, "withheld": withheld}
        if withheld:
            row.update(value=None, normalised=None, contribution=None)
        rows.append(row)
    return rows


def score_list(*, user) -> QuerySet[Score]:
    """Scores for the API: every score may be listed; what each shows is filtered when shown."""
    return Score.objects.select_related("engagement", "methodology")
