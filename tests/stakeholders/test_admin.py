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


def _stake_history_rows(client, stake) -> list[tuple[str, str, str]]:
    """(what, when, who) of each row of the stake's admin history, newest first."""
    page = client.get(reverse("admin:stakeholders_stake_history", args=[stake.pk]))
    assert page.status_code == 200
    return [
        (r.get_history_type_display(), f"{r.history_date:%Y-%m-%d %H}", r.history_user.username)
        for r in page.context["page_obj"]
    ]


def test_a_declassified_actors_stake_history_begins_when_it_was_made_public(client):
    """An uncleared administrator reads the stake of an actor restricted, then made public, as
    the stake of an actor public from the start, added that moment: created then, by whoever
    made it public; the change after it; nothing of the restricted time."""
    import datetime
    from types import SimpleNamespace

    import time_machine
    from simple_history.models import HistoricalRecords

    from stakeholders import services as registry

    staff = UserFactory(username="staff.plain", roles=["program officer"], is_staff=True)
    clea = UserFactory(username="clea", roles=["program officer"], cleared=True, is_staff=True)
    alice = UserFactory(username="alice", roles=["program officer"], cleared=True)
    outcome, other = OutcomeFactory(), OutcomeFactory()
    days = [datetime.datetime(2026, 10, d, 10, tzinfo=datetime.UTC) for d in (1, 3, 10, 20)]

    def at(moment, user):
        HistoricalRecords.context.request = SimpleNamespace(user=user)
        return time_machine.travel(moment, tick=False)

    try:
        with at(days[0], alice):
            open_actor = StakeholderFactory(name="Open Trust")
            quiet = StakeholderFactory(name="Quiet Trust", sensitivity=Sensitivity.RESTRICTED)
        with at(days[1], clea):
            kept = registry.stake_create(
                stakeholder=quiet, outcome=outcome, position="supports", interest=0.5, influence=0.4
            )
        with at(days[2], alice):
            registry.stakeholder_update(stakeholder=quiet, sensitivity=Sensitivity.PUBLIC)
            added = registry.stake_create(
                stakeholder=open_actor,
                outcome=other,
                position="supports",
                interest=0.5,
                influence=0.4,
            )
        with at(days[3], alice):
            registry.stake_update(stake=kept, position="opposes")
            registry.stake_update(stake=added, position="opposes")
    finally:
        del HistoricalRecords.context.request
    login_verified(client, staff)
    counterfactual = _stake_history_rows(client, added)
    assert counterfactual == [
        ("Changed", "2026-10-20 10", "alice"),
        ("Created", "2026-10-10 10", "alice"),
    ]
    assert _stake_history_rows(client, kept) == counterfactual
    # Cleared people read it as recorded.
    login_verified(client, clea)
    assert _stake_history_rows(client, kept)[-1] == ("Created", "2026-10-03 10", "clea")
