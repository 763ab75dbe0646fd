"""The outcome view's data and the gaps of every outcome: what the reader may see, no more."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from graph.selectors import outcome_gaps_list
from stakeholders.choices import Kind, Position, Scope, Sensitivity
from stakeholders.models import Stakeholder
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

from .conftest import signed_in

GAPS_URL = "/api/v1/graph/gaps/"
ALL_GAPS = ["no women's group", "no local actor", "no diaspora actor"]


@pytest.fixture
def covered(registry):
    """An outcome whose only women's group is restricted; local and diaspora actors are public."""
    outcome = OutcomeFactory(title="Protection of displaced women")
    hidden_women = StakeholderFactory(
        name="Hidden Women's Shelter", kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED
    )
    StakeFactory(stakeholder=hidden_women, outcome=outcome, interest=0.9, influence=0.2)
    local = StakeholderFactory(name="Village Council", kind=Kind.GRASSROOTS, scope=Scope.LOCAL)
    for actor in (registry.diaspora, registry.ngo, local):
        StakeFactory(stakeholder=actor, outcome=outcome)
    # The registry's women's group is local: with the diaspora network it covers every voice.
    fully = OutcomeFactory(title="Fully covered")
    for actor in (registry.womens, registry.diaspora):
        StakeFactory(stakeholder=actor, outcome=fully)
    return outcome


def by_title(rows):
    return {row.title: row for row in rows}


def test_the_outcome_filter_gives_each_node_its_stake(registry, analyst):
    stake = registry.state.stakes.get()
    stake.interest, stake.influence, stake.position = 0.8, 0.3, Position.OPPOSES
    stake.save()
    body = signed_in(analyst).get("/api/v1/graph/", {"outcome": registry.outcome.pk}).json()
    state = next(node for node in body["nodes"] if node["id"] == registry.state.pk)
    assert state["stake"] == {"interest": 0.8, "influence": 0.3, "position": "opposes"}
    assert all(node["stake"] is not None for node in body["nodes"])
    plain = signed_in(analyst).get("/api/v1/graph/").json()
    assert all(node["stake"] is None for node in plain["nodes"])


def test_gaps_are_computed_over_what_the_reader_may_see(covered, analyst, cleared_analyst):
    public = by_title(outcome_gaps_list(user=analyst))
    cleared = by_title(outcome_gaps_list(user=cleared_analyst))
    # For someone not cleared the hidden shelter does not count: the gap shows (revealing
    # nothing), and the count of stakeholders leaves it out.
    assert public["Protection of displaced women"].gaps == ["no women's group"]
    assert public["Protection of displaced women"].stakeholders == 3
    # Cleared people see it close the gap, so the outcome is not listed for them.
    assert "Protection of displaced women" not in cleared
    assert "Fully covered" not in public and "Fully covered" not in cleared
    # The registry's outcome: its restricted broker holds a stake, but is counted only when cleared.
    assert public["Reconstruction in Somalia"].stakeholders == 3
    assert cleared["Reconstruction in Somalia"].stakeholders == 4
    assert public["Reconstruction in Somalia"].gaps == ALL_GAPS


def test_what_uncleared_people_see_is_what_they_would_see_without_hidden_actors(covered, analyst):
    with_hidden = outcome_gaps_list(user=analyst)
    Stakeholder.objects.exclude(sensitivity=Sensitivity.PUBLIC).delete()
    assert outcome_gaps_list(user=analyst) == with_hidden


def test_an_outcome_without_visible_stakeholders_lacks_every_voice(db, analyst):
    outcome = OutcomeFactory(title="Nobody yet")
    secret = StakeholderFactory(kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.CONFIDENTIAL)
    StakeFactory(stakeholder=secret, outcome=outcome)
    row = by_title(outcome_gaps_list(user=analyst))["Nobody yet"]
    assert (row.stakeholders, row.gaps) == (0, ALL_GAPS)


def test_most_gaps_come_first(covered, analyst):
    titles = [row.title for row in outcome_gaps_list(user=analyst)]
    assert titles == ["Reconstruction in Somalia", "Protection of displaced women"]


def test_the_gaps_api_lists_them_and_refuses_partner_tokens(covered, analyst):
    body = signed_in(analyst).get(GAPS_URL).json()
    row = next(row for row in body if row["title"] == "Protection of displaced women")
    assert row == {
        "id": covered.pk, "title": "Protection of displaced women", "theme": covered.theme,
        "stakeholders": 3, "gaps": ["no women's group"],
    }  # fmt: skip
    assert "Hidden" not in str(body)
    assert reverse("graph-api:gaps") == GAPS_URL


def _grow_outcomes(n: int):
    for _ in range(n):
        outcome = OutcomeFactory()
        StakeFactory(stakeholder=StakeholderFactory(kind=Kind.NGO), outcome=outcome)
        StakeFactory(
            stakeholder=StakeholderFactory(kind=Kind.DIASPORA, sensitivity=Sensitivity.RESTRICTED),
            outcome=outcome,
        )


# Session, user, the user's two permission lookups; then outcomes and stakes: 6 for 3 outcomes
# and for 43.
def test_the_gaps_api_costs_the_same_queries_for_few_and_many(
    covered, analyst, django_assert_num_queries
):
    client = signed_in(analyst)
    with django_assert_num_queries(6):
        few = client.get(GAPS_URL).json()
    _grow_outcomes(40)
    with django_assert_num_queries(6):
        many = client.get(GAPS_URL).json()
    assert len(many) == len(few) + 40


def test_the_gaps_page_lists_outcomes_with_links_to_their_outcome_view(
    client, covered, analyst, django_assert_num_queries
):
    client.force_login(analyst)
    url = reverse("graph:gaps")
    response = client.get(url)
    html = response.content.decode()
    assert "2 of 3 outcomes with at least one gap" in html
    assert f"/graph/?outcome={covered.pk}&amp;layout=outcome" in html
    assert "Hidden Women" not in html and "Fully covered" not in html
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    expected = len(context.captured_queries)
    _grow_outcomes(20)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_outcome_and_stakeholder_pages_link_to_their_graph_views(client, registry, analyst):
    client.force_login(analyst)
    outcome_page = client.get(reverse("stakeholders:outcome_detail", args=[registry.outcome.pk]))
    assert (
        f'href="/graph/?outcome={registry.outcome.pk}&amp;layout=outcome"'
        in outcome_page.content.decode()
    )
    actor_page = client.get(reverse("stakeholders:stakeholder_detail", args=[registry.ngo.pk]))
    assert f'href="/graph/?ego={registry.ngo.pk}&amp;hops=1"' in actor_page.content.decode()


def test_the_explorer_offers_the_outcome_view_and_the_gaps(client, analyst, registry):
    client.force_login(analyst)
    html = client.get(reverse("graph:explorer")).content.decode()
    assert 'id="outcome-view-run"' in html
    # The quadrants the outcome view draws are the outcome page's own (power_interest.py).
    assert '"key": "manage_closely", "label": "Manage closely"' in html
    assert f'href="{reverse("graph:gaps")}"' in html
