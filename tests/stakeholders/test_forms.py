"""Creating and editing the registry through its pages: good input is saved through the services,
bad input comes back with the error on the field it is about and leaves the database unchanged."""

import pytest
from django.urls import reverse

from stakeholders.choices import Capability, Kind, Position, Sensitivity
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder, Tie
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


def stakeholder_data(**overrides):
    data = {
        "name": "Sahel Women's Water Network",
        "acronym": "SWWN",
        "kind": Kind.WOMENS_GROUP,
        "sensitivity": Sensitivity.PUBLIC,
        "country": "ML",
        "country_of_origin": "",
        "scope": "local",
        "parent": "",
        "capabilities": [str(int(Capability.FIELD_PRESENCE)), str(int(Capability.COMMUNITY_TRUST))],
        "digital_presence": "1",
        "women_led": "on",
        "women_leadership_share": "0.8",
        "description": "Water committees run by women in Mopti.",
        "website": "https://swwn.example.org",
        "external_id_iati_org": "ML-SWWN-1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def snapshot():
    """Everything a failed form must leave as it was."""
    return (
        list(Stakeholder.objects.order_by("pk").values()),
        list(Stake.objects.order_by("pk").values()),
        list(Tie.objects.order_by("pk").values()),
        list(ExternalIdentifier.objects.order_by("pk").values()),
    )


def assert_field_error(response, field: str, *fragments: str):
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    message = " ".join(form.errors[field])
    for fragment in fragments:
        assert fragment in message, message
    # The page says it too, naming the field.
    assert f"{form[field].label}: " in response.content.decode()


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


# --- stakeholders -------------------------------------------------------------------------------


def test_officer_creates_a_stakeholder_through_the_page(client, officer):
    water = SectorFactory(code="14030", name="Basic drinking water")
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_create"), stakeholder_data(sectors=[water.pk])
    )
    stakeholder = Stakeholder.objects.get(name="Sahel Women's Water Network")
    assert response.status_code == 302
    assert response["Location"] == reverse("stakeholders:stakeholder_detail", args=[stakeholder.pk])
    assert stakeholder.capabilities == Capability.FIELD_PRESENCE | Capability.COMMUNITY_TRUST
    assert stakeholder.women_led and stakeholder.women_leadership_share == 0.8
    assert list(stakeholder.sectors.all()) == [water]
    assert stakeholder.external_ids.get().value == "ML-SWWN-1"
    assert {record.history_user for record in stakeholder.history.all()} == {officer}
    detail = client.get(response["Location"]).content.decode()
    assert "Recorded Sahel Women" in detail
    assert "ML-SWWN-1" in detail


def test_officer_edits_a_stakeholder_and_its_identifiers(client, officer):
    stakeholder = StakeholderFactory(name="Old name", kind=Kind.NGO, country="KE")
    ExternalIdentifier.objects.create(stakeholder=stakeholder, scheme="wikidata", value="Q1")
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_update", args=[stakeholder.pk]),
        stakeholder_data(name="New name", kind=Kind.NGO, external_id_wikidata=""),
    )
    assert response.status_code == 302
    stakeholder.refresh_from_db()
    assert stakeholder.name == "New name"
    assert dict(stakeholder.external_ids.values_list("scheme", "value")) == {
        "iati_org": "ML-SWWN-1"
    }


@pytest.mark.parametrize(
    ("overrides", "field", "fragments"),
    [
        ({"women_leadership_share": "1.4"}, "women_leadership_share", ["between 0 and 1", "1.4"]),
        ({"women_leadership_share": "-0.1"}, "women_leadership_share", ["between 0 and 1"]),
        ({"country": "XX"}, "country", ["XX is not one of the available choices"]),
        ({"kind": Kind.DIASPORA}, "country_of_origin", ["needs its country of origin"]),
        ({"country_of_origin": "SY"}, "country_of_origin", ["Only diaspora groups"]),
        ({"name": ""}, "name", ["required"]),
        ({"kind": "pirates"}, "kind", ["not one of the available choices"]),
        ({"capabilities": ["1", "4096"]}, "capabilities", ["not one of the available choices"]),
        ({"website": "not a url"}, "website", ["valid URL"]),
    ],
)
def test_bad_stakeholder_input_names_the_field_and_changes_nothing(
    client, officer, overrides, field, fragments
):
    StakeholderFactory(name="Existing")
    before = snapshot()
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_create"), stakeholder_data(**overrides)
    )
    assert_field_error(response, field, *fragments)
    assert snapshot() == before


