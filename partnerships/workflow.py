"""Writes of partnerships: proposals and their review workflow.

    draft ──submit──▶ proposed ──start review──▶ under review ──approve──▶ approved
      ▲                  │                           │                      │ activate
      │ (edit, submit)   ├── send back / decline ◀───┤                      ▼
    sent back ◀──────────┘                                     active ──conclude──▶ concluded

Who may do what (the transition matrix in tests/partnerships/test_workflow.py pins it):

- program officers (and administrators) create drafts; only the proposer or an administrator
  edits a draft or a sent-back proposal and submits it;
- only reviewers (the "reviewer" role, or a superuser) start a review, approve, send back or
  decline, and never on a proposal of their own;
- the proposer or an administrator activates an approved partnership and concludes an active one.

Every service is keyword-only and atomic, locks the partnership's row (``select_for_update``) before
it reads the status, records a :class:`PartnershipEvent`, and sends its e-mails only once the
transaction commits. Two reviewers acting at the same moment therefore queue on the row lock: the
second one reads the first one's result and is refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, user_has_role
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.services import UNSET, given_fields
from stakeholders.selectors import stakeholder_visible_to

from .models import (
    Candidate,
    Partnership,
    PartnershipComment,
    PartnershipEvent,
    PartnershipMember,
)
from .models import PartnershipStatus as Status
from .selectors import partnership_visible_to

EDITABLE_STATUSES = (Status.DRAFT, Status.SENT_BACK)
MIN_MEMBERS = 2
MAX_MEMBERS = 50
COMMENT_MAX_LENGTH = 4000


@dataclass(frozen=True)
class MemberInput:
    """One member as a form or serializer hands it over (the stakeholder by id)."""

    stakeholder_id: int
    role: str = PartnershipMember.Role.OTHER
    contribution: str = ""


# --- who may do what ----------------------------------------------------------------------------


def user_may_propose(user) -> bool:
    return user_has_role(user, Role.PROGRAM_OFFICER, Role.ADMINISTRATOR)


def user_may_edit(user, partnership: Partnership) -> bool:
    """The proposer (still a program officer) or an administrator, while the proposal is theirs."""
    if partnership.status not in EDITABLE_STATUSES:
        return False
    if user_has_role(user, Role.ADMINISTRATOR):
        return True
    return partnership.proposer_id == user.pk and user_may_propose(user)


def user_may_review(user, partnership: Partnership) -> bool:
    return user_has_role(user, Role.REVIEWER) and partnership.proposer_id != user.pk


def user_may_run(user, partnership: Partnership) -> bool:
    """Activate or conclude: the proposer or an administrator."""
    return partnership.proposer_id == user.pk or user_has_role(user, Role.ADMINISTRATOR)


def user_may_comment(user, partnership: Partnership) -> bool:
    """Anyone signed in who may see the partnership: discussion is open to every reader, in every
    status; the steps stay with the roles above. (Drafts and sent-back proposals are seen only by
    their proposer and administrators, so only they comment on those.)"""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if not user.has_perm("partnerships.view_partnership"):
        return False
    return partnership_visible_to(user).filter(pk=partnership.pk).exists()


# (from statuses, who may, needs a comment)
TRANSITIONS = {
    "submit": (EDITABLE_STATUSES, Status.PROPOSED, "edit", False),
    "start_review": ((Status.PROPOSED,), Status.UNDER_REVIEW, "review", False),
    "approve": ((Status.UNDER_REVIEW,), Status.APPROVED, "review", False),
    "send_back": ((Status.PROPOSED, Status.UNDER_REVIEW), Status.SENT_BACK, "review", True),
    "decline": ((Status.PROPOSED, Status.UNDER_REVIEW), Status.DECLINED, "review", True),
    "activate": ((Status.APPROVED,), Status.ACTIVE, "run", False),
    "conclude": ((Status.ACTIVE,), Status.CONCLUDED, "run", False),
}
# What a step did, said after it: "Sent back to the proposer." rather than "Send back: done."
ACTION_DONE = {
    "submit": "Submitted for review",
    "start_review": "Review started",
    "approve": "Approved",
    "send_back": "Sent back to the proposer",
    "decline": "Declined",
    "activate": "Marked active",
    "conclude": "Marked concluded",
}
ACTION_LABELS = {
    "submit": "Submit for review",
    "start_review": "Start review",
    "approve": "Approve",
    "send_back": "Send back to the proposer",
    "decline": "Decline",
    "activate": "Mark active",
    "conclude": "Mark concluded",
}
CHECKS = {
    "edit": lambda user, p: user_may_edit(user, p),
    "review": user_may_review,
    "run": user_may_run,
}


def partnership_actions_for(user, partnership: Partnership) -> list[dict]:
    """The transitions ``user`` may take now, for the buttons on the partnership's page."""
    return [
        {"action": action, "label": ACTION_LABELS[action], "needs_comment": needs_comment}
        for action, (sources, _target, check, needs_comment) in TRANSITIONS.items()
        if partnership.status in sources and CHECKS[check](user, partnership)
    ]


