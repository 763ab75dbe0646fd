"""The admin refuses bad input naming the field, and obeys the restriction rule."""

import pytest
from django.urls import reverse

from stakeholders.choices import Sensitivity
from stakeholders.models import Stake, Tie
from tests.accounts.factories import UserFactory
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_officer():
    return UserFactory(username="staff.officer", roles=["program officer"], is_staff=True)


def stake_form(stakeholder, outcome, **overrides):
    return {
        "stakeholder": stakeholder.pk,
        "outcome": outcome.pk,
        "interest": "0.5",
        "influence": "0.5",
        "position": "supports",
        "notes": "",
        "source": "",
        **overrides,
    }


def test_out_of_range_interest_is_refused_in_the_admin(client, staff_officer):
    client.force_login(staff_officer)
    actor, outcome = StakeholderFactory(), OutcomeFactory()
    response = client.post(
        reverse("admin:stakeholders_stake_add"), stake_form(actor, outcome, interest="1.5")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "interest" in errors
    assert "less than or equal to 1" in str(errors["interest"])
    assert Stake.objects.count() == 0


def test_duplicate_stake_is_refused_in_the_admin(client, staff_officer):
    client.force_login(staff_officer)
    existing = StakeFactory()
    response = client.post(
        reverse("admin:stakeholders_stake_add"), stake_form(existing.stakeholder, existing.outcome)
    )
    assert response.status_code == 200
    assert "already has a stake in this outcome" in response.content.decode()
    assert Stake.objects.count() == 1


def test_tie_to_oneself_is_refused_in_the_admin(client, staff_officer):
    client.force_login(staff_officer)
    actor = StakeholderFactory()
    response = client.post(
        reverse("admin:stakeholders_tie_add"),
        {
            "from_stakeholder": actor.pk,
            "to_stakeholder": actor.pk,
            "kind": "funds",
            "strength": "0.5",
        },
    )
    assert response.status_code == 200
    assert "to_stakeholder" in response.context["adminform"].form.errors
    assert Tie.objects.count() == 0


def test_admin_lists_and_choices_hide_restricted_actors(client, staff_officer):
    StakeholderFactory(name="Visible Org")
    hidden = StakeholderFactory(name="Shelter Network", sensitivity=Sensitivity.RESTRICTED)
    client.force_login(staff_officer)
    listing = client.get(reverse("admin:stakeholders_stakeholder_changelist")).content.decode()
    assert "Visible Org" in listing
    assert "Shelter Network" not in listing
    change = client.get(reverse("admin:stakeholders_stakeholder_change", args=[hidden.pk]))
    assert change.status_code == 302  # the admin's "does not exist" redirect, as for a bad id
    # A hidden actor's id posted into a stake fails like a nonexistent one.
    response = client.post(
        reverse("admin:stakeholders_stake_add"), stake_form(hidden, OutcomeFactory())
    )
    assert "stakeholder" in response.context["adminform"].form.errors
    assert Stake.objects.count() == 0


def test_admin_history_page_shows_changes(client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    actor = StakeholderFactory(name="Before")
    actor.name = "After"
    actor.save()
    client.force_login(admin)
    page = client.get(reverse("admin:stakeholders_stakeholder_history", args=[actor.pk]))
    assert page.status_code == 200
    assert "Before" in page.content.decode()
