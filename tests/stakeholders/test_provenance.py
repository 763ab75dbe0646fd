"""Machine-made outcomes (left out of default views until promoted) and provenance: origin and
source on every record, filters and facet counts by source, the backfill of existing rows."""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from graph.selectors import outcome_gaps_list
from stakeholders.models import Outcome, Sector, Stake, Tie
from stakeholders.services import outcome_demote, outcome_promote
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


def machine_outcome(title: str, *, sector: Sector | None = None, origin: str = "iati") -> Outcome:
    return OutcomeFactory(title=title, origin=origin, source="IATI import", sector=sector)


@pytest.fixture
def outcomes():
    health = Sector.objects.create(code="12220", name="Basic health care")
    water = Sector.objects.create(code="14030", name="Basic drinking water supply")
    return {
        "curated": OutcomeFactory(title="Zanzibar peace talks"),  # sorts last by title
        "health": machine_outcome("Basic health care in Chad", sector=health),
        "water": machine_outcome("Basic drinking water supply in Chad", sector=water),
        "threew": machine_outcome("Protection in Borno", origin="3w"),
    }


def titles(response) -> list[str]:
    return [outcome.title for outcome in response.context["outcomes"]]


def test_the_default_outcome_list_leaves_machine_made_outcomes_out(client, analyst, outcomes):
    login_verified(client, analyst)
    response = client.get(reverse("stakeholders:outcome_list"))
    assert titles(response) == ["Zanzibar peace talks"]
    assert response.context["machine_made_count"] == 3
    assert "3 machine-made outcomes" in response.content.decode()


def test_machine_made_outcomes_show_on_demand_grouped_by_sector(client, analyst, outcomes):
    login_verified(client, analyst)
    response = client.get(reverse("stakeholders:outcome_list") + "?listing=machine")
    # Ordered by sector name, so each sector's outcomes stay together under its heading.
    shown = titles(response)
    assert set(shown) == {
        "Basic health care in Chad",
        "Basic drinking water supply in Chad",
        "Protection in Borno",
    }
    assert shown.index("Basic drinking water supply in Chad") < shown.index(
        "Basic health care in Chad"
    )
    page = response.content.decode()
    assert 'class="group-row"' in page and "Basic health care" in page
    # All: the curated outcomes come first even though their titles sort last.
    response = client.get(reverse("stakeholders:outcome_list") + "?listing=all")
    assert titles(response)[0] == "Zanzibar peace talks"


def test_an_officer_promotes_a_machine_made_outcome_into_the_default_lists(
    client, officer, analyst, outcomes
):
    login_verified(client, analyst)
    url = reverse("stakeholders:outcome_promote", args=[outcomes["health"].pk])
    assert client.post(url).status_code == 403
    login_verified(client, officer)
    response = client.post(url)
    assert response.status_code == 302
    outcomes["health"].refresh_from_db()
    assert outcomes["health"].promoted_at is not None
    assert outcomes["health"].promoted_by == officer
    assert outcomes["health"].origin == "iati"  # provenance kept
    listed = titles(client.get(reverse("stakeholders:outcome_list")))
    assert listed == ["Basic health care in Chad", "Zanzibar peace talks"]
    client.post(url, {"undo": "1"})
    assert titles(client.get(reverse("stakeholders:outcome_list"))) == ["Zanzibar peace talks"]


def test_promoting_a_curated_or_promoted_outcome_is_refused_naming_it(outcomes, officer):
    with pytest.raises(Exception) as error:
        outcome_promote(outcome=outcomes["curated"], user=officer)
    assert error.value.message_dict == {
        "outcome": ["“Zanzibar peace talks” was not made by an import."]
    }
    outcome_promote(outcome=outcomes["water"], user=officer)
    with pytest.raises(Exception) as error:
        outcome_promote(outcome=outcomes["water"], user=officer)
    assert "already promoted" in str(error.value)
    outcome_demote(outcome=outcomes["water"])
    assert Outcome.objects.get(pk=outcomes["water"].pk).promoted_at is None


def test_the_gaps_page_and_the_api_leave_machine_made_outcomes_out(client, analyst, outcomes):
    assert [row.title for row in outcome_gaps_list(user=analyst)] == ["Zanzibar peace talks"]
    login_verified(client, analyst)
    api = reverse("stakeholders-api:outcome-list")
    assert [row["title"] for row in client.get(api).json()["results"]] == ["Zanzibar peace talks"]
    machine = client.get(api + "?listing=machine").json()["results"]
    assert {row["origin"] for row in machine} == {"iati", "3w"}
    # One asked for by id is found whatever the list shows.
    detail = reverse("stakeholders-api:outcome-detail", args=[outcomes["threew"].pk])
    assert client.get(detail).json()["origin"] == "3w"


def test_source_facet_counts_only_what_the_reader_may_see(client, analyst, cleared_analyst):
    StakeholderFactory(name="Public IATI actor", origin="iati")
    StakeholderFactory(name="Hidden IATI actor", origin="iati", sensitivity="restricted")
    StakeholderFactory(name="Curated actor")
    url = reverse("stakeholders:stakeholder_list")

    def facet(user) -> dict:
        login_verified(client, user)
        form = client.get(url).context["filterset"].form
        return dict(form.fields["origin"].choices)

    assert facet(analyst)["iati"] == "IATI import (1)"
    assert facet(cleared_analyst)["iati"] == "IATI import (2)"
    login_verified(client, analyst)
    names = [row.name for row in client.get(url + "?origin=iati").context["stakeholders"]]
    assert names == ["Public IATI actor"]