# --- validation ---------------------------------------------------------------------------------


def _clean_members(
    *, user, members: Iterable[MemberInput], minimum: int = MIN_MEMBERS
) -> list[MemberInput]:
    members = list(members)
    if len(members) < minimum:
        raise ApplicationError(
            f"A partnership needs at least {MIN_MEMBERS} members; this one has {len(members)}.",
            "members",
        )
    if len(members) > MAX_MEMBERS:
        raise ApplicationError(f"At most {MAX_MEMBERS} members.", "members")
    ids = [member.stakeholder_id for member in members]
    if len(set(ids)) != len(ids):
        raise ApplicationError("The same stakeholder is listed twice.", "members")
    valid_roles = set(PartnershipMember.Role.values)
    for member in members:
        if member.role not in valid_roles:
            raise ApplicationError(
                f"“{member.role}” is not a role; choose one of {', '.join(valid_roles)}.",
                "members",
            )
    visible = set(stakeholder_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    for stakeholder_id in ids:
        if stakeholder_id not in visible:
            # Worded exactly like an id that does not exist: a hidden actor is not there.
            raise ApplicationError(
                f"Stakeholder {stakeholder_id} does not exist.", "members", code="does_not_exist"
            )
    return members


def _clean_dates(start_date, end_date) -> None:
    if start_date and end_date and end_date < start_date:
        raise ApplicationError(
            f"The end date must be on or after the start date ({start_date:%Y-%m-%d}).",
            "end_date",
        )


def _check_submittable(partnership: Partnership) -> None:
    if not partnership.do_no_harm.strip():
        raise ApplicationError(
            "Describe the risks to participants, especially women and displaced people, and how "
            "they are mitigated, before submitting.",
            "do_no_harm",
        )
    if not partnership.rationale.strip():
        raise ApplicationError("Say why these actors, for these outcomes.", "rationale")
    count = partnership.members.count()
    if count < MIN_MEMBERS:
        raise ApplicationError(
            f"A partnership needs at least {MIN_MEMBERS} members; this one has {count}.",
            "members",
        )


# --- writes -------------------------------------------------------------------------------------

FIELDS = ("title", "rationale", "resources", "start_date", "end_date", "risks", "do_no_harm")


def _record(partnership: Partnership, *, actor, from_status: str, comment: str = "") -> None:
    PartnershipEvent.objects.create(
        partnership=partnership,
        actor=actor,
        from_status=from_status,
        to_status=partnership.status,
        comment=comment,
    )


def _write_members(
    partnership: Partnership, members: list[MemberInput], *, keep: set[int] = frozenset()
) -> None:
    wanted = {member.stakeholder_id: member for member in members}
    existing = {m.stakeholder_id: m for m in partnership.members.all()}
    for stakeholder_id, row in existing.items():
        if stakeholder_id not in wanted and stakeholder_id not in keep:
            row.delete()  # one by one, so that the history records each removal
    for stakeholder_id, member in wanted.items():
        row = existing.get(stakeholder_id)
        if row is None:
            PartnershipMember.objects.create(
                partnership=partnership,
                stakeholder_id=stakeholder_id,
                role=member.role,
                contribution=member.contribution,
            )
        elif (row.role, row.contribution) != (member.role, member.contribution):
            row.role, row.contribution = member.role, member.contribution
            row.save()


@transaction.atomic
def partnership_create_draft(
    *,
    proposer,
    title: str,
    rationale: str,
    members: Iterable[MemberInput],
    outcomes: Iterable = (),
    resources: str = "",
    start_date=None,
    end_date=None,
    risks: str = "",
    do_no_harm: str = "",
    candidate: Candidate | None = None,
) -> Partnership:
    """Save a new proposal as a draft; from ``candidate`` it also marks the candidate promoted."""
    if not user_may_propose(proposer):
        raise PermissionDenied("Only program officers and administrators propose partnerships.")
    if not title.strip():
        raise ApplicationError("Give the partnership a title.", "title")
    members = _clean_members(user=proposer, members=members)
    _clean_dates(start_date, end_date)
    partnership = Partnership.objects.create(
        title=title.strip(),
        proposer=proposer,
        rationale=rationale,
        resources=resources,
        start_date=start_date,
        end_date=end_date,
        risks=risks,
        do_no_harm=do_no_harm,
    )
    partnership.outcomes.set(list(outcomes))
    _write_members(partnership, members)
    _record(partnership, actor=proposer, from_status="", comment="Draft created.")
    if candidate is not None:
        Candidate.objects.filter(pk=candidate.pk).update(partnership=partnership)
    return partnership


def _lock(partnership: Partnership) -> Partnership:
    return Partnership.objects.select_for_update().get(pk=partnership.pk)


def _check_version(locked: Partnership, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise ApplicationError(
            "Someone else changed this partnership meanwhile; reload it and try again.",
            code="stale",
        )


@transaction.atomic
def partnership_update(
    *,
    partnership: Partnership,
    user,
    members: Iterable[MemberInput] | None = None,
    outcomes: Iterable | None = None,
    expected_version: int | None = None,
    title: str = UNSET,
    rationale: str = UNSET,
    resources: str = UNSET,
    start_date: date | None = UNSET,
    end_date: date | None = UNSET,
    risks: str = UNSET,
    do_no_harm: str = UNSET,
) -> Partnership:
    """Edit a draft or sent-back proposal (proposer or administrator): the ``FIELDS`` given, the
    members and outcomes when given."""
    fields = given_fields(locals(), FIELDS)
    locked = _lock(partnership)
    if not user_may_edit(user, locked):
        if locked.status not in EDITABLE_STATUSES:
            raise ApplicationError(
                f"A {locked.get_status_display().lower()} partnership cannot be edited."
            )
        raise PermissionDenied("Only the proposer or an administrator edits this proposal.")
    _check_version(locked, expected_version)
    if "title" in fields and not fields["title"].strip():
        raise ApplicationError("Give the partnership a title.", "title")
    for name, value in fields.items():
        setattr(locked, name, value)
    _clean_dates(locked.start_date, locked.end_date)
    if members is not None:
        # Members the editor may not see are not in their form: keep them, never drop them.
        visible = stakeholder_visible_to(user).values("pk")
        kept = set(
            locked.members.exclude(stakeholder__in=visible).values_list("stakeholder", flat=True)
        )
        members_checked = _clean_members(
            user=user, members=members, minimum=max(0, MIN_MEMBERS - len(kept))
        )
        _write_members(locked, members_checked, keep=kept)
    if outcomes is not None:
        locked.outcomes.set(list(outcomes))
    locked.version += 1
    locked.save()
    return locked


def _notify(subject: str, body: str, recipients: list[str]) -> None:
    recipients = [address for address in recipients if address]
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True
            )
        )


