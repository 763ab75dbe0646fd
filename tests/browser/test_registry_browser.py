"""The registry as its users see it: a filtered list, a stakeholder, an outcome's power–interest
grid, and an import's dry run with errors. Each test signs in, acts in the page, asserts what is on
screen, and leaves a screenshot in artifacts/screenshots/ for a person to look at."""

import re

import pytest

from stakeholders.choices import Capability, Kind, Position, Sensitivity
from stakeholders.models import ImportJob, Stakeholder
from tests.browser.conftest import screenshot
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registry(db):
    """A small, realistic registry around one outcome, with one restricted actor in it."""
    women_rights = SectorFactory(code="15170", name="Women's rights organisations")
    peace = SectorFactory(code="15220", name="Civilian peace-building")
    outcome = OutcomeFactory(
        title="Protection of displaced Rohingya women",
        theme="displacement",
        countries=["BD", "MM"],
        needed_capabilities=Capability.FIELD_PRESENCE | Capability.COMMUNITY_TRUST,
    )
    actors = {
        "network": StakeholderFactory(
            name="Cox's Bazar Women's Network",
            acronym="CBWN",
            kind=Kind.WOMENS_GROUP,
            country="BD",
            women_led=True,
            women_leadership_share=0.9,
            capabilities=Capability.COMMUNITY_TRUST | Capability.FIELD_PRESENCE,
        ),
        "forum": StakeholderFactory(
            name="Rohingya Women's Forum", kind=Kind.WOMENS_GROUP, country="MM", women_led=True
        ),
        "unhcr": StakeholderFactory(name="UNHCR", kind=Kind.IGO, capabilities=Capability.FUNDING),
        "ministry": StakeholderFactory(
            name="Ministry of Disaster Management", kind=Kind.STATE, country="BD"
        ),
        "telecom": StakeholderFactory(
            name="Grameenphone", kind=Kind.FIRM, country="BD", capabilities=Capability.TECHNOLOGY
        ),
        "broadcaster": StakeholderFactory(name="Radio Naf", kind=Kind.MEDIA, country="BD"),
        "shelter": StakeholderFactory(
            name="Safe House Collective",
            kind=Kind.WOMENS_GROUP,
            country="BD",
            sensitivity=Sensitivity.RESTRICTED,
        ),
    }
    actors["network"].sectors.set([women_rights, peace])
    # One actor per quadrant, and a second in "manage closely"; the restricted one too.
    for key, interest, influence, position in (
        ("unhcr", 0.9, 0.9, Position.SUPPORTS),
        ("network", 0.95, 0.35, Position.SUPPORTS),
        ("ministry", 0.3, 0.85, Position.NEUTRAL),
        ("telecom", 0.2, 0.25, Position.OPPOSES),
        ("forum", 0.7, 0.6, Position.SUPPORTS),
        ("shelter", 0.9, 0.2, Position.SUPPORTS),
    ):
        StakeFactory(
            stakeholder=actors[key],
            outcome=outcome,
            interest=interest,
            influence=influence,
            position=position,
        )
    StakeFactory(stakeholder=actors["network"], outcome=OutcomeFactory(title="Cholera in Yemen"))
    TieFactory(from_stakeholder=actors["unhcr"], to_stakeholder=actors["network"], kind="funds")
    TieFactory(
        from_stakeholder=actors["network"], to_stakeholder=actors["forum"], kind="partners_with"
    )
    TieFactory(from_stakeholder=actors["shelter"], to_stakeholder=actors["network"])
    return {"outcome": outcome, **actors}


def table_rows(page, selector: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.locator(f"{selector} tbody tr").all()
    ]


def test_an_analyst_filters_the_stakeholder_list(page, login, live_server, analyst, registry):
    login("analyst")
    page.goto(f"{live_server.url}/stakeholders/")
    assert page.locator(".result-count").inner_text().startswith("6 stakeholders")
    filters = page.locator(".filter-form")
    filters.get_by_label("Women's group", exact=True).check()
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"kind=womens_group"))

    names = [row[0] for row in table_rows(page, ".registry-table")]
    assert names == ["Cox's Bazar Women's Network", "Rohingya Women's Forum"]
    assert page.locator(".result-count").inner_text().startswith("2 stakeholders match")
    assert page.locator(".filters summary .badge").inner_text() == "1 on"
    assert "Safe House Collective" not in page.content()
    screenshot(page, "registry-stakeholder-list-filtered")


