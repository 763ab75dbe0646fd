"""Do no harm: for people not cleared, coalitions are exactly what they would be had the hidden
actors — and their stakes and ties — never existed. Never containing a hidden actor is not
enough: a hidden actor must not *shape* them either (push a public actor out, reorder them,
change their value, their key or the time they were computed)."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from partnerships import workflow
from partnerships.models import Coalition, CoalitionComputation
from stakeholders.choices import Sensitivity
from stakeholders.models import Stakeholder
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.partnerships.coalition_fixtures import compute, hidden_actor_add, wider_registry_create

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def seen_by(user, outcome) -> dict:
    """Everything a person reads about coalitions: API list and details, the list pages, each
    coalition's page and the outcome's page."""
    api = APIClient()
    login_verified(api, user)
    listed = api.get(reverse("partnerships-api:coalition-list"), {"outcome": outcome.pk}).json()
    keys = [row["id"] for row in listed["results"]]
    seen = {
        "api list": listed,
        "api all": api.get(reverse("partnerships-api:coalition-list")).json(),
        **{
            f"api {key}": api.get(reverse("partnerships-api:coalition-detail", args=[key])).json()
            for key in keys
        },
    }
    from django.test import Client

    client = Client()
    login_verified(client, user)
    pages = {
        "list": client.get(reverse("partnerships:coalition_list"), {"outcome": outcome.pk}),
        "list all": client.get(reverse("partnerships:coalition_list")),
        "outcome": client.get(outcome.get_absolute_url()),
        **{key: client.get(reverse("partnerships:coalition_detail", args=[key])) for key in keys},
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        seen[name] = CSRF.sub("", response.content.decode())
    # The outcome page says how long ago the outcome was updated, which moves with the clock:
    # its coalitions section is what is compared.
    outcome_page = seen["outcome"]
    start = outcome_page.index('<section class="card section np-include" id="coalitions"')
    seen["outcome"] = outcome_page[start : outcome_page.index("</section>", start)]
    return seen


@pytest.mark.parametrize("sensitivity", [Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL])
def test_the_uncleared_see_exactly_the_coalitions_of_a_registry_without_the_hidden_actor(
    analyst, cleared_analyst, sensitivity
):
    registry = wider_registry_create()
    hidden = hidden_actor_add(registry, sensitivity=sensitivity)
    compute(registry)
    # The hidden actor does shape the coalitions of those cleared for it: it is in the best one.
    best = Coalition.objects.get(audience="cleared", rank=1)
    assert best.members.filter(stakeholder=hidden).exists()
    with_hidden = seen_by(analyst, registry.outcome)
    assert with_hidden["api list"]["count"] == 3
    assert hidden.name not in str(with_hidden)

    hidden_id = hidden.pk
    hidden.delete()  # and its stakes and ties with it
    compute(registry)
    assert not Stakeholder.objects.filter(pk=hidden_id).exists()
    without_hidden = seen_by(analyst, registry.outcome)
    for name, seen in with_hidden.items():
        assert without_hidden[name] == seen, name
    # The cleared ones did change.
    assert not Coalition.objects.filter(audience="cleared", members__stakeholder_id=hidden_id)


def test_adding_a_hidden_actor_changes_nothing_the_uncleared_see(analyst):
    registry = wider_registry_create()
    compute(registry)
    before = seen_by(analyst, registry.outcome)
    computed_at = CoalitionComputation.objects.get(audience="public").computed_at
    hidden_actor_add(registry)
    results = compute(registry)
    assert [(r.audience, r.status) for r in results] == [
        ("public", "unchanged"),
        ("cleared", "written"),
    ]
    assert CoalitionComputation.objects.get(audience="public").computed_at == computed_at
    assert seen_by(analyst, registry.outcome) == before


def test_the_public_coalitions_are_those_of_the_public_registry_alone():
    """Computed from the public pool, the public coalitions equal the cleared ones of a registry
    whose hidden actor was never recorded."""
    registry = wider_registry_create()
    compute(registry)
    alone = [
        (sorted(c.members.values_list("stakeholder_id", flat=True)), round(c.value, 12))
        for c in Coalition.objects.filter(audience="cleared").order_by("rank")
    ]
    hidden_actor_add(registry)
    compute(registry)
    public = [
        (sorted(c.members.values_list("stakeholder_id", flat=True)), round(c.value, 12))
        for c in Coalition.objects.filter(audience="public").order_by("rank")
    ]
    assert public == alone


def test_an_actor_hidden_after_the_computation_leaves_at_once(analyst, coalition_registry):
    r = coalition_registry
    compute(r)
    client = APIClient()
    login_verified(client, analyst)
    url = reverse("partnerships-api:coalition-list")
    assert client.get(url).json()["count"] == 1
    Stakeholder.objects.filter(pk=r.firm.pk).update(sensitivity=Sensitivity.RESTRICTED)
    # Before any recompute: the coalition with it is no longer there for the uncleared …
    assert client.get(url).json()["count"] == 0
    # … and once recomputed, the public coalitions are those of the registry without it.
    compute(r)
    body = client.get(url).json()
    assert all(r.firm.pk not in [m["id"] for m in row["members"]] for row in body["results"])


def test_a_draft_from_a_coalition_with_a_hidden_member_never_names_it(reviewer):
    registry = wider_registry_create()
    hidden = hidden_actor_add(registry)
    compute(registry)
    proposer = UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)
    coalition = Coalition.objects.get(audience="cleared", rank=1)
    from partnerships.coalitions import proposing

    partnership = proposing.coalition_propose(coalition=coalition, proposer=proposer)
    # Every member is in it, for those cleared …
    members = set(partnership.members.values_list("stakeholder_id", flat=True))
    assert members == set(coalition.members.values_list("stakeholder_id", flat=True))
    assert hidden.pk in members
    # … but nothing written for everyone else to read is shaped by the hidden member: not its
    # name, nor what only it brings (legal), nor its ties, nor how many members there are.
    public_text = " ".join(
        [partnership.title, partnership.rationale]
        + list(
            partnership.members.exclude(stakeholder=hidden).values_list("contribution", flat=True)
        )
    )
    assert hidden.name not in public_text and "Safe-house" not in public_text
    assert "legal" not in public_text.lower()
    assert "five" not in public_text and " 5 " not in public_text
    public_names = [
        m.stakeholder.name
        for m in coalition.members.select_related("stakeholder")
        if m.stakeholder_id != hidden.pk
    ]
    for name in public_names:
        assert name in partnership.rationale
    # Submitted, the reviewer (not cleared) reads it without a trace of the hidden member.
    partnership.do_no_harm = "Locations of partners are never published."
    partnership.save()
    workflow.partnership_submit(partnership=partnership, user=proposer)
    client = APIClient()
    login_verified(client, reviewer)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Safe-house" not in page
    body = client.get(reverse("partnerships-api:partnership-detail", args=[partnership.pk])).json()
    assert "Safe-house" not in str(body)
