"""Who may edit a draft or a sent-back proposal, through the service, the edit page and the API:
the proposer and administrators; nobody else, and nobody once the proposal is submitted."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from partnerships import workflow
from partnerships.models import Partnership, PartnershipMember
from partnerships.models import PartnershipStatus as S
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Sensitivity
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.partnerships.partnership_helpers import edit_form_data, make_partnership
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

EDITABLE = [S.DRAFT, S.SENT_BACK]
ROLES = ["proposer", "other officer", "administrator", "reviewer", "analyst", "anonymous"]
MAY_EDIT = {"proposer", "administrator"}
# What each refused role meets on the edit page: drafts and sent-back proposals are hidden from
# everyone but their proposer and administrators (404), the page itself needs the right to
# propose (403), and anonymous people are sent to sign in.
PAGE_REFUSAL = {"other officer": 404, "reviewer": 403, "analyst": 403, "anonymous": 302}
# The API reads for every signed-in person, so the hidden proposal is simply not there (404).
API_REFUSAL = {"other officer": 404, "reviewer": 404, "analyst": 404, "anonymous": (401, 403)}


@pytest.fixture
def people(officer, reviewer, analyst, administrator):
    return {
        "proposer": officer,
        "other officer": UserFactory(roles=[Role.PROGRAM_OFFICER]),
        "administrator": administrator,
        "reviewer": reviewer,
        "analyst": analyst,
        "anonymous": None,
    }


def snapshot(partnership: Partnership):
    partnership.refresh_from_db()
    return (
        partnership.title,
        partnership.risks,
        partnership.version,
        sorted(partnership.members.values_list("stakeholder_id", flat=True)),
    )


def edit_url(partnership):
    return reverse("partnerships:partnership_update", args=[partnership.pk])


def api_url(partnership):
    return reverse("partnerships-api:partnership-detail", args=[partnership.pk])


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
@pytest.mark.parametrize("status", EDITABLE)
def test_edit_matrix_through_the_service(people, status, role):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=status
    )
    before = snapshot(partnership)
    if role in MAY_EDIT:
        done = workflow.partnership_update(
            partnership=partnership, user=people[role], title="Renamed", risks="Floods."
        )
        assert (done.title, done.risks, done.version) == ("Renamed", "Floods.", before[2] + 1)
        assert done.status == status
    else:
        with pytest.raises(PermissionDenied):
            workflow.partnership_update(partnership=partnership, user=people[role], title="X")
        assert snapshot(partnership) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", EDITABLE)
def test_edit_matrix_through_the_page(client, people, status, role):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=status
    )
    before = snapshot(partnership)
    newcomer = StakeholderFactory(name="Diaspora radio")
    data = edit_form_data(partnership, title="Renamed", risks="Floods.")
    data["members-TOTAL_FORMS"] = "3"
    data.update({"members-2-stakeholder": newcomer.pk, "members-2-role": "convener"})
    if people[role] is not None:
        login_verified(client, people[role])
    form = client.get(edit_url(partnership))
    response = client.post(edit_url(partnership), data)
    if role in MAY_EDIT:
        assert form.status_code == 200 and 'value="Renamed"' not in form.content.decode()
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == partnership.get_absolute_url()
        title, risks, version, members = snapshot(partnership)
        assert (title, risks, version) == ("Renamed", "Floods.", before[2] + 1)
        assert members == sorted([*before[3], newcomer.pk])
        assert partnership.status == status
    else:
        expected = PAGE_REFUSAL[role]
        assert form.status_code == expected and response.status_code == expected
        if role == "anonymous":
            assert "login" in response["Location"]
        assert snapshot(partnership) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", EDITABLE)
def test_edit_matrix_through_the_api(people, status, role):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=status
    )
    before = snapshot(partnership)
    client = APIClient()
    if people[role] is not None:
        client.force_authenticate(people[role])
    response = client.patch(
        api_url(partnership),
        {"title": "Renamed", "risks": "Floods.", "version": before[2]},
        format="json",
    )
    if role in MAY_EDIT:
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["title"], body["risks"], body["version"]) == (
            "Renamed",
            "Floods.",
            before[2] + 1,
        )
        assert snapshot(partnership)[:3] == ("Renamed", "Floods.", before[2] + 1)
        assert snapshot(partnership)[3] == before[3]  # a PATCH without members keeps them
    else:
        expected = API_REFUSAL[role]
        assert response.status_code in (expected if isinstance(expected, tuple) else (expected,))
        assert snapshot(partnership) == before


@pytest.mark.parametrize("status", [S.PROPOSED, S.UNDER_REVIEW, S.APPROVED])
def test_once_submitted_nobody_edits_not_even_the_proposer(client, people, status):
    partnership = make_partnership(
        proposer=people["proposer"], reviewer=people["reviewer"], status=status
    )
    before = snapshot(partnership)
    for role in ("proposer", "administrator"):
        with pytest.raises(ApplicationError, match="cannot be edited"):
            workflow.partnership_update(partnership=partnership, user=people[role], title="X")
        login_verified(client, people[role])
        assert client.post(edit_url(partnership), edit_form_data(partnership)).status_code == 403
        response = APIClient()
        response.force_authenticate(people[role])
        refused = response.patch(api_url(partnership), {"title": "X"}, format="json")
        assert refused.status_code == 400
        assert "cannot be edited" in refused.json()["error"]["message"]
    assert snapshot(partnership) == before


def test_a_proposer_who_lost_the_officer_role_no_longer_edits(people):
    officer = people["proposer"]
    partnership = make_partnership(proposer=officer, reviewer=people["reviewer"])
    officer.groups.set([Group.objects.get(name=Role.ANALYST)])
    officer = type(officer).objects.get(pk=officer.pk)  # drop the cached roles
    with pytest.raises(PermissionDenied):
        workflow.partnership_update(partnership=partnership, user=officer, title="X")


def test_api_edits_are_validated_like_the_form(people):
    officer = people["proposer"]
    partnership = make_partnership(proposer=officer, reviewer=people["reviewer"])
    before = snapshot(partnership)
    client = APIClient()
    client.force_authenticate(officer)
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    cases = [
        ({"title": ""}, "title"),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date"),
        ({"members": [{"stakeholder": before[3][0]}]}, "members"),
        ({"members": [{"stakeholder": before[3][0]}, {"stakeholder": hidden.pk}]}, "members"),
        ({"candidate": 1}, "candidate"),
    ]
    for payload, field in cases:
        response = client.patch(api_url(partnership), payload, format="json")
        assert response.status_code == 400, (payload, response.json())
        assert field in response.json()["error"]["fields"], (payload, response.json())
    stale = client.patch(api_url(partnership), {"title": "Y", "version": 0}, format="json")
    assert stale.status_code == 400 and stale.json()["error"]["code"] == "stale"
    assert snapshot(partnership) == before
    assert PartnershipMember.objects.filter(stakeholder=hidden).count() == 0
