"""Reads of candidates and runs, shared by the pages, the API and the stakeholder/outcome pages.

The restriction rule: a candidate exists for a person only if that person may see *both* actors
(``stakeholders.selectors.sensitivities_visible_to``). Everything here starts from
:func:`candidate_visible_to`, so lists, details, filters and counts agree.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.roles import Role, user_has_role
from stakeholders.choices import Capability, Kind, Scope, Sensitivity
from stakeholders.models import Outcome, Stake
from stakeholders.selectors import (
    audience_of,
    sensitivities_visible_to,
    stakeholder_visible_to,
)

from .choices import ACTIVE_RUN_STATUSES, AUDIENCE_FLAGS, RunStatus
from .jobs import overlap_run_progress_payload
from .models import (
    Candidate,
    CandidateDismissal,
    OverlapRun,
    Partnership,
    PartnershipComment,
    PartnershipEvent,
    PartnershipMember,
    PartnershipStatus,
)
from .overlap.compute import likelihood_of, priority_of


def dismissal_exists() -> Exists:
    return Exists(
        CandidateDismissal.objects.filter(
            stakeholder_a=OuterRef("stakeholder_a"), stakeholder_b=OuterRef("stakeholder_b")
        )
    )


# Best first: priority, then the evidence (likelihood, shared outcomes), then the row id, which a
# full run assigns in this same order with the two actors' rank by name as the last key (see
# ``overlap.writing.candidates_insert``): a function of the registry, not of its import order.
CANDIDATE_ORDER = ("-score", "-likelihood", "-shared_count", "id")
CANDIDATE_ORDER_BY_LIKELIHOOD = ("-likelihood", "-shared_count", "-score", "id")


def candidate_visible_to(user) -> QuerySet[Candidate]:
    """The current run's candidates chosen for ``user``'s audience (for people not cleared: chosen
    among public actors only, as if the others had never existed) whose two actors ``user`` may
    both see now, each with its actors loaded and ``is_dismissed`` annotated, best first."""
    allowed = sensitivities_visible_to(user)
    return (
        Candidate.objects.filter(
            run__is_current=True,
            audiences__in=AUDIENCE_FLAGS[audience_of(user)],
            stakeholder_a__sensitivity__in=allowed,
            stakeholder_b__sensitivity__in=allowed,
        )
        .select_related("stakeholder_a", "stakeholder_b", "run")
        .annotate(is_dismissed=dismissal_exists())
        .order_by(*CANDIDATE_ORDER)
    )


def candidate_of_pair(*, user, a: int, b: int) -> Candidate | None:
    """The current candidate of the pair ``a``–``b`` (either order) that ``user`` may see."""
    a, b = sorted((int(a), int(b)))
    return candidate_visible_to(user).filter(stakeholder_a_id=a, stakeholder_b_id=b).first()


def parse_pair(value) -> tuple[int, int] | None:
    """``"12-34"`` → ``(12, 34)`` (ordered); None if it is not two ids joined by a dash."""
    parts = str(value or "").split("-")
    if len(parts) != 2 or not all(part.isdigit() and len(part) <= 18 for part in parts):
        return None
    a, b = sorted(int(part) for part in parts)
    return (a, b) if a != b else None


def candidate_list_for_stakeholder(*, user, stakeholder, limit: int = 10) -> list[Candidate]:
    """A stakeholder's best candidates that ``user`` may see, not dismissed (for its page)."""
    return list(
        candidate_visible_to(user)
        .filter(Q(stakeholder_a=stakeholder) | Q(stakeholder_b=stakeholder))
        .filter(is_dismissed=False)[:limit]  # type: ignore[misc]  # annotated above
    )


def candidates_sharing_outcome(queryset: QuerySet[Candidate], outcome) -> QuerySet[Candidate]:
    """Candidates whose two actors both hold a stake with interest in ``outcome`` now."""
    holders = Stake.objects.filter(outcome=outcome, interest__gt=0).values("stakeholder_id")
    return queryset.filter(stakeholder_a__in=holders, stakeholder_b__in=holders)