def test_an_identifier_held_by_another_stakeholder_is_refused_on_its_field(client, officer):
    other = StakeholderFactory(name="Other")
    ExternalIdentifier.objects.create(stakeholder=other, scheme="iati_org", value="ML-SWWN-1")
    before = snapshot()
    login_verified(client, officer)
    response = client.post(reverse("stakeholders:stakeholder_create"), stakeholder_data())
    assert_field_error(response, "external_id_iati_org", "already recorded for another")
    assert "Other" not in " ".join(response.context["form"].errors["external_id_iati_org"])
    assert snapshot() == before


def test_an_identifier_held_only_by_a_hidden_stakeholder_is_accepted(client, officer):
    """Refusing would tell this officer, not cleared, that a restricted actor holds it: the
    officer's write goes through exactly as if that actor did not exist, and the hidden one keeps
    its identifier (both are then offered for merging to cleared people)."""
    hidden = StakeholderFactory(name="Other", sensitivity=Sensitivity.RESTRICTED)
    ExternalIdentifier.objects.create(stakeholder=hidden, scheme="iati_org", value="ML-SWWN-1")
    client.force_login(officer)
    response = client.post(reverse("stakeholders:stakeholder_create"), stakeholder_data())
    assert response.status_code == 302
    holders = ExternalIdentifier.objects.filter(value="ML-SWWN-1").values_list(
        "stakeholder__name", flat=True
    )
    assert sorted(holders) == sorted(["Other", stakeholder_data()["name"]])


def test_a_stakeholder_cannot_sit_under_its_own_descendant(client, officer):
    top = StakeholderFactory(name="Top")
    child = StakeholderFactory(name="Child", parent=top)
    before = snapshot()
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_update", args=[top.pk]),
        stakeholder_data(name="Top", kind=Kind.NGO, parent=str(child.pk)),
    )
    assert_field_error(response, "parent", "cannot be its own ancestor")
    assert snapshot() == before


def test_an_uncleared_officer_cannot_create_a_restricted_stakeholder(client, officer):
    login_verified(client, officer)
    form = client.get(reverse("stakeholders:stakeholder_create")).context["form"]
    assert [value for value, _ in form.fields["sensitivity"].choices] == ["public"]
    for sensitivity in (Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL):
        response = client.post(
            reverse("stakeholders:stakeholder_create"), stakeholder_data(sensitivity=sensitivity)
        )
        assert_field_error(response, "sensitivity", "not one of the available choices")
    assert not Stakeholder.objects.exists()


def test_a_cleared_officer_can_create_a_restricted_stakeholder(client, cleared_officer):
    login_verified(client, cleared_officer)
    response = client.post(
        reverse("stakeholders:stakeholder_create"),
        stakeholder_data(sensitivity=Sensitivity.CONFIDENTIAL),
    )
    assert response.status_code == 302
    assert Stakeholder.objects.get().sensitivity == Sensitivity.CONFIDENTIAL


def test_an_uncleared_officer_cannot_choose_a_hidden_parent(client, officer):
    hidden = StakeholderFactory(name="Hidden ministry", sensitivity=Sensitivity.RESTRICTED)
    login_verified(client, officer)
    form = client.get(reverse("stakeholders:stakeholder_create")).context["form"]
    assert hidden.pk not in {stakeholder.pk for stakeholder in form.fields["parent"].queryset}
    response = client.post(
        reverse("stakeholders:stakeholder_create"), stakeholder_data(parent=str(hidden.pk))
    )
    assert_field_error(response, "parent", "not one of the available choices")
    missing = client.post(
        reverse("stakeholders:stakeholder_create"), stakeholder_data(parent="999999")
    )
    assert response.context["form"].errors == missing.context["form"].errors


