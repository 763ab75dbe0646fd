"""Reads of coalitions, shared by the pages, the API and the outcome page.

The restriction rule: a reader gets the coalitions of their audience — *cleared* (computed from
every actor) if ``user_is_cleared``, otherwise *public* (computed as if restricted and
confidential actors had never existed). Partner tokens are never cleared and never read
coalitions. A public coalition whose member has become hidden since it was computed is left out
until its outcome is recomputed, which the change itself queues.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from stakeholders.choices import Audience, Capability, Kind, Scope, Sensitivity, TieKind
from stakeholders.selectors import audience_of

from .models import Coalition, CoalitionComputation, CoalitionMember

KIND_LABELS = dict(Kind.choices)
TIE_LABELS = dict(TieKind.choices)
HIDDEN = [value for value in Sensitivity.values if value != Sensitivity.PUBLIC]


def coalition_audience(user) -> str:
    return audience_of(user)


def coalition_visible_to(user) -> QuerySet[Coalition]:
    """The coalitions ``user`` may see, best first, each with its outcome, computation and
    members (with their stakeholders) loaded: three queries for any number of rows."""
    audience = coalition_audience(user)
    # Coalitions of an archived outcome are gone with it, for everyone.
    queryset = Coalition.objects.filter(audience=audience, outcome__archived_at__isnull=True)
    if audience == Audience.PUBLIC:
        queryset = queryset.exclude(members__stakeholder__sensitivity__in=HIDDEN)
    return (
        queryset.select_related("outcome", "computation")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CoalitionMember.objects.select_related("stakeholder").order_by("position"),
            )
        )
        .order_by("-value", "key")
    )


def coalition_list_for_outcome(*, user, outcome, limit: int = 5) -> list[Coalition]:
    return list(coalition_visible_to(user).filter(outcome=outcome).order_by("rank")[:limit])


def coalition_computation_for(*, user, outcome) -> CoalitionComputation | None:
    """How ``user``'s audience's coalitions of ``outcome`` were computed (when, how), or None."""
    return CoalitionComputation.objects.filter(
        outcome=outcome, audience=coalition_audience(user)
    ).first()


# --- explanations -------------------------------------------------------------------------------


@dataclass
class MemberExplanation:
    member: CoalitionMember
    kind: str
    brings: list[str]
    only_they_bring: list[str]
    inclusive_reason: str
    tied_to: list[str]  # names of the members it has a tie with


@dataclass
class TieExplanation:
    a: str
    b: str
    kind: str
    strength: float


@dataclass
class CoalitionExplanation:
    members: list[MemberExplanation]
    kinds: list[str]
    needed: list[str]
    covered: list[str]
    uncovered: list[str]
    inclusive: list[str]
    broker: MemberExplanation | None
    introduces_all: bool  # the broker has a tie with every other member
    ties: list[TieExplanation]


def _inclusive_reason(member: CoalitionMember) -> str:
    if not member.is_inclusive:
        return ""
    stakeholder = member.stakeholder
    if stakeholder.kind in (Kind.WOMENS_GROUP, Kind.GRASSROOTS):
        return f"{stakeholder.name} is a {KIND_LABELS[stakeholder.kind].lower()}"
    if stakeholder.scope == Scope.LOCAL:
        return f"{stakeholder.name} works locally"
    return f"{stakeholder.name} is inclusive"


def coalition_explanation(coalition: Coalition) -> CoalitionExplanation:
    """Who brings what, which kinds, the inclusive members, the ties and the broker, and what
    stays uncovered — from the coalition and its prefetched members, with no query."""
    members = list(coalition.members.all())
    names = {m.stakeholder_id: m.stakeholder.name for m in members}
    needed = Capability(int(coalition.needed_capabilities))
    tied: dict[int, list[str]] = {m.stakeholder_id: [] for m in members}
    ties = []
    for a, b, strength, kind in coalition.ties:
        if a in names and b in names:
            tied[a].append(names[b])
            tied[b].append(names[a])
            ties.append(TieExplanation(names[a], names[b], TIE_LABELS.get(kind, kind), strength))
    explained = []
    for member in members:
        brings = Capability(int(member.brings))
        others = Capability(0)
        for other in members:
            if other is not member:
                others |= Capability(int(other.brings))
        explained.append(
            MemberExplanation(
                member=member,
                kind=KIND_LABELS.get(member.stakeholder.kind, member.stakeholder.kind),
                brings=brings.labels(),
                only_they_bring=(brings & ~others).labels(),
                inclusive_reason=_inclusive_reason(member),
                tied_to=tied[member.stakeholder_id],
            )
        )
    covered = Capability(int(coalition.covered_capabilities))
    broker = next((e for e in explained if e.member.is_broker), None)
    return CoalitionExplanation(
        members=explained,
        kinds=[e.kind for e in explained],
        needed=needed.labels(),
        covered=covered.labels(),
        uncovered=(needed & ~covered).labels(),
        inclusive=[e.inclusive_reason for e in explained if e.inclusive_reason],
        broker=broker,
        introduces_all=broker is not None and len(broker.tied_to) == len(members) - 1,
        ties=ties,
    )


# Why an outcome has no coalition, for people (keys: partnerships.coalitions.core reasons).
REASONS = {
    "too_few_actors": "Fewer than three stakeholders hold a stake in this outcome.",
    "too_few_kinds": "The stakeholders holding a stake in this outcome are of fewer than three "
    "kinds, and a coalition needs three different kinds of actor.",
    "no_inclusive_actor": "No women's group, grassroots movement or local actor holds a stake "
    "in this outcome, and every coalition needs one. Recording one is the first step.",
    "no_feasible_set": "No three of this outcome's stakeholders can form a coalition: of "
    "different kinds, one of them inclusive, none opposing another.",
}


def coalition_reason_text(reason: str) -> str:
    return REASONS.get(reason, "")


def coalition_score_rows(coalition: Coalition) -> list[dict]:
    """The value's parts with their weights and contributions, for the detail page."""
    params = coalition.computation.parameters or {}
    parts = (
        ("Coverage", "of the capabilities the outcome needs", coalition.coverage,
         params.get("weight_coverage", 0.5)),
        ("Stake", "members' power and interest, √(interest × influence) / 5", coalition.stake,
         params.get("weight_stake", 0.3)),
        ("Trust", "the broker's ties to the others / 4", coalition.trust,
         params.get("weight_trust", 0.2)),
    )  # fmt: skip
    return [
        {"label": label, "meaning": meaning, "value": value, "weight": weight,
         "contribution": value * weight}
        for label, meaning, value, weight in parts
    ]  # fmt: skip


def coalitions_explained(coalitions) -> list[Coalition]:
    """Attach ``explanation`` to each coalition (no query: members are prefetched)."""
    coalitions = list(coalitions)
    for coalition in coalitions:
        coalition.explanation = coalition_explanation(coalition)
    return coalitions