def test_stakeholder_page_shows_provenance_and_the_recorded_name(client, analyst):
    actor = StakeholderFactory(
        name="Government of Malaysia",
        recorded_name="GOVERNMENT OF MALAYSIA",
        origin="iati",
        source="IATI activity MY-1-A of publisher XM-DAC-1",
    )
    login_verified(client, analyst)
    page = client.get(actor.get_absolute_url()).content.decode()
    assert "GOVERNMENT OF MALAYSIA" in page
    assert "IATI import · IATI activity MY-1-A of publisher XM-DAC-1 · added" in page


@pytest.mark.parametrize("rows", [1, 12])
def test_machine_made_list_query_count_does_not_grow(
    client, analyst, django_assert_num_queries, rows
):
    sector = Sector.objects.create(code="12220", name="Basic health care")
    for index in range(rows):
        machine_outcome(f"Health {index}", sector=sector)
    login_verified(client, analyst)
    url = reverse("stakeholders:outcome_list") + "?listing=machine"
    client.get(url)  # warm per-user lookups
    # session, user, permissions ×2, list settings ×2, count, page, the page's tags (the Tags
    # column), origin facet, sector choices, tag choices
    with django_assert_num_queries(12):
        assert client.get(url).status_code == 200


def test_the_backfill_recognises_what_imports_made():
    migration = importlib.import_module(
        "stakeholders.migrations.0008_provenance_and_names_backfill"
    )
    Sector.objects.create(code="15220", name="Civilian peace-building")
    iati = StakeholderFactory(
        name="GOVERNMENT OF MALAYSIA",
        description="Imported from IATI activity data (2 activities; roles: funding).",
    )
    cut = StakeholderFactory(
        name="Smart Youth Effort For Advanced Community, Tanzani",
        description="Imported from IATI activity data (1 activities; roles: implementing).",
    )
    StakeholderFactory(
        name="Smart Youth Effort For Advanced Community, Tanzania",
        description="Imported from IATI activity data (3 activities; roles: implementing).",
    )
    threew = StakeholderFactory(
        name="Women of Borno", description="Imported from 3W data (OCHA Nigeria, row 7)."
    )
    curated = StakeholderFactory(name="UNITED NATIONS POPULATION FUND")
    outcome = OutcomeFactory(
        title="Civilian peace-building in Yemen",
        description="Actors working on OECD DAC sector 15220 (Civilian peace-building) in Yemen, "
        "as IATI activity data shows.",
    )
    stake = StakeFactory(stakeholder=iati, outcome=outcome, source="IATI activity data")
    tie = TieFactory(from_stakeholder=threew, to_stakeholder=iati, source="3W OCHA row 7")
    Stake.objects.filter(pk=stake.pk).update(created_at=None)
    Tie.objects.filter(pk=tie.pk).update(created_at=None)

    migration.forwards(apps, None)

    iati.refresh_from_db()
    assert (iati.name, iati.recorded_name, iati.origin) == (
        "Government of Malaysia",
        "GOVERNMENT OF MALAYSIA",
        "iati",
    )
    assert iati.normalised_name == "government of malaysia"
    cut.refresh_from_db()
    assert cut.name == "Smart Youth Effort For Advanced Community, Tanzania"
    threew.refresh_from_db()
    assert (threew.origin, threew.source) == ("3w", "3W OCHA Nigeria row 7")
    curated.refresh_from_db()
    assert (curated.name, curated.origin) == ("UNITED NATIONS POPULATION FUND", "curated")
    outcome.refresh_from_db()
    assert (outcome.origin, outcome.sector.code) == ("iati", "15220")
    stake.refresh_from_db()
    tie.refresh_from_db()
    assert (stake.origin, tie.origin) == ("iati", "3w")
    assert stake.created_at == stake.updated_at and tie.created_at == tie.updated_at


def test_stakes_and_ties_show_their_provenance_dated_as_the_reader_saw_them(
    client, analyst, cleared_analyst
):
    import datetime

    import time_machine

    from stakeholders.services import stakeholder_update

    day = lambda d: datetime.datetime(2026, 3, d, 12, tzinfo=datetime.UTC)  # noqa: E731
    with time_machine.travel(day(2), tick=False):
        actor = StakeholderFactory(name="Quiet Mediators", sensitivity="restricted")
        partner = StakeholderFactory(name="Open Aid")
        outcome = OutcomeFactory(title="Safe water in Gao")
        StakeFactory(stakeholder=actor, outcome=outcome, origin="3w", source="3W Gao row 4")
        TieFactory(
            from_stakeholder=actor, to_stakeholder=partner, origin="iati", source="IATI import"
        )
    with time_machine.travel(day(20), tick=False):
        stakeholder_update(stakeholder=actor, sensitivity="public")
    login_verified(client, analyst)
    page = client.get(actor.get_absolute_url()).content.decode()
    assert "3W import · 3W Gao row 4" in page and "IATI import · IATI import" in page
    # For the uncleared the stake and the tie began when the actor was made public.
    assert "added <time" in page and "2 Mar 2026" not in page and "20 Mar 2026" in page
    outcome_page = client.get(outcome.get_absolute_url()).content.decode()
    stake_date = re.search(r"3W import: 3W Gao row 4 · added <time[^>]*>([^<]+)<", outcome_page)
    assert stake_date and stake_date.group(1) == "20 Mar 2026"
    login_verified(client, cleared_analyst)
    page = client.get(actor.get_absolute_url()).content.decode()
    assert page.count("2 Mar 2026") >= 2  # the stake's and the tie's own dates
