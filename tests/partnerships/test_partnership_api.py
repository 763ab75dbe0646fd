"""/api/v1/partnerships/: reads for signed-in people, creation and workflow steps with the same
rules as the pages, errors in the one shape naming the field, restriction, query counts."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import token_issue
from partnerships.models import Candidate, Partnership, PartnershipMember
from partnerships.models import PartnershipStatus as S
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.partnerships.partnership_helpers import DO_NO_HARM, make_partnership
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

LIST = reverse("partnerships-api:partnership-list")


def detail(pk):
    return reverse("partnerships-api:partnership-detail", args=[pk])


def step(pk, action):
    return reverse(f"partnerships-api:partnership-{action.replace('_', '-')}", args=[pk])


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def payload(*stakeholders, **fields):
    return {
        "title": "Early warning by SMS",
        "rationale": "Shared stake in displacement.",
        "do_no_harm": DO_NO_HARM,
        "members": [
            {"stakeholder": s if isinstance(s, int) else s.pk, "role": "implementer"}
            for s in stakeholders
        ],
        **fields,
    }


def test_an_officer_proposes_and_a_reviewer_decides(officer, reviewer):
    a, b = StakeholderFactory(kind=Kind.NGO), StakeholderFactory(kind=Kind.FIRM)
    outcome = OutcomeFactory()
    response = api(officer).post(
        LIST, payload(a, b, outcomes=[outcome.pk], start_date="2026-01-01"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == S.DRAFT
    assert [m["stakeholder"] for m in body["members"]] == [a.pk, b.pk]
    assert body["outcomes"] == [outcome.pk]
    pk = body["id"]
    assert api(officer).post(step(pk, "submit"), {}, format="json").json()["status"] == S.PROPOSED
    assert api(reviewer).post(step(pk, "start_review")).json()["status"] == S.UNDER_REVIEW
    done = api(reviewer).post(step(pk, "approve"), {"comment": "Fine."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == S.APPROVED


@pytest.mark.parametrize(
    ("members", "fields", "field", "message"),
    [
        (["a"], {}, "members", "at least 2 members"),
        (["a", "a"], {}, "members", "listed twice"),
        (["a", "hidden"], {}, "members", "does not exist"),
        (["a", "b"], {"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date",
         "on or after the start date"),
        (["a", "b"], {"title": ""}, "title", ""),
        (["a", "b"], {"outcomes": [999999]}, "outcomes", ""),
    ],
)  # fmt: skip
def test_invalid_proposals_name_the_field_and_change_nothing(
    officer, members, fields, field, message
):
    ids = {
        "a": StakeholderFactory().pk,
        "b": StakeholderFactory().pk,
        "hidden": StakeholderFactory(sensitivity=Sensitivity.RESTRICTED).pk,
    }
    response = api(officer).post(LIST, payload(*[ids[m] for m in members], **fields), format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert field in body["fields"], body
    assert message in " ".join(body["fields"][field])
    assert Partnership.objects.count() == 0
    assert PartnershipMember.objects.count() == 0


def test_roles_are_enforced(officer, reviewer, analyst):
    a, b = StakeholderFactory(), StakeholderFactory()
    assert api(analyst).post(LIST, payload(a, b), format="json").status_code == 403
    assert api(reviewer).post(LIST, payload(a, b), format="json").status_code == 403
    partnership = make_partnership(proposer=officer, reviewer=reviewer, status=S.PROPOSED)
    assert api(officer).post(step(partnership.pk, "start_review")).status_code == 403
    assert api(analyst).post(step(partnership.pk, "start_review")).status_code == 403
    wrong = api(reviewer).post(step(partnership.pk, "approve"))
    assert wrong.status_code == 400 and "cannot be" in wrong.json()["error"]["message"]
    missing_comment = api(reviewer).post(step(partnership.pk, "decline"))
    assert missing_comment.status_code == 400
    assert "comment" in missing_comment.json()["error"]["fields"]
    partnership.refresh_from_db()
    assert partnership.status == S.PROPOSED


def test_proposing_from_a_candidate_marks_it(officer, small_registry, run_overlap):
    run_overlap()
    r = small_registry
    candidate = Candidate.objects.get(stakeholder_a=r.ngo, stakeholder_b=r.firm)
    response = api(officer).post(
        LIST, payload(r.ngo, r.firm, candidate=candidate.pair), format="json"
    )
    assert response.status_code == 201
    candidate.refresh_from_db()
    assert candidate.partnership_id == response.json()["id"]


def test_hidden_members_are_left_out_and_tokens_are_refused(officer, reviewer, analyst):
    cleared = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    hidden = StakeholderFactory(
        name="Secret shelter", kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED
    )
    public = [StakeholderFactory(), StakeholderFactory(kind=Kind.FIRM)]
    partnership = make_partnership(
        proposer=cleared, reviewer=reviewer, status=S.APPROVED, members=[*public, hidden]
    )
    body = api(analyst).get(detail(partnership.pk)).json()
    assert [m["stakeholder"] for m in body["members"]] == [s.pk for s in public]
    assert "Secret" not in str(api(analyst).get(LIST).json())
    assert len(api(cleared).get(detail(partnership.pk)).json()["members"]) == 3
    assert api(analyst).get(LIST, {"member_kind": hidden.kind}).json()["count"] == 0
    assert api(analyst).get(LIST, {"member": hidden.pk}).status_code == 400

    issued = token_issue(partner="Partner portal", created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert client.get(LIST).status_code == 403
    assert APIClient().get(LIST).status_code in (401, 403)


def test_drafts_are_hidden_from_others(officer, analyst):
    partnership = make_partnership(proposer=officer)
    assert api(analyst).get(detail(partnership.pk)).status_code == 404
    assert api(officer).get(detail(partnership.pk)).status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_runs_the_same_queries_for_few_and_many(
    rows, officer, reviewer, analyst, django_assert_num_queries
):
    for _ in range(rows):
        make_partnership(proposer=officer, reviewer=reviewer, status=S.PROPOSED)
    client = api(analyst)
    # The same for 5 rows and for 50 (user, roles, count, rows, members, outcomes, ...).
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == rows


def test_the_schema_documents_the_workflow(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("api-schema"))
    text = response.content.decode()
    for path in ("/api/v1/partnerships/", "/api/v1/partnerships/{id}/approve/",
                 "/api/v1/partnerships/{id}/send-back/"):  # fmt: skip
        assert path in text