def _link(partnership: Partnership) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return base + reverse("partnerships:partnership_detail", args=[partnership.pk])


def _may_see(user, partnership: Partnership) -> bool:
    from .selectors import partnership_visible_to

    return partnership_visible_to(user).filter(pk=partnership.pk).exists()


def reviewer_addresses(
    *, exclude_user_id: int | None = None, partnership: Partnership | None = None
) -> list[str]:
    """E-mail addresses of the active people in the reviewer role (who may see ``partnership``:
    a reviewer not cleared for the members that make it is not told it exists)."""
    users = (
        get_user_model()
        .objects.filter(groups__name=Role.REVIEWER, is_active=True)
        .exclude(email="")
    )
    if exclude_user_id:
        users = users.exclude(pk=exclude_user_id)
    if partnership is not None:
        users = [reviewer for reviewer in users if _may_see(reviewer, partnership)]
    return sorted({reviewer.email for reviewer in users})


def _transition(
    *, partnership: Partnership, user, action: str, comment: str = "", expected_version=None
) -> Partnership:
    sources, target, check, needs_comment = TRANSITIONS[action]
    locked = _lock(partnership)
    if locked.status not in sources:
        raise ApplicationError(
            f"This partnership is {locked.get_status_display().lower()}; "
            f"it cannot be {ACTION_LABELS[action].lower()} now.",
            code="invalid_transition",
        )
    if not _may_see(user, locked):
        # Views answer 404 before this; a direct call must not act on what it cannot see.
        raise PermissionDenied("Only people who may see this partnership take its steps.")
    if not CHECKS[check](user, locked):
        if check == "review" and locked.proposer_id == user.pk:
            raise PermissionDenied("Nobody reviews their own proposal.")
        raise PermissionDenied("Your role does not allow this step.")
    _check_version(locked, expected_version)
    comment = (comment or "").strip()
    if needs_comment and not comment:
        raise ApplicationError("Say why, for the proposer.", "comment")
    if action == "submit":
        _check_submittable(locked)
        locked.submitted_at = timezone.now()
    if action in ("approve", "decline"):
        locked.decided_at = timezone.now()
    from_status = locked.status
    locked.status = target
    locked.version += 1
    locked.save()
    _record(locked, actor=user, from_status=from_status, comment=comment)
    if action == "submit":
        _notify(
            f"Partnership proposal to review: {locked.title}",
            f"{user} proposed “{locked.title}”.\n\nReview it: {_link(locked)}\n",
            reviewer_addresses(exclude_user_id=user.pk, partnership=locked),
        )
    elif (
        action in ("approve", "decline", "send_back")
        and locked.proposer
        and _may_see(locked.proposer, locked)
    ):
        verdict = {"approve": "approved", "decline": "declined", "send_back": "sent back"}[action]
        _notify(
            f"Your partnership proposal was {verdict}: {locked.title}",
            f"{user} {verdict} “{locked.title}”."
            + (f"\n\nComment: {comment}" if comment else "")
            + f"\n\n{_link(locked)}\n",
            [locked.proposer.email],
        )
    return locked


