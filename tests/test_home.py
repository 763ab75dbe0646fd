import pytest
from django.urls import reverse

from stakeholders.choices import Kind, Sensitivity
from tests.conftest import login_verified
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_shows_counts_outcomes_and_changes(client, analyst):
    actor = StakeholderFactory(name="Yemen Women's Union", kind=Kind.WOMENS_GROUP, country="YE")
    StakeFactory(stakeholder=actor, outcome=OutcomeFactory(title="Reconstruction of Aden port"))
    login_verified(client, analyst)
    page = client.get(reverse("home")).content.decode()
    assert "Women&#x27;s group" in page
    assert "Reconstruction of Aden port" in page
    assert "Yemen Women&#x27;s Union" in page
    assert "public registry only" in page


def test_home_never_names_or_counts_hidden_actors(client, analyst, cleared_analyst):
    hidden = StakeholderFactory(
        name="Safe House Network", kind=Kind.GRASSROOTS, sensitivity=Sensitivity.CONFIDENTIAL
    )
    StakeFactory(stakeholder=hidden, outcome=OutcomeFactory(title="Safe passage"))
    login_verified(client, analyst)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert "Safe House Network" not in page
    assert "hidden actor" not in page.lower()
    assert "1 restricted" not in page.lower()
    # The outcome itself is public, but a stake count that includes the hidden actor is not.
    assert [o.title for o in response.context["top_outcomes"]] == []
    login_verified(client, cleared_analyst)
    page = client.get(reverse("home")).content.decode()
    assert "Safe House Network" in page
    assert "cleared for restricted actors" in page


def _make_registry(n: int) -> None:
    outcomes = OutcomeFactory.create_batch(3)
    for i in range(n):
        actor = StakeholderFactory(
            kind=list(Kind.values)[i % len(Kind.values)], country_of_origin=""
        )
        if actor.kind == Kind.DIASPORA:
            actor.country_of_origin = "SO"
            actor.save()
        StakeFactory(stakeholder=actor, outcome=outcomes[i % 3])


@pytest.mark.parametrize("rows", [5, 50])
def test_home_query_count_does_not_grow(client, analyst, django_assert_num_queries, rows):
    _make_registry(rows)
    login_verified(client, analyst)
    # session, user, groups(roles), 2 x permissions (clearance check), counts by kind,
    # top outcomes, 4 history queries
    with django_assert_num_queries(11):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_navigation_lists_the_products_sections(client, analyst):
    login_verified(client, analyst)
    page = client.get(reverse("home")).content.decode()
    for label in ("Graph", "Stakeholders", "Outcomes", "Candidates", "Partnerships",
                  "Engagements", "Index", "API"):  # fmt: skip
        assert f">{label}<" in page
