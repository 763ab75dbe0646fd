"""Deleting as the person asking sees it: what they may not see is neither destroyed nor revealed
(stakeholders.deletion)."""

import pytest
from django.urls import reverse

from partnerships.models import Partnership, PartnershipMember
from stakeholders.choices import Kind, Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie
from tests.accounts.factories import UserFactory
from tests.api.conftest import error_of, signed_in
from tests.conftest import login_verified
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


def _delete_page(client, user, obj, name):
    login_verified(client, user)
    return client.post(reverse(f"stakeholders:{name}_delete", args=[obj.pk]))


def test_a_stakeholder_with_nothing_hidden_is_deleted(client, officer):
    actor = StakeholderFactory(name="Open NGO")
    StakeFactory(stakeholder=actor)
    response = _delete_page(client, officer, actor, "stakeholder")
    assert response.status_code == 302
    assert not Stakeholder.objects.filter(pk=actor.pk).exists()


def test_a_tie_to_a_hidden_actor_survives_an_uncleared_deletion(client, officer, cleared_analyst):
    actor = StakeholderFactory(name="Open NGO", kind=Kind.NGO)
    visible_partner = StakeholderFactory(name="Open firm", kind=Kind.FIRM)
    hidden = StakeholderFactory(
        name="Safe house collective", kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED
    )
    stake = StakeFactory(stakeholder=actor)
    kept = TieFactory(from_stakeholder=actor, to_stakeholder=hidden)
    gone = TieFactory(from_stakeholder=visible_partner, to_stakeholder=actor)
    plain = StakeholderFactory(name="Plain NGO")

    archived = _delete_page(client, officer, actor, "stakeholder")
    deleted = _delete_page(client, officer, plain, "stakeholder")
    # To the officer both deletions look the same: same redirect, same message, both gone.
    assert archived.status_code == deleted.status_code == 302
    assert archived["Location"] == deleted["Location"]
    page = client.get(reverse("stakeholders:stakeholder_list")).content.decode()
    assert "Deleted Open NGO." in page or "Open NGO" not in page
    assert (
        client.get(reverse("stakeholders:stakeholder_detail", args=[actor.pk])).status_code == 404
    )
    # What the officer could see went; the tie to the hidden actor did not.
    assert not Stake.objects.filter(pk=stake.pk).exists()
    assert not Tie.objects.filter(pk=gone.pk).exists()
    assert Tie.objects.filter(pk=kept.pk).exists()
    actor.refresh_from_db()
    assert actor.sensitivity == Sensitivity.RESTRICTED and actor.archived_at is not None
    assert actor.archived_by == officer
    # Cleared people still find it, archived, with the tie.
    login_verified(client, cleared_analyst)
    assert client.get(actor.get_absolute_url()).status_code == 200


def test_a_hidden_child_keeps_its_parent(client, officer):
    parent = StakeholderFactory(name="Ministry", kind=Kind.STATE)
    child = StakeholderFactory(parent=parent, sensitivity=Sensitivity.CONFIDENTIAL)
    assert _delete_page(client, officer, parent, "stakeholder").status_code == 302
    child.refresh_from_db()
    assert child.parent_id == parent.pk
    assert Stakeholder.objects.get(pk=parent.pk).archived_at is not None


def test_a_member_of_a_visible_partnership_is_refused_with_a_reason(client, officer, reviewer):
    a = StakeholderFactory(name="Open NGO", kind=Kind.NGO)
    b = StakeholderFactory(name="Open firm", kind=Kind.FIRM)
    make_partnership(proposer=officer, members=[a, b], title="Water together")
    response = _delete_page(client, officer, a, "stakeholder")
    assert response.status_code == 400
    assert "is a member of “Water together”: take it out of it first." in response.content.decode()
    assert Stakeholder.objects.filter(pk=a.pk, archived_at__isnull=True).exists()
    api = signed_in(officer).delete(reverse("stakeholders-api:stakeholder-detail", args=[a.pk]))
    assert api.status_code == 400 and "take it out" in error_of(api)["message"]


def test_a_member_only_of_a_partnership_that_exists_for_cleared_people_is_archived(
    client, officer, cleared_officer
):
    a = StakeholderFactory(name="Open NGO", kind=Kind.NGO)
    hidden = StakeholderFactory(kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED)
    partnership = make_partnership(proposer=cleared_officer, members=[a, hidden])
    response = _delete_page(client, officer, a, "stakeholder")
    assert response.status_code == 302
    assert PartnershipMember.objects.filter(partnership=partnership, stakeholder=a).exists()
    assert Partnership.objects.filter(pk=partnership.pk).exists()
    assert Stakeholder.objects.get(pk=a.pk).sensitivity == Sensitivity.RESTRICTED


def test_an_outcome_with_hidden_stakes_is_archived_and_its_title_free(client, officer):
    outcome = OutcomeFactory(title="Water security in the Sahel")
    visible = StakeFactory(outcome=outcome)
    hidden = StakeFactory(
        outcome=outcome, stakeholder=StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    )
    response = _delete_page(client, officer, outcome, "outcome")
    assert response.status_code == 302
    assert not Outcome.objects.filter(pk=outcome.pk).exists()  # gone from every read
    assert Outcome.all_objects.get(pk=outcome.pk).archived_by == officer
    assert not Stake.objects.filter(pk=visible.pk).exists()
    assert Stake.objects.filter(pk=hidden.pk).exists()
    assert client.get(reverse("stakeholders:outcome_detail", args=[outcome.pk])).status_code == 404
    # As after a deletion, the title can be used again.
    again = signed_in(officer).post(
        reverse("stakeholders-api:outcome-list"),
        {"title": "Water security in the Sahel", "theme": "climate_security"},
        format="json",
    )
    assert again.status_code == 201, again.content


def test_an_outcome_with_nothing_hidden_is_deleted(client, officer):
    outcome = OutcomeFactory()
    StakeFactory(outcome=outcome)
    assert _delete_page(client, officer, outcome, "outcome").status_code == 302
    assert not Outcome.all_objects.filter(pk=outcome.pk).exists()