def candidate_list_for_outcome(*, user, outcome, limit: int = 10) -> list[Candidate]:
    """The best pairs of actors sharing ``outcome`` that ``user`` may see, not dismissed."""
    visible = candidates_sharing_outcome(candidate_visible_to(user), outcome)
    return list(visible.filter(is_dismissed=False)[:limit])  # type: ignore[misc]  # annotated


def candidate_dismissal(candidate: Candidate) -> CandidateDismissal | None:
    return (
        CandidateDismissal.objects.filter(
            stakeholder_a_id=candidate.stakeholder_a_id,
            stakeholder_b_id=candidate.stakeholder_b_id,
        )
        .select_related("dismissed_by")
        .first()
    )


# --- explanations -------------------------------------------------------------------------------

KIND_LABELS = dict(Kind.choices)


@dataclass
class Explanation:
    shared_outcomes: list  # Outcome objects, strongest first (capped)
    shared_more: int  # how many more outcomes they share than are listed
    needed: list[str]
    brings_a: list[str]
    brings_b: list[str]
    uncovered: list[str]
    kind_a: str
    kind_b: str
    inclusive: list[str]  # "X is a women's group", "Y is women-led"


INCLUSIVE_KIND_VALUES = {"womens_group", "diaspora", "grassroots"}


def _inclusive_reasons(*actors) -> list[str]:
    reasons = []
    for actor in actors:
        if actor.kind in INCLUSIVE_KIND_VALUES:
            reasons.append(f"{actor.name} is a {KIND_LABELS[actor.kind].lower()}")
        elif actor.women_led:
            reasons.append(f"{actor.name} is women-led")
        elif actor.scope == Scope.LOCAL:
            reasons.append(f"{actor.name} works at local scope")
    return reasons


def _labels(bits) -> list[str]:
    return Capability(int(bits)).labels()


def candidate_explanations(candidates) -> dict[int, Explanation]:
    """Readable explanations of these candidates, by candidate id, in one query (the outcomes)."""
    candidates = list(candidates)
    wanted = {oid for c in candidates for oid in (c.shared_outcome_ids or [])}
    outcomes = Outcome.objects.in_bulk(wanted) if wanted else {}
    explanations = {}
    for c in candidates:
        listed = [outcomes[oid] for oid in (c.shared_outcome_ids or []) if oid in outcomes]
        needed = int(c.needed_capabilities)
        explanations[c.pk] = Explanation(
            shared_outcomes=listed,
            shared_more=max(0, c.shared_count - len(listed)),
            needed=_labels(needed),
            brings_a=_labels(c.brings_a),
            brings_b=_labels(c.brings_b),
            uncovered=_labels(needed & ~(int(c.brings_a) | int(c.brings_b))),
            kind_a=KIND_LABELS.get(c.stakeholder_a.kind, c.stakeholder_a.kind),
            kind_b=KIND_LABELS.get(c.stakeholder_b.kind, c.stakeholder_b.kind),
            inclusive=_inclusive_reasons(c.stakeholder_a, c.stakeholder_b),
        )
    return explanations


def candidate_score_rows(candidate: Candidate, params) -> list[dict]:
    """The likelihood's and the priority's parts, each with what it means and its value, for the
    detail page (the formulas are the run's own parameters: see the methodology page)."""
    fit = (candidate.complementarity + candidate.power_interest) / 2
    weighted = params.weight_rarity > 0
    evidence = "rarity-weighted shared outcomes" if weighted else "shared outcomes"
    shared = candidate.shared_count
    # The stored likelihood divided by overlap and fit gives the support exactly as computed
    # (the evidence may be rarity-weighted, which the shared count alone cannot say).
    factor = (1 - params.weight_fit) + params.weight_fit * fit
    kinds = (1 - params.weight_kinds) + params.weight_kinds * candidate.kind_affinity
    partners = candidate.shared_partners
    chances = 1 + params.weight_partners * partners / (partners + 1)
    # The base before shared partners, from the stored likelihood (1 − (1 − base)^chances).
    base = 1 - (1 - candidate.likelihood) ** (1 / chances)
    product = candidate.overlap * factor * kinds
    support = base / product if product else 0.0
    return [
        {"label": "Overlap", "meaning": "cosine of their interests", "value": candidate.overlap},
        {"label": "Support", "meaning": f"{shared} {evidence}, halfway at "
         f"{params.evidence_halfway:g}", "value": support},
        {"label": "Complementarity", "meaning": "toolboxes that fit together",
         "value": candidate.complementarity},
        {"label": "Power–interest", "meaning": "gap in influence on the shared outcomes",
         "value": candidate.power_interest},
        {"label": "Fit", "meaning": f"weighs {params.weight_fit:g} in the likelihood",
         "value": fit},
        {"label": "Kinds", "meaning": "how often their kinds work together in the registry; "
         f"weighs {params.weight_kinds:g}", "value": candidate.kind_affinity},
        {"label": "Shared partners", "meaning": "public actors who already work with both; "
         f"c of them give 1 + {params.weight_partners:g} × c / (c + 1) chances",
         "value": partners, "count": True},
        {"label": "Likelihood", "meaning": "overlap × support × fit and kinds terms, with more "
         "chances for shared partners", "value":
         candidate.likelihood, "total": True},
        {"label": "Inclusion", "meaning": "brings in an inclusive actor",
         "value": candidate.inclusion},
        {"label": "Priority", "meaning": f"likelihood with preference "
         f"{params.inclusion_preference:g} for inclusion", "value": candidate.score,
         "total": True},
    ]  # fmt: skip


