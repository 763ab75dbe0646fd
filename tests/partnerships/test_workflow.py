"""The partnership workflow through its services: who may take which step from which status,
validation that names the field and leaves the database unchanged, notifications, promotion of a
candidate, and two reviewers racing on PostgreSQL."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.roles import Role
from partnerships import workflow
from partnerships.models import Candidate, Partnership, PartnershipEvent, PartnershipMember
from partnerships.models import PartnershipStatus as S
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.partnerships.partnership_helpers import make_partnership, members_of
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

ROLES = ["proposer", "other officer", "reviewer", "analyst", "administrator", "superuser"]

# action: (the status it starts from, the roles that may take it)
MATRIX = {
    "submit": (S.DRAFT, {"proposer", "administrator", "superuser"}),
    "start_review": (S.PROPOSED, {"reviewer", "superuser"}),
    "approve": (S.UNDER_REVIEW, {"reviewer", "superuser"}),
    "send_back": (S.UNDER_REVIEW, {"reviewer", "superuser"}),
    "decline": (S.PROPOSED, {"reviewer", "superuser"}),
    "activate": (S.APPROVED, {"proposer", "administrator", "superuser"}),
    "conclude": (S.ACTIVE, {"proposer", "administrator", "superuser"}),
}
TARGET = {action: workflow.TRANSITIONS[action][1] for action in MATRIX}


@pytest.fixture
def people(officer, reviewer, analyst, administrator):
    return {
        "proposer": officer,
        "other officer": UserFactory(roles=[Role.PROGRAM_OFFICER]),
        "reviewer": reviewer,
        "analyst": analyst,
        "administrator": administrator,
        "superuser": UserFactory(is_superuser=True),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MATRIX))
def test_transition_matrix(people, action, role):
    source, allowed = MATRIX[action]
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=source
    )
    events = PartnershipEvent.objects.filter(partnership=partnership).count()
    step = workflow.SERVICES[action]
    if role in allowed:
        done = step(partnership=partnership, user=people[role], comment="A reason.")
        assert done.status == TARGET[action]
        last = partnership.events.last()
        assert (last.actor, last.from_status, last.to_status, last.comment) == (
            people[role],
            source,
            TARGET[action],
            "A reason.",
        )
    else:
        with pytest.raises(PermissionDenied):
            step(partnership=partnership, user=people[role], comment="A reason.")
        partnership.refresh_from_db()
        assert partnership.status == source
        assert partnership.events.count() == events


WRONG_STATUS = [
    (action, status)
    for action in MATRIX
    for status in (S.DRAFT, S.UNDER_REVIEW, S.ACTIVE, S.SENT_BACK)
    if status not in workflow.TRANSITIONS[action][0]
]


@pytest.mark.parametrize(("action", "status"), WRONG_STATUS)
def test_a_step_from_the_wrong_status_is_refused(people, action, status):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=status
    )
    with pytest.raises(ApplicationError, match="cannot be"):
        workflow.SERVICES[action](partnership=partnership, user=people["superuser"], comment="x")
    partnership.refresh_from_db()
    assert partnership.status == status


def test_nobody_reviews_their_own_proposal():
    both = UserFactory(roles=[Role.PROGRAM_OFFICER, Role.REVIEWER])
    partnership = make_partnership(proposer=both, status=S.PROPOSED)
    with pytest.raises(PermissionDenied, match="own proposal"):
        workflow.partnership_start_review(partnership=partnership, user=both)


def test_sent_back_proposal_is_edited_and_resubmitted_by_its_proposer(people):
    officer, reviewer = people["proposer"], people["reviewer"]
    partnership = make_partnership(proposer=officer, reviewer=reviewer, status=S.SENT_BACK)
    with pytest.raises(PermissionDenied):
        workflow.partnership_update(
            partnership=partnership, user=people["other officer"], title="Taken over"
        )
    workflow.partnership_update(partnership=partnership, user=officer, risks="Elections in May.")
    done = workflow.partnership_submit(partnership=partnership, user=officer)
    assert done.status == S.PROPOSED
    assert [e.to_status for e in done.events.all()] == [
        S.DRAFT, S.PROPOSED, S.SENT_BACK, S.PROPOSED,
    ]  # fmt: skip
    assert done.events.get(to_status=S.SENT_BACK).comment == "Please say more."


def test_a_submitted_proposal_can_no_longer_be_edited(people):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=S.PROPOSED
    )
    with pytest.raises(ApplicationError, match="cannot be edited"):
        workflow.partnership_update(
            partnership=partnership, user=people["proposer"], title="Changed"
        )


@pytest.mark.parametrize("action", ["send_back", "decline"])
def test_sending_back_or_declining_needs_a_comment(people, action):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=S.UNDER_REVIEW
    )
    with pytest.raises(ApplicationError) as error:
        workflow.SERVICES[action](partnership=partnership, user=people["reviewer"], comment=" ")
    assert error.value.field == "comment"
    partnership.refresh_from_db()
    assert partnership.status == S.UNDER_REVIEW


def test_an_edit_of_a_field_the_service_does_not_name_is_refused_at_the_call(people):
    partnership = make_partnership(proposer=people["proposer"])
    with pytest.raises(TypeError, match="proposer"):
        workflow.partnership_update(
            partnership=partnership, user=people["proposer"], proposer=people["reviewer"]
        )
    partnership.refresh_from_db()
    assert partnership.proposer == people["proposer"]
    version, title = partnership.version, partnership.title
    edited = workflow.partnership_update(
        partnership=partnership, user=people["proposer"], risks="Floods."
    )
    assert (edited.risks, edited.version, edited.title) == ("Floods.", version + 1, title)


def test_a_stale_version_is_refused(people):
    partnership = make_partnership(proposer=people["proposer"])
    old = partnership.version
    workflow.partnership_update(partnership=partnership, user=people["proposer"], risks="New")
    with pytest.raises(ApplicationError, match="changed this partnership meanwhile"):
        workflow.partnership_submit(
            partnership=partnership, user=people["proposer"], expected_version=old
        )


# --- validation -----------------------------------------------------------------------------


def _create(officer, members, **extra):
    fields = {"title": "T", "rationale": "R", "members": members, **extra}
    return workflow.partnership_create_draft(proposer=officer, **fields)


def test_validation_names_the_field_and_leaves_the_database_unchanged(officer):
    a, b = StakeholderFactory(), StakeholderFactory(kind=Kind.FIRM)
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    cases = [
        (members_of(a), "members", "at least 2 members"),
        (members_of(a, a), "members", "listed twice"),
        (members_of(a, hidden), "members", f"Stakeholder {hidden.pk} does not exist"),
        (members_of(a, b) + [workflow.MemberInput(stakeholder_id=999999)], "members",
         "Stakeholder 999999 does not exist"),
    ]  # fmt: skip
    for members, field, message in cases:
        with pytest.raises(ApplicationError, match=message) as error:
            _create(officer, members)
        assert error.value.field == field
    with pytest.raises(ApplicationError) as error:
        _create(
            officer,
            members_of(a, b),
            start_date=datetime.date(2026, 5, 1),
            end_date=datetime.date(2026, 4, 1),
        )
    assert error.value.field == "end_date"
    assert "on or after the start date (2026-05-01)" in str(error.value)
    assert Partnership.objects.count() == 0
    assert PartnershipMember.objects.count() == 0


def test_a_hidden_actor_fails_exactly_like_one_that_does_not_exist(officer):
    a = StakeholderFactory()
    hidden = StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    messages = []
    for missing in (hidden.pk, hidden.pk + 1000):
        with pytest.raises(ApplicationError) as error:
            _create(officer, members_of(a) + [workflow.MemberInput(stakeholder_id=missing)])
        messages.append(str(error.value).replace(str(missing), "N"))
    assert messages[0] == messages[1]


def test_a_cleared_officer_may_add_a_restricted_actor():
    cleared = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    partnership = _create(cleared, members_of(StakeholderFactory(), hidden))
    assert partnership.members.count() == 2


def test_submitting_needs_a_do_no_harm_assessment(people):
    partnership = make_partnership(proposer=people["proposer"], do_no_harm="")
    with pytest.raises(ApplicationError) as error:
        workflow.partnership_submit(partnership=partnership, user=people["proposer"])
    assert error.value.field == "do_no_harm"
    assert "especially women and displaced people" in str(error.value)
    partnership.refresh_from_db()
    assert partnership.status == S.DRAFT


def test_analysts_and_reviewers_cannot_propose(analyst, reviewer):
    a, b = StakeholderFactory(), StakeholderFactory()
    for user in (analyst, reviewer):
        with pytest.raises(PermissionDenied):
            _create(user, members_of(a, b))


def test_history_records_every_change_of_the_partnership_and_its_members(people):
    partnership = make_partnership(proposer=people["proposer"])
    kept = partnership.members.first().stakeholder
    extra = StakeholderFactory(kind=Kind.FIRM)
    workflow.partnership_update(
        partnership=partnership,
        user=people["proposer"],
        title="Renamed",
        members=members_of(kept, extra),
    )
    assert partnership.history.filter(title="Renamed").exists()
    assert PartnershipMember.history.filter(history_type="-").count() == 1
    assert PartnershipMember.history.filter(history_type="+").count() == 3


# --- notifications --------------------------------------------------------------------------


def test_reviewers_hear_of_a_proposal_and_the_proposer_of_the_decision(
    people, django_capture_on_commit_callbacks
):
    second_reviewer = UserFactory(roles=[Role.REVIEWER], email="second@example.org")
    partnership = make_partnership(proposer=people["proposer"])
    with django_capture_on_commit_callbacks(execute=True):
        workflow.partnership_submit(partnership=partnership, user=people["proposer"])
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {people["reviewer"].email, second_reviewer.email}
    assert partnership.title in mail.outbox[0].subject
    # An absolute link: e-mails are read outside the app.
    assert f"http://127.0.0.1:8000/partnerships/{partnership.pk}/" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        workflow.partnership_start_review(partnership=partnership, user=people["reviewer"])
        workflow.partnership_decline(
            partnership=partnership, user=people["reviewer"], comment="Too risky for now."
        )
    assert len(mail.outbox) == 2  # starting a review is not a decision
    assert mail.outbox[1].to == [people["proposer"].email]
    assert "declined" in mail.outbox[1].subject
    assert "Too risky for now." in mail.outbox[1].body


def test_no_mail_when_the_transaction_fails(people, django_capture_on_commit_callbacks):
    partnership = make_partnership(proposer=people["proposer"], do_no_harm="")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        workflow.partnership_submit(partnership=partnership, user=people["proposer"])
    assert mail.outbox == []


# --- candidates -----------------------------------------------------------------------------


def test_proposing_from_a_candidate_marks_it_promoted(officer, small_registry, run_overlap):
    run_overlap()
    candidate = Candidate.objects.get(
        stakeholder_a=small_registry.ngo, stakeholder_b=small_registry.firm
    )
    partnership = _create(
        officer, members_of(small_registry.ngo, small_registry.firm), candidate=candidate
    )
    candidate.refresh_from_db()
    assert candidate.partnership == partnership
    assert list(partnership.promoted_candidates.all()) == [candidate]


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite locks the whole database; row locking needs PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_cannot_both_win(people, monkeypatch):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=S.UNDER_REVIEW
    )
    second = UserFactory(roles=[Role.REVIEWER])
    original = workflow._record
    barrier = threading.Barrier(2)
    results = {}

    def slow_record(*args, **kwargs):
        # Hold the row lock a while so that the other reviewer certainly arrives meanwhile.
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "_record", slow_record)

    def act(name, user, action):
        from django.db import connections

        try:
            barrier.wait(timeout=5)
            workflow.SERVICES[action](
                partnership=Partnership(pk=partnership.pk), user=user, comment=name
            )
            results[name] = "won"
        except ApplicationError as error:
            results[name] = str(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("first", people["reviewer"], "approve")),
        threading.Thread(target=act, args=("second", second, "decline")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(v == "won" for v in results.values()) == [False, True], results
    loser = next(v for v in results.values() if v != "won")
    assert "cannot be" in loser
    partnership.refresh_from_db()
    decisions = PartnershipEvent.objects.filter(
        partnership=partnership, to_status__in=[S.APPROVED, S.DECLINED]
    )
    assert decisions.count() == 1
    assert partnership.status == decisions.get().to_status


def test_an_editor_who_may_not_see_a_member_keeps_it(administrator):
    cleared = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    a, b = StakeholderFactory(), StakeholderFactory(kind=Kind.FIRM)
    partnership = _create(cleared, members_of(a, b, hidden))
    # The administrator is not cleared: their form lists a and b only.
    workflow.partnership_update(
        partnership=partnership, user=administrator, members=members_of(a, b), title="Edited"
    )
    assert set(partnership.members.values_list("stakeholder", flat=True)) == {a.pk, b.pk, hidden.pk}


def test_a_promoted_pair_stays_promoted_after_the_next_run(officer, small_registry, run_overlap):
    first = run_overlap()
    candidate = Candidate.objects.get(
        stakeholder_a=small_registry.ngo, stakeholder_b=small_registry.firm
    )
    partnership = _create(
        officer, members_of(small_registry.ngo, small_registry.firm), candidate=candidate
    )
    second = run_overlap()
    assert second.pk != first.pk and second.is_current
    again = Candidate.objects.get(
        run=second, stakeholder_a=small_registry.ngo, stakeholder_b=small_registry.firm
    )
    assert again.pk != candidate.pk
    assert again.partnership == partnership
    assert (
        not Candidate.objects.filter(run=second, partnership__isnull=False)
        .exclude(pk=again.pk)
        .exists()
    )
