"""Set-up shared by the partnership tests: proposals made and moved through the real services."""

from partnerships import workflow
from partnerships.models import Partnership, PartnershipStatus
from stakeholders.choices import Kind
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

DO_NO_HARM = "Women's group members are not named in public material; meetings in safe venues."

# The steps from a fresh draft to each status, with who takes each step.
PATH_TO = {
    PartnershipStatus.DRAFT: [],
    PartnershipStatus.PROPOSED: [("submit", "proposer")],
    PartnershipStatus.UNDER_REVIEW: [("submit", "proposer"), ("start_review", "reviewer")],
    PartnershipStatus.APPROVED: [
        ("submit", "proposer"), ("start_review", "reviewer"), ("approve", "reviewer"),
    ],
    PartnershipStatus.ACTIVE: [
        ("submit", "proposer"), ("start_review", "reviewer"), ("approve", "reviewer"),
        ("activate", "proposer"),
    ],
    PartnershipStatus.SENT_BACK: [("submit", "proposer"), ("send_back", "reviewer")],
}  # fmt: skip


def members_of(*stakeholders, role="other"):
    return [workflow.MemberInput(stakeholder_id=s.pk, role=role) for s in stakeholders]


def make_partnership(
    *, proposer, reviewer=None, status=PartnershipStatus.DRAFT, members=None, title=None, **extra
) -> Partnership:
    """A partnership in ``status``, reached through the services (so its timeline is real)."""
    if members is None:
        members = [
            StakeholderFactory(kind=Kind.NGO),
            StakeholderFactory(kind=Kind.WOMENS_GROUP),
        ]
    fields = {"do_no_harm": DO_NO_HARM, "rationale": "They share a stake.", **extra}
    partnership = workflow.partnership_create_draft(
        proposer=proposer,
        title=title or f"Partnership of {members[0].name}",
        members=members_of(*members),
        outcomes=[OutcomeFactory()],
        **fields,
    )
    actors = {"proposer": proposer, "reviewer": reviewer}
    for action, who in PATH_TO[status]:
        comment = "Please say more." if action == "send_back" else ""
        partnership = workflow.SERVICES[action](
            partnership=partnership, user=actors[who], comment=comment
        )
    return partnership


def edit_form_data(partnership: Partnership, **fields) -> dict:
    """What the edit page posts back for ``partnership`` as it is, with ``fields`` changed."""
    members = list(partnership.members.order_by("id"))
    data = {
        "title": partnership.title,
        "rationale": partnership.rationale,
        "resources": partnership.resources,
        "risks": partnership.risks,
        "do_no_harm": partnership.do_no_harm,
        "outcomes": [o.pk for o in partnership.outcomes.all()],
        "version": str(partnership.version),
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, member in enumerate(members):
        data[f"members-{i}-stakeholder"] = member.stakeholder_id
        data[f"members-{i}-role"] = member.role
        data[f"members-{i}-contribution"] = member.contribution
    return data