def methodology_examples(params) -> list[dict]:
    """Worked examples for the methodology page, computed by the engine's own formulas."""
    cases = (
        ("Two one-outcome actors, the same outcome", 1.0, 1, False),
        ("The same, one of them a women's group", 1.0, 1, True),
        ("Three shared outcomes, overlap 0.8", 0.8, 3, False),
        ("Six shared outcomes, overlap 0.6", 0.6, 6, False),
        ("Six shared outcomes, overlap 0.6, a local NGO", 0.6, 6, True),
    )
    rows = []
    for label, overlap, shared, inclusive in cases:
        evidence = np.array([float(shared)])
        likelihood = likelihood_of(np.array([overlap]), evidence, np.zeros(1), params)
        priority = priority_of(likelihood, np.array([float(inclusive)]), params)
        rows.append({
            "label": label, "overlap": overlap, "shared": shared,
            "support": shared / (shared + params.evidence_halfway) if shared else 0.0,
            "likelihood": float(likelihood[0]), "inclusive": inclusive,
            "priority": float(priority[0]),
        })  # fmt: skip
    return rows


# --- runs ---------------------------------------------------------------------------------------


def overlap_run_list() -> QuerySet[OverlapRun]:
    return OverlapRun.objects.select_related("started_by").order_by("-created_at", "-id")


def overlap_run_active() -> OverlapRun | None:
    return overlap_run_list().filter(status__in=ACTIVE_RUN_STATUSES).first()


def overlap_run_current() -> OverlapRun | None:
    return OverlapRun.objects.filter(is_current=True).first()


def overlap_run_status(run: OverlapRun) -> dict:
    """What the Runs page's progress bar polls: no counts of stakeholders (they would include
    restricted ones)."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "phase": run.phase,
        "phase_label": run.get_phase_display(),
        "chunks_done": run.chunks_done,
        "chunks_total": run.chunks_total,
        "percent": run.percent,
        "active": run.is_active,
        "message": run.message,
        "error": run.error,
        "timings": run.timings,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        # The one progress partial's fields (static/js/jobs.js).
        "job": overlap_run_progress_payload(run),
    }


# --- links to other apps' pages -------------------------------------------------------------------


def url_or_none(name: str, *args) -> str | None:
    """The URL of a page of another app, or None while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- partnerships -------------------------------------------------------------------------------
#
# The restriction rule for partnerships (DESIGN.md, "Do no harm"): a partnership with a member the
# person may not see is still listed, but that member is left out of every member list, filter and
# export, and nothing counts it — as if it had never been a member. A partnership that would then
# be left with fewer than two members (it could not exist without the hidden one) is not shown at
# all. Drafts and sent-back proposals are the proposer's own work: only they and administrators
# see them.


def _visible_members(user) -> Prefetch:
    return Prefetch(
        "members",
        queryset=PartnershipMember.objects.filter(
            stakeholder__sensitivity__in=sensitivities_visible_to(user)
        )
        .select_related("stakeholder")
        .order_by("id"),
        to_attr="visible_members",
    )


