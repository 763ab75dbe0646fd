"""Bulk edit on the stakeholder list: one change to every ticked stakeholder through the services,
all or none, each refusal named; what the reader may not see is refused like what is missing."""

import pytest
from django.urls import reverse

from stakeholders.choices import Kind, Scope, Sensitivity
from stakeholders.models import Stakeholder
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


BULK = reverse("stakeholders:stakeholder_bulk")
LIST = reverse("stakeholders:stakeholder_list")


def post(client, ids, action, **values):
    data = {"bulk-stakeholders": [s.pk for s in ids], "bulk-action": action, "next": LIST}
    data.update({f"bulk-{k}": v for k, v in values.items()})
    return client.post(BULK, data, follow=True)


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_officer_sets_the_kind_of_the_ticked_stakeholders(client, officer):
    a, b = StakeholderFactory(name="Alpha", kind=Kind.NGO), StakeholderFactory(name="Beta")
    untouched = StakeholderFactory(name="Gamma", kind=Kind.NGO)
    login_verified(client, officer)
    response = post(client, [a, b], "kind", kind=Kind.FOUNDATION)
    assert said(response) == ["Set the kind of 2 stakeholders to Foundation."]
    assert set(Stakeholder.objects.filter(kind=Kind.FOUNDATION)) == {a, b}
    assert Stakeholder.objects.get(pk=untouched.pk).kind == Kind.NGO
    assert a.history.count() == 2  # created, then the bulk change: history kept
    response = post(client, [a, untouched], "scope", scope=Scope.LOCAL)
    assert Stakeholder.objects.get(pk=a.pk).scope == Scope.LOCAL


def test_the_list_offers_the_tools_to_officers_only(client, officer, analyst):
    StakeholderFactory(name="Alpha")
    login_verified(client, officer)
    page = client.get(LIST).content.decode()
    assert 'id="bulk-form"' in page and 'aria-label="Tick Alpha"' in page
    assert 'value="sensitivity"' not in page  # not cleared: no sensitivity to set
    login_verified(client, analyst)
    assert 'id="bulk-form"' not in client.get(LIST).content.decode()
    assert client.post(BULK, {"bulk-action": "kind"}).status_code == 403


def test_a_hidden_stakeholder_is_refused_like_a_missing_one(client, officer):
    visible = StakeholderFactory(name="Alpha", kind=Kind.NGO)
    hidden = StakeholderFactory(kind=Kind.NGO, sensitivity=Sensitivity.RESTRICTED)
    login_verified(client, officer)
    response = post(client, [visible, hidden], "kind", kind=Kind.FIRM)
    missing = post(client, [visible], "kind", kind=Kind.FIRM)  # for comparison below
    assert Stakeholder.objects.get(pk=hidden.pk).kind == Kind.NGO
    assert said(response) == [
        "Stakeholders: One of the ticked stakeholders does not exist (any more)."
    ]
    assert said(missing) == ["Set the kind of 1 stakeholder to Firm."]


def test_one_refusal_changes_nothing_and_is_named(client, cleared_officer):
    parent = StakeholderFactory(name="Parent Trust")
    StakeholderFactory(name="Public Child", parent=parent)
    other = StakeholderFactory(name="Other Group")
    login_verified(client, cleared_officer)
    response = post(client, [parent, other], "sensitivity", sensitivity=Sensitivity.RESTRICTED)
    (message,) = said(response)
    assert message.startswith("Nothing was changed. Parent Trust: 1 public stakeholder sits")
    assert not Stakeholder.objects.exclude(sensitivity=Sensitivity.PUBLIC).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bulk-action": "kind"}, "Stakeholders: Tick at least one stakeholder in the list."),
        ({"bulk-action": "kind", "tick": True}, "Kind: Choose the value to set."),
        ({"bulk-action": "rename", "tick": True}, "Action: Select a valid choice."),
        (
            {"bulk-action": "sensitivity", "tick": True, "bulk-sensitivity": "restricted"},
            "Action: Select a valid choice.",
        ),
    ],
)
def test_bad_input_is_said_at_its_field_and_nothing_changes(client, officer, data, message):
    kept = StakeholderFactory(kind=Kind.NGO)
    login_verified(client, officer)
    if data.pop("tick", False):
        data["bulk-stakeholders"] = [kept.pk]
    response = client.post(BULK, {**data, "next": LIST}, follow=True)
    assert any(m.startswith(message) for m in said(response)), said(response)
    assert Stakeholder.objects.get(pk=kept.pk).kind == Kind.NGO
    assert Stakeholder.objects.get(pk=kept.pk).sensitivity == Sensitivity.PUBLIC


def test_an_officer_deletes_the_ticked_stakeholders(client, officer):
    a, b = StakeholderFactory(), StakeholderFactory()
    kept = StakeholderFactory()
    login_verified(client, officer)
    response = post(client, [a, b], "delete")
    assert said(response) == ["Deleted 2 stakeholders."]
    assert list(Stakeholder.objects.all()) == [kept]