def test_a_public_stakeholder_cannot_sit_under_a_hidden_parent(client):
    """The link is stored on the child: people not cleared would see it (and each change of it)."""
    from tests.accounts.factories import UserFactory

    hidden = StakeholderFactory(name="Hidden ministry", sensitivity=Sensitivity.RESTRICTED)
    agency = StakeholderFactory(name="Agency", kind=Kind.STATE)
    cleared = UserFactory(roles=["program officer"], cleared=True)
    login_verified(client, cleared)
    response = client.post(
        reverse("stakeholders:stakeholder_update", args=[agency.pk]),
        stakeholder_data(name="Agency", kind=Kind.STATE, parent=str(hidden.pk)),
    )
    assert_field_error(response, "parent", "cannot sit under a restricted or confidential one")
    agency.refresh_from_db()
    assert agency.parent_id is None
    # Restricting a parent with public children is refused the same way, naming the reason.
    agency.parent = StakeholderFactory(name="Open ministry", kind=Kind.STATE)
    agency.save()
    response = client.post(
        reverse("stakeholders:stakeholder_update", args=[agency.parent_id]),
        stakeholder_data(name="Open ministry", kind=Kind.STATE, sensitivity="restricted"),
    )
    assert_field_error(response, "sensitivity", "1 public stakeholder sits under this one")


def test_officer_deletes_a_stakeholder_after_confirming(client, officer):
    stakeholder = StakeholderFactory(name="To go")
    StakeFactory(stakeholder=stakeholder)
    login_verified(client, officer)
    url = reverse("stakeholders:stakeholder_delete", args=[stakeholder.pk])
    assert "Delete this stakeholder?" in client.get(url).content.decode()
    assert Stakeholder.objects.filter(pk=stakeholder.pk).exists()
    response = client.post(url)
    assert response["Location"] == reverse("stakeholders:stakeholder_list")
    assert not Stakeholder.objects.filter(pk=stakeholder.pk).exists()
    assert not Stake.objects.exists()


# --- outcomes -----------------------------------------------------------------------------------


def test_officer_creates_edits_and_deletes_an_outcome(client, officer):
    login_verified(client, officer)
    data = {
        "title": "Climate-driven displacement in the Sahel",
        "theme": "climate_security",
        "geography": "the Sahel",
        "countries": ["ML", "NE", "BF"],
        "needed_capabilities": [str(int(Capability.FUNDING)), str(int(Capability.LOGISTICS))],
        "description": "",
    }
    response = client.post(reverse("stakeholders:outcome_create"), data)
    outcome = Outcome.objects.get()
    assert response["Location"] == reverse("stakeholders:outcome_detail", args=[outcome.pk])
    assert sorted(country.code for country in outcome.countries) == ["BF", "ML", "NE"]
    assert outcome.needed_capabilities == Capability.FUNDING | Capability.LOGISTICS
    response = client.post(
        reverse("stakeholders:outcome_update", args=[outcome.pk]), {**data, "geography": "Mali"}
    )
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.geography == "Mali"
    duplicate = client.post(reverse("stakeholders:outcome_create"), data)
    assert_field_error(duplicate, "title", "already exists")
    client.post(reverse("stakeholders:outcome_delete", args=[outcome.pk]))
    assert not Outcome.objects.exists()


# --- stakes -------------------------------------------------------------------------------------


def stake_data(**overrides):
    return {"interest": "0.7", "influence": "0.4", "position": Position.SUPPORTS, **overrides}


def test_officer_adds_a_stake_from_the_stakeholder_page(client, officer):
    stakeholder, outcome = StakeholderFactory(), OutcomeFactory()
    login_verified(client, officer)
    detail = reverse("stakeholders:stakeholder_detail", args=[stakeholder.pk])
    response = client.post(
        reverse("stakeholders:stakeholder_stake_add", args=[stakeholder.pk]),
        stake_data(outcome=outcome.pk, next=detail + "#stakes"),
    )
    assert response["Location"] == detail + "#stakes"
    stake = Stake.objects.get()
    assert (stake.stakeholder, stake.outcome, stake.interest, stake.influence) == (
        stakeholder,
        outcome,
        0.7,
        0.4,
    )


def test_officer_adds_a_stake_from_the_outcome_page(client, officer):
    stakeholder, outcome = StakeholderFactory(), OutcomeFactory()
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:outcome_stake_add", args=[outcome.pk]),
        stake_data(stakeholder=stakeholder.pk),
    )
    assert response["Location"] == reverse("stakeholders:outcome_detail", args=[outcome.pk])
    assert Stake.objects.get().stakeholder == stakeholder