def partnership_visible_to(user) -> QuerySet[Partnership]:
    """The partnerships ``user`` may see, each with ``visible_members`` and its outcomes loaded."""
    queryset = Partnership.objects.select_related("proposer").prefetch_related(
        _visible_members(user), Prefetch("outcomes", queryset=Outcome.objects.order_by("title"))
    )
    allowed = sensitivities_visible_to(user)
    if len(allowed) < len(Sensitivity.values):
        hidden = PartnershipMember.objects.filter(partnership=OuterRef("pk")).exclude(
            stakeholder__sensitivity__in=allowed
        )
        two_visible = (
            PartnershipMember.objects.filter(stakeholder__sensitivity__in=allowed)
            .order_by()
            .values("partnership")
            .annotate(n=Count("id"))
            .filter(n__gte=2)
            .values("partnership")
        )
        queryset = queryset.filter(~Exists(hidden) | Q(pk__in=two_visible))
    if not user_has_role(user, Role.ADMINISTRATOR):
        queryset = queryset.filter(
            ~Q(status__in=[PartnershipStatus.DRAFT, PartnershipStatus.SENT_BACK])
            | Q(proposer_id=user.pk)
        )
    return queryset.order_by("-updated_at", "-id")


def partnership_list_of_proposer(user) -> QuerySet[Partnership]:
    """My proposals: everything ``user`` proposed, newest change first."""
    return partnership_visible_to(user).filter(proposer_id=user.pk)


def partnership_review_queue(user) -> QuerySet[Partnership]:
    """Proposals waiting for a reviewer, oldest submission first, never the reviewer's own."""
    return (
        partnership_visible_to(user)
        .filter(status__in=[PartnershipStatus.PROPOSED, PartnershipStatus.UNDER_REVIEW])
        .exclude(proposer_id=user.pk)
        .order_by("submitted_at", "id")
    )


def partnership_members_visible(queryset, user):
    """Restrict a members queryset to the stakeholders ``user`` may see (for filters)."""
    return queryset.filter(stakeholder__sensitivity__in=sensitivities_visible_to(user))


def partnership_timeline(partnership: Partnership) -> QuerySet[PartnershipEvent]:
    return partnership.events.select_related("actor").order_by("created_at", "id")


def partnership_comments(partnership: Partnership) -> QuerySet[PartnershipComment]:
    return partnership.comments.select_related("author").order_by("created_at", "id")


def partnership_timeline_entries(
    partnership: Partnership,
) -> list[PartnershipEvent | PartnershipComment]:
    """Steps and comments in date order (a step before a comment of the same instant), in two
    queries however long the timeline. Each entry's ``timeline_kind`` says which it is."""
    entries: list[PartnershipEvent | PartnershipComment] = [
        *partnership_timeline(partnership),
        *partnership_comments(partnership),
    ]
    return sorted(entries, key=lambda e: (e.created_at, e.timeline_kind != "step", e.pk))


def partnership_restricted_member_ids(queryset: QuerySet[Partnership], user) -> list[int]:
    """The restricted or confidential members of ``queryset`` that ``user`` sees, for the audit
    of exports; always empty for people not cleared. One query."""
    visible = partnership_members_visible(
        PartnershipMember.objects.filter(partnership__in=queryset.order_by().values("pk")), user
    )
    return sorted(
        set(
            visible.exclude(stakeholder__sensitivity=Sensitivity.PUBLIC).values_list(
                "stakeholder_id", flat=True
            )
        )
    )


