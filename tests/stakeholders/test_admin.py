"""The admin refuses bad input naming the field, and obeys the restriction rule."""

import pytest
from django import forms
from django.urls import reverse

from stakeholders.choices import Sensitivity
from stakeholders.models import Stake, Stakeholder, Tie
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
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
    login_verified(client, staff_officer)
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
    login_verified(client, staff_officer)
    existing = StakeFactory()
    response = client.post(
        reverse("admin:stakeholders_stake_add"), stake_form(existing.stakeholder, existing.outcome)
    )
    assert response.status_code == 200
    assert "already has a stake in this outcome" in response.content.decode()
    assert Stake.objects.count() == 1


def test_tie_to_oneself_is_refused_in_the_admin(client, staff_officer):
    login_verified(client, staff_officer)
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
    login_verified(client, staff_officer)
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
    login_verified(client, admin)
    page = client.get(reverse("admin:stakeholders_stakeholder_history", args=[actor.pk]))
    assert page.status_code == 200
    assert "Before" in page.content.decode()


def admin_add_data(response, **values) -> dict:
    """What the admin's add page would post: its initial values, empty inlines, then ``values``."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        initial = form.get_initial_for_field(field, name)
        if isinstance(field, forms.MultipleChoiceField) and not isinstance(initial, list | tuple):
            continue  # an empty set of flags
        if initial not in (None, "", [], ()):
            data[name] = initial
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return {**data, **values}


@pytest.mark.parametrize(
    ("field", "code"),
    [("country", "XX"), ("country", "Kenya"), ("country_of_origin", "QQ")],
)
def test_an_unknown_country_code_is_refused_in_the_admin(client, staff_officer, field, code):
    login_verified(client, staff_officer)
    url = reverse("admin:stakeholders_stakeholder_add")
    values = {"name": "Diaspora Council", "kind": "diaspora", "country": "GB"}
    # First the same form with good codes, so that only the bad code can be the reason it fails.
    good = client.post(url, admin_add_data(client.get(url), **values, country_of_origin="SY"))
    assert good.status_code == 302, good.context["adminform"].form.errors
    assert Stakeholder.objects.filter(name="Diaspora Council").count() == 1
    bad = client.post(
        url,
        admin_add_data(
            client.get(url),
            **{**values, "name": "Second Council", "country_of_origin": "SY", field: code},
        ),
    )
    assert bad.status_code == 200
    errors = bad.context["adminform"].form.errors
    assert list(errors) == [field]
    assert code in str(errors[field]) and "not one of the available choices" in str(errors[field])
    assert not Stakeholder.objects.filter(name="Second Council").exists()