def test_an_unsafe_next_address_is_ignored(client, officer):
    stakeholder, outcome = StakeholderFactory(), OutcomeFactory()
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_stake_add", args=[stakeholder.pk]),
        stake_data(outcome=outcome.pk, next="https://evil.example.com/"),
    )
    assert response["Location"] == stakeholder.get_absolute_url()


@pytest.mark.parametrize(
    ("overrides", "field", "fragments"),
    [
        ({"interest": "1.4"}, "interest", ["between 0 and 1", "1.4"]),
        ({"influence": "-1"}, "influence", ["between 0 and 1", "-1"]),
        ({"interest": "lots"}, "interest", ["between 0 and 1"]),
        ({"influence": ""}, "influence", ["required"]),
        ({"position": "maybe"}, "position", ["not one of the available choices"]),
    ],
)
def test_bad_stake_input_names_the_field_and_changes_nothing(
    client, officer, overrides, field, fragments
):
    stakeholder, outcome = StakeholderFactory(), OutcomeFactory()
    before = snapshot()
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_stake_add", args=[stakeholder.pk]),
        stake_data(outcome=outcome.pk, **overrides),
    )
    assert_field_error(response, field, *fragments)
    assert snapshot() == before


def test_a_duplicate_stake_is_an_error_on_the_chosen_field(client, officer):
    existing = StakeFactory()
    before = snapshot()
    login_verified(client, officer)
    from_stakeholder = client.post(
        reverse("stakeholders:stakeholder_stake_add", args=[existing.stakeholder.pk]),
        stake_data(outcome=existing.outcome.pk),
    )
    assert_field_error(from_stakeholder, "outcome", "already has a stake in this outcome")
    from_outcome = client.post(
        reverse("stakeholders:outcome_stake_add", args=[existing.outcome.pk]),
        stake_data(stakeholder=existing.stakeholder.pk),
    )
    assert_field_error(from_outcome, "stakeholder", "already has a stake in this outcome")
    assert snapshot() == before


def test_an_uncleared_officer_cannot_pick_a_hidden_stakeholder_for_a_stake(client, officer):
    hidden = StakeholderFactory(name="Hidden", sensitivity=Sensitivity.CONFIDENTIAL)
    outcome = OutcomeFactory()
    login_verified(client, officer)
    url = reverse("stakeholders:outcome_stake_add", args=[outcome.pk])
    hidden_response = client.post(url, stake_data(stakeholder=hidden.pk))
    assert_field_error(hidden_response, "stakeholder", "not one of the available choices")
    missing_response = client.post(url, stake_data(stakeholder=999999))
    assert hidden_response.context["form"].errors == missing_response.context["form"].errors
    assert not Stake.objects.exists()


def test_officer_edits_and_deletes_a_stake(client, officer):
    stake = StakeFactory(interest=0.2)
    login_verified(client, officer)
    outcome_page = reverse("stakeholders:outcome_detail", args=[stake.outcome.pk])
    response = client.post(
        reverse("stakeholders:stake_update", args=[stake.pk]),
        stake_data(interest="0.95", position=Position.OPPOSES, next=outcome_page),
    )
    assert response["Location"] == outcome_page
    stake.refresh_from_db()
    assert (stake.interest, stake.position) == (0.95, Position.OPPOSES)
    bad = client.post(
        reverse("stakeholders:stake_update", args=[stake.pk]), stake_data(interest="2")
    )
    assert_field_error(bad, "interest", "between 0 and 1")
    stake.refresh_from_db()
    assert stake.interest == 0.95
    client.post(reverse("stakeholders:stake_delete", args=[stake.pk]))
    assert not Stake.objects.exists()


# --- ties ---------------------------------------------------------------------------------------


def tie_data(source_end, target_end, **overrides):
    return {
        "from_stakeholder": source_end.pk,
        "to_stakeholder": target_end.pk,
        "kind": "funds",
        "strength": "0.6",
        "start_date": "2021-01-01",
        "end_date": "2023-06-30",
        "source": "Annual report 2022",
        "notes": "",
        **overrides,
    }