def partnership_candidate_prefill(*, user, pair) -> dict | None:
    """What a proposal made from a candidate starts with: both actors and the shared outcomes,
    and — when both actors are public — a title and the explanation as rationale. None if the
    pair (``"<a>-<b>"``) is not a candidate ``user`` may see.

    Texts are never written from a restricted or confidential actor's name or toolbox: the
    proposal will be read by reviewers who are not cleared for it (DESIGN.md, do no harm), so
    the proposer writes them, and the form says why (``restricted``).
    """
    parsed = parse_pair(pair)
    candidate = candidate_of_pair(user=user, a=parsed[0], b=parsed[1]) if parsed else None
    if candidate is None:
        return None
    explanation = candidate_explanations([candidate])[candidate.pk]
    a, b = candidate.stakeholder_a, candidate.stakeholder_b
    restricted = a.sensitivity != Sensitivity.PUBLIC or b.sensitivity != Sensitivity.PUBLIC
    prefill = {
        "candidate": candidate,
        "restricted": restricted,
        "title": "",
        "rationale": "",
        "outcomes": [o.pk for o in explanation.shared_outcomes],
        "members": [
            {"stakeholder": actor.pk, "contribution": "" if restricted else ", ".join(brings)}
            for actor, brings in ((a, explanation.brings_a), (b, explanation.brings_b))
        ],
    }
    if restricted:
        return prefill
    lines = [
        f"{a.name} ({explanation.kind_a}) and {b.name} ({explanation.kind_b}) share a stake in "
        + (", ".join(o.title for o in explanation.shared_outcomes) or "the same outcomes")
        + (f" and {explanation.shared_more} more" if explanation.shared_more else "")
        + ".",
    ]
    if explanation.brings_a:
        lines.append(f"{a.name} brings {', '.join(explanation.brings_a).lower()}.")
    if explanation.brings_b:
        lines.append(f"{b.name} brings {', '.join(explanation.brings_b).lower()}.")
    if explanation.inclusive:
        lines.append("Inclusive: " + "; ".join(explanation.inclusive) + ".")
    lines.append(f"Candidate score {candidate.score:.2f} (overlap run #{candidate.run_id}).")
    return {**prefill, "title": f"{a.name} + {b.name}", "rationale": "\n".join(lines)}


def partnership_promoted_pairs(*, partnership, user) -> list[Candidate]:
    """The current candidates ``partnership`` was proposed from that ``user`` may see."""
    return list(
        candidate_visible_to(user).filter(partnership=partnership).order_by("stakeholder_a_id")
    )


def stakeholder_search(*, user, query: str, limit: int = 20) -> list[dict]:
    """The live member search: visible stakeholders whose name contains ``query``."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    rows = (
        stakeholder_visible_to(user)
        .filter(name__icontains=query)
        .order_by("name", "id")
        .values("id", "name", "kind")[:limit]
    )
    return [{**row, "kind_label": KIND_LABELS.get(row["kind"], row["kind"])} for row in rows]


# --- trends for the home page --------------------------------------------------------------------


def _week_starts(weeks: int, today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def candidate_counts_by_week(*, user, weeks: int = 12, today: date | None = None) -> list[dict]:
    """Candidate pairs found, week by week over the last ``weeks`` weeks: what the last run
    that succeeded in each week found, as the reader's audience may be told it (people not
    cleared are told the pairs chosen among public actors only). A week without a run is a
    gap. One query."""
    today = today or timezone.localdate()
    starts = _week_starts(weeks, today)
    runs = OverlapRun.objects.filter(
        status=RunStatus.SUCCEEDED,
        finished_at__date__gte=starts[0],
    ).order_by("finished_at", "pk")
    audience = audience_of(user)
    last_of_week = {}
    for run in runs:
        day = timezone.localdate(run.finished_at)
        last_of_week[day - timedelta(days=day.weekday())] = run.counts_for(audience)["candidates"]
    return [
        {"label": f"week of {start:%-d %b}", "value": last_of_week.get(start)} for start in starts
    ]


DECIDED = (PartnershipStatus.APPROVED, PartnershipStatus.DECLINED)


def partnership_decisions_by_week(
    *, user, weeks: int = 12, today: date | None = None
) -> list[dict]:
    """Proposals decided (approved or declined) each week over the last ``weeks`` weeks, among
    the partnerships the reader may see; a week without a decision counts 0. One query."""
    today = today or timezone.localdate()
    starts = _week_starts(weeks, today)
    visible = partnership_visible_to(user).prefetch_related(None).order_by().values("pk")
    counts = Counter(
        timezone.localdate(moment) - timedelta(days=timezone.localdate(moment).weekday())
        for moment in PartnershipEvent.objects.filter(
            partnership__in=visible,
            to_status__in=DECIDED,
            created_at__date__gte=starts[0],
        ).values_list("created_at", flat=True)
    )
    return [{"label": f"week of {start:%-d %b}", "value": counts.get(start, 0)} for start in starts]
