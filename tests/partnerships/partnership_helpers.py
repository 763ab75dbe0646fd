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
