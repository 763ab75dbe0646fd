"""Proposing a coalition as a draft partnership: each member's role and contribution read from its
toolbox, and the draft's text.
"""

from __future__ import annotations

from django.db import transaction

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Capability, Kind, Sensitivity

from .models import Coalition, CoalitionMember
from .services import INCLUSIVE_KINDS

# Which role a member gets in the draft, from what it brings (first match).
ROLE_RULES = (
    ("funder", Capability.FUNDING),
    ("implementer", Capability.FIELD_PRESENCE | Capability.LOGISTICS),
    ("technical", Capability.TECHNOLOGY | Capability.RESEARCH_DATA | Capability.LEGAL),
)


def member_role(member: CoalitionMember) -> str:
    if member.is_broker:
        return "convener"
    for role, capabilities in ROLE_RULES:
        if int(member.brings) & int(capabilities):
            return role
    if member.is_inclusive:
        return "community"
    return "other"


def coalition_draft_text(*, coalition: Coalition, members: list) -> dict:
    """The title and rationale a draft made from ``coalition`` starts with.

    Written from its **public** members only, whoever proposes it: the partnership will be read
    by people not cleared for its restricted members (reviewers, the partnership list), so no
    name, count, capability or tie of a restricted member may shape a word of it.
    """
    public = [m for m in members if m.stakeholder.sensitivity == Sensitivity.PUBLIC]
    outcome = coalition.outcome
    lines = [f"A coalition for “{outcome.title}”."]
    covered = Capability(0)
    for member in public:
        brings = Capability(int(member.brings))
        covered |= brings
        kind = Kind(member.stakeholder.kind).label
        if brings:
            lines.append(f"{member.stakeholder.name} ({kind}) brings {_words(brings)}.")
        else:
            lines.append(f"{member.stakeholder.name} ({kind}) holds a stake in the outcome.")
    needed = Capability(int(coalition.needed_capabilities))
    if needed and covered & needed == needed:
        lines.append(f"Together they bring everything the outcome needs ({_words(needed)}).")
    elif needed and covered & needed:
        lines.append(
            f"Together they bring {_words(covered & needed)} of what the outcome needs; "
            f"{_words(needed & ~covered)} still to find."
        )
    public_ids = {m.stakeholder_id for m in public}
    names = {m.stakeholder_id: m.stakeholder.name for m in public}
    ties = [
        f"{names[a]} – {names[b]}"
        for a, b, _strength, _kind in coalition.ties
        if {a, b} <= public_ids
    ]
    if ties:
        lines.append("They already work together: " + "; ".join(ties) + " (ties on record).")
    inclusive = [
        f"{m.stakeholder.name} ({Kind(m.stakeholder.kind).label.lower()})"
        if m.stakeholder.kind in INCLUSIVE_KINDS
        else f"{m.stakeholder.name} (works locally)"
        for m in public
        if m.is_inclusive
    ]
    if inclusive:
        lines.append("It brings in " + _and(inclusive) + ".")
    lines.append("Proposed from a coalition computed by smartdiplomacy; see its methodology.")
    return {"title": f"Coalition for {outcome.title}"[:300], "rationale": "\n".join(lines)}


def _and(items: list[str]) -> str:
    if len(items) > 1:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return items[0] if items else ""


def _words(capabilities: Capability) -> str:
    return _and([label.lower() for label in capabilities.labels()]) or "nothing recorded"


@transaction.atomic
def coalition_propose(*, coalition: Coalition, proposer):
    """Propose ``coalition`` as a draft partnership with all its members and its outcome, in one
    step. The proposer must be allowed to see the coalition (the caller reads it through
    ``coalition_visible_to``) and to propose partnerships."""
    from partnerships import workflow
    from partnerships.selectors import partnership_visible_to

    locked = Coalition.objects.select_for_update().get(pk=coalition.pk)
    if locked.partnership_id is not None:
        shown = partnership_visible_to(proposer).filter(pk=locked.partnership_id).exists()
        where = f" as partnership #{locked.partnership_id}" if shown else ""
        raise ApplicationError(f"This coalition was already proposed{where}.", code="proposed")
    members = list(locked.members.select_related("stakeholder").order_by("position"))
    text = coalition_draft_text(coalition=locked, members=members)
    partnership = workflow.partnership_create_draft(
        proposer=proposer,
        title=text["title"],
        rationale=text["rationale"],
        outcomes=[locked.outcome_id],
        members=[
            workflow.MemberInput(
                stakeholder_id=m.stakeholder_id,
                role=member_role(m),
                contribution=_contribution(m),
            )
            for m in members
        ],
    )
    Coalition.objects.filter(pk=locked.pk).update(partnership=partnership)
    return partnership


def _contribution(member: CoalitionMember) -> str:
    """What a member brings, in its own words only (never another member's name)."""
    brings = Capability(int(member.brings))
    return f"Brings {_words(brings)}." if brings else ""