def test_officer_adds_a_tie_in_either_direction(client, officer):
    donor, grantee = StakeholderFactory(name="Donor"), StakeholderFactory(name="Grantee")
    login_verified(client, officer)
    url = reverse("stakeholders:stakeholder_tie_add", args=[grantee.pk])
    assert client.get(url).context["form"].initial["from_stakeholder"] == grantee.pk
    response = client.post(url, tie_data(donor, grantee))
    assert response["Location"] == grantee.get_absolute_url() + "#ties"
    tie = Tie.objects.get()
    assert (tie.from_stakeholder, tie.to_stakeholder, tie.strength) == (donor, grantee, 0.6)


@pytest.mark.parametrize(
    ("overrides", "field", "fragments"),
    [
        ({"to_stakeholder": "SELF"}, "to_stakeholder", ["two different stakeholders"]),
        ({"end_date": "2020-01-01"}, "end_date", ["cannot be before the start date"]),
        ({"strength": "1.5"}, "strength", ["between 0 and 1", "1.5"]),
        ({"start_date": "31/31/2020"}, "start_date", ["valid date"]),
        ({"to_stakeholder": "STRANGER"}, "to_stakeholder", ["One end of the tie must be"]),
    ],
)
def test_bad_tie_input_names_the_field_and_changes_nothing(
    client, officer, overrides, field, fragments
):
    anchor, other = StakeholderFactory(name="Anchor"), StakeholderFactory(name="Other")
    stranger = StakeholderFactory(name="Stranger")
    replacements = {"SELF": anchor.pk, "STRANGER": stranger.pk}
    overrides = {key: replacements.get(value, value) for key, value in overrides.items()}
    if overrides.get("to_stakeholder") == stranger.pk:
        overrides["from_stakeholder"] = other.pk
    before = snapshot()
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:stakeholder_tie_add", args=[anchor.pk]),
        tie_data(anchor, other, **overrides),
    )
    assert_field_error(response, field, *fragments)
    assert snapshot() == before


def test_a_duplicate_tie_is_an_error_on_its_kind(client, officer):
    existing = TieFactory(kind="partners_with")
    before = snapshot()
    login_verified(client, officer)
    url = reverse("stakeholders:stakeholder_tie_add", args=[existing.from_stakeholder.pk])
    same = client.post(
        url, tie_data(existing.from_stakeholder, existing.to_stakeholder, kind="partners_with")
    )
    assert_field_error(same, "kind", "already have a tie of this kind")
    # "Partners with" reads both ways: the reverse tie is the same tie.
    reverse_tie = client.post(
        url, tie_data(existing.to_stakeholder, existing.from_stakeholder, kind="partners_with")
    )
    assert_field_error(reverse_tie, "kind", "reverse tie already exists")
    assert snapshot() == before


def test_an_uncleared_officer_cannot_tie_to_a_hidden_stakeholder(client, officer):
    anchor = StakeholderFactory(name="Anchor")
    hidden = StakeholderFactory(name="Hidden", sensitivity=Sensitivity.RESTRICTED)
    login_verified(client, officer)
    url = reverse("stakeholders:stakeholder_tie_add", args=[anchor.pk])
    form = client.get(url).context["form"]
    assert hidden.pk not in {s.pk for s in form.fields["to_stakeholder"].queryset}
    response = client.post(url, tie_data(anchor, hidden))
    assert_field_error(response, "to_stakeholder", "not one of the available choices")
    assert not Tie.objects.exists()


def test_officer_edits_and_deletes_a_tie(client, officer):
    tie = TieFactory(strength=0.2)
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholders:tie_update", args=[tie.pk]),
        tie_data(tie.from_stakeholder, tie.to_stakeholder, strength="0.9"),
    )
    assert response["Location"] == tie.from_stakeholder.get_absolute_url()
    tie.refresh_from_db()
    assert tie.strength == 0.9
    bad = client.post(
        reverse("stakeholders:tie_update", args=[tie.pk]),
        tie_data(tie.from_stakeholder, tie.to_stakeholder, end_date="2000-01-01"),
    )
    assert_field_error(bad, "end_date", "cannot be before the start date")
    client.post(reverse("stakeholders:tie_delete", args=[tie.pk]))
    assert not Tie.objects.exists()
