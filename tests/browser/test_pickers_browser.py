"""Pickers as a program officer uses them: type part of a name, choose from what the server
offers (never a hidden actor), and save; sliders show their value. A list's multi-choice filter
stays open for the next pick; a form's picker closes after each (test_relationships_browser)."""

import re

import pytest

from stakeholders.choices import Kind, Sensitivity
from stakeholders.models import Stake, Tie
from tests.browser.conftest import screenshot
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_officer_picks_an_outcome_and_a_tie_partner_by_typing(page, login, live_server, officer):
    actor = StakeholderFactory(name="Sahel Women's Water Network", kind=Kind.WOMENS_GROUP)
    OutcomeFactory(title="Water security in the Sahel")
    OutcomeFactory(title="Countering online recruitment")
    StakeholderFactory(name="Niger Water Authority", kind=Kind.STATE)
    StakeholderFactory(name="Water Shelter Collective", sensitivity=Sensitivity.RESTRICTED)
    login("officer")

    page.goto(f"{live_server.url}/stakeholders/{actor.pk}/stakes/add/")
    page.click(".ts-control")
    page.keyboard.type("Water sec")
    page.wait_for_selector(".ts-dropdown .option")
    assert len(page.locator(".ts-dropdown .option").all_inner_texts()) == 1
    assert "Water security in the Sahel" in page.locator(".ts-dropdown .option").first.inner_text()
    page.locator(".ts-dropdown .option").first.click()
    assert page.locator("output.range-value").first.inner_text() == "0.5"
    page.locator("#id_interest").fill("0.8")
    assert page.locator("output.range-value").first.inner_text() == "0.8"
    screenshot(page, "picker-stake-form")
    page.locator("main button[type=submit]").last.click()
    page.wait_for_load_state()
    stake = Stake.objects.get(stakeholder=actor)
    assert stake.outcome.title == "Water security in the Sahel" and stake.interest == 0.8

    page.goto(f"{live_server.url}/stakeholders/{actor.pk}/ties/add/")
    page.locator("select[name=kind]").select_option("partners_with")
    page.locator(".ts-control").nth(1).click()
    page.keyboard.type("Water")
    page.wait_for_selector(".ts-dropdown .option")
    offered = " | ".join(page.locator(".ts-dropdown:visible .option").all_inner_texts())
    assert "Niger Water Authority" in offered
    assert "Shelter" not in offered  # a hidden actor is never offered
    page.locator(".ts-dropdown:visible .option", has_text="Niger Water Authority").click()
    screenshot(page, "picker-tie-form")
    page.locator("main button[type=submit]").last.click()
    page.wait_for_load_state()
    assert Tie.objects.filter(from_stakeholder=actor, to_stakeholder__name="Niger Water Authority")


def test_a_list_filter_picker_stays_open_for_the_next_pick(page, login, live_server, officer):
    StakeholderFactory(name="Niamey Water Users", country="NE")
    StakeholderFactory(name="Bamako Women's Forum", country="ML")
    StakeholderFactory(name="Dakar Youth Network", country="SN")
    login("officer")

    page.goto(f"{live_server.url}/stakeholders/")
    assert page.locator("select[name=country][data-picker-keep-open]").count() == 1
    page.locator("select[name=country] + .ts-wrapper .ts-control").click()
    page.keyboard.type("Niger")
    page.locator(".ts-dropdown:visible .option", has_text=re.compile("^Niger$")).click()
    # Still open, the typing cleared: the next country is picked without reopening the list.
    assert page.locator(".ts-dropdown:visible").count() == 1
    assert page.locator("select[name=country] + .ts-wrapper input").input_value() == ""
    page.keyboard.type("Mal")
    page.locator(".ts-dropdown:visible .option", has_text=re.compile("^Mali$")).click()
    assert page.locator(".ts-dropdown:visible").count() == 1
    chosen = page.locator("select[name=country] option:checked").all_inner_texts()
    assert sorted(chosen) == ["Mali", "Niger"]
    screenshot(page, "picker-list-filter-kept-open")
    page.locator(".filter-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "country=NE" in page.url and "country=ML" in page.url
    names = page.locator("main").inner_text()
    assert "Niamey Water Users" in names and "Bamako Women's Forum" in names
    assert "Dakar Youth Network" not in names