def test_an_analyst_reads_a_stakeholder(page, login, live_server, analyst, registry):
    network = registry["network"]
    login("analyst")
    page.goto(f"{live_server.url}/stakeholders/")
    page.get_by_role("link", name="Cox's Bazar Women's Network").click()
    page.wait_for_url(f"{live_server.url}/stakeholders/{network.pk}/")

    assert page.locator("h1").inner_text().startswith("Cox's Bazar Women's Network")
    body = page.inner_text("body")
    assert "Women's group" in body and "Bangladesh" in body
    assert "Civilian peace-building" in body
    assert "Protection of displaced Rohingya women" in body and "Cholera in Yemen" in body
    assert "UNHCR funds this" in body
    assert "Rohingya Women's Forum" in body
    assert "Safe House Collective" not in page.content()
    screenshot(page, "registry-stakeholder-detail")


def test_an_analyst_reads_an_outcomes_power_interest_grid(
    page, login, live_server, analyst, registry
):
    outcome = registry["outcome"]
    login("analyst")
    page.goto(f"{live_server.url}/outcomes/")
    page.get_by_role("link", name=outcome.title).click()
    page.wait_for_url(f"{live_server.url}/outcomes/{outcome.pk}/")

    grid = page.locator("svg.pi-svg")
    assert grid.locator("circle.pt").count() == 5  # not the restricted actor's
    assert sorted(grid.locator(".q-label").all_text_contents()) == [
        "Keep informed",
        "Keep satisfied",
        "Manage closely",
        "Monitor",
    ]
    quadrants = {
        card.locator("h2").inner_text().rsplit(" ", 1)[0]: card.locator("li a").all_inner_texts()
        for card in page.locator(".quadrant-card").all()
    }
    assert quadrants == {
        "Manage closely": ["UNHCR", "Rohingya Women's Forum"],
        "Keep satisfied": ["Ministry of Disaster Management"],
        "Keep informed": ["Cox's Bazar Women's Network"],
        "Monitor": ["Grameenphone"],
    }
    # With this few dots, each is named on the grid itself; hovering names it with its kind.
    assert grid.locator(".pt-label").filter(has_text="Cox's Bazar Women's Network").is_visible()
    dot = grid.locator("a[aria-label^='Grameenphone'] circle")
    assert "Grameenphone — Firm" in dot.locator("title").text_content()
    assert "Safe House Collective" not in page.content()
    screenshot(page, "registry-outcome-power-interest-grid")


BAD_CSV = (
    "name,kind,country,women_leadership_share\n"
    "Sylhet Women's Forum,womens_group,BD,0.8\n"
    "Atlantis Relief,ngo,ZZ,\n"
    "Teknaf Youth Network,grassroots,BD,1.4\n"
)


def test_an_officer_sees_a_dry_run_with_errors(
    page, login, live_server, officer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = tmp_path / "new-actors.csv"
    upload.write_text(BAD_CSV, encoding="utf-8")
    login("officer")
    page.goto(f"{live_server.url}/registry/imports/")
    page.get_by_label("What the file holds").select_option("stakeholders")
    page.set_input_files("input[type=file]", str(upload))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/registry/imports/\d+/$"))
    page.locator(".errors-table").wait_for()

    assert page.locator("h1").inner_text() == "new-actors.csv"
    assert page.locator("#job-status-label").inner_text() == "Has errors"
    errors = table_rows(page, ".errors-table")
    assert [row[:3] for row in errors] == [
        ["3", "country", "ZZ"],
        ["4", "women_leadership_share", "1.4"],
    ]
    assert "less than or equal to 1" in errors[1][3]
    assert page.locator(".stat-create .bignum").inner_text() == "1"
    assert page.get_by_role("button", name=re.compile("^Import")).count() == 0
    assert not Stakeholder.objects.filter(name="Sylhet Women's Forum").exists()
    assert ImportJob.objects.get().status == ImportJob.Status.INVALID
    screenshot(page, "registry-import-dry-run-errors")