def _service(action: str):
    @transaction.atomic
    def service(*, partnership: Partnership, user, comment: str = "", expected_version=None):
        return _transition(
            partnership=partnership,
            user=user,
            action=action,
            comment=comment,
            expected_version=expected_version,
        )

    service.__name__ = f"partnership_{action}"
    service.__doc__ = f"{ACTION_LABELS[action]}: see the module's docstring for who may."
    return service


partnership_submit = _service("submit")
partnership_start_review = _service("start_review")
partnership_approve = _service("approve")
partnership_send_back = _service("send_back")
partnership_decline = _service("decline")
partnership_activate = _service("activate")
partnership_conclude = _service("conclude")

SERVICES = {
    "submit": partnership_submit,
    "start_review": partnership_start_review,
    "approve": partnership_approve,
    "send_back": partnership_send_back,
    "decline": partnership_decline,
    "activate": partnership_activate,
    "conclude": partnership_conclude,
}


@transaction.atomic
def partnership_comment_add(*, partnership: Partnership, author, body: str) -> PartnershipComment:
    """Leave a comment on ``partnership`` without taking a workflow step.

    The comment does not change the partnership (nor its ``version``, so a reviewer's open form
    stays valid); it is kept with its history and shown in the timeline among the steps.
    """
    if not user_may_comment(author, partnership):
        raise PermissionDenied("Only people who may see this partnership comment on it.")
    body = (body or "").strip()
    if not body:
        raise ApplicationError("Write a comment before posting it.", "body")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ApplicationError(
            f"A comment is at most {COMMENT_MAX_LENGTH} characters; this one has {len(body)}.",
            "body",
        )
    comment = PartnershipComment(partnership=partnership, author=author, body=body)
    comment._history_user = author  # type: ignore[attr-defined]  # simple-history
    comment.save()
    return comment
