"""Logging an interaction from a stakeholder's page as a program officer does it: open the short
form from the page, pick an outcome by typing, say how it went, add a follow-up, save, and see it
at the top of the activity timeline. Screenshots of the form and the timeline (wide and narrow)."""

import datetime

import pytest

from relationships.models import FollowUp, Interaction
from stakeholders import services as registry
from stakeholders.choices import Kind
from tests.browser.conftest import screenshot
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 60_000  # generous: the machine may be loaded


def test_an_officer_logs_an_interaction_from_a_stakeholder_page(page, login, live_server, officer):
    page.set_default_timeout(WAIT)
    actor = StakeholderFactory(name="Bamako Women's Forum", kind=Kind.WOMENS_GROUP)
    partner = StakeholderFactory(name="Relief Mali")
    outcome = OutcomeFactory(title="Water security in the Sahel")
    registry.stake_create(stakeholder=actor, outcome=outcome, interest=0.8, influence=0.3)
    registry.tie_create(
        from_stakeholder=partner, to_stakeholder=actor, kind="partners_with",
        start_date=datetime.date(2025, 3, 1),
    )  # fmt: skip
    login("officer")

    page.goto(f"{live_server.url}{actor.get_absolute_url()}")
    page.locator("#log-interaction").click()
    page.wait_for_selector("#interaction-form")
    # The stakeholder is already chosen; today's date and "meeting" are the defaults.
    assert "Bamako Women's Forum" in page.locator("#id_stakeholders + .ts-wrapper").inner_text()
    page.locator("label.kind-choice", has_text="Call").click()
    assert page.locator("#interaction-form [data-picker-keep-open]").count() == 0
    page.locator("#id_outcomes-ts-control").click()
    page.keyboard.type("Water sec")
    option = page.locator(".ts-dropdown:visible .option", has_text="Water security in the Sahel")
    option.wait_for()
    option.click()
    # The choice made, the list closes (it covered the fields below) and the typing is cleared.
    page.locator(".ts-dropdown:visible").wait_for(state="hidden")
    assert page.locator("#id_outcomes-ts-control").input_value() == ""
    page.locator("#id_sentiment").select_option("1")
    page.locator("#id_notes").fill("Forum agrees to map the water points\nThey will share a list.")
    page.locator("#id_follow_up_title").fill("Collect the list of water points")
    due = datetime.date.today() + datetime.timedelta(days=7)
    page.locator("#id_follow_up_due").fill(due.isoformat())
    screenshot(page, "relationships-interaction-form")
    page.locator("#interaction-form button[type=submit]").click()
    page.wait_for_url(f"**{actor.get_absolute_url()}", timeout=WAIT)

    interaction = Interaction.objects.get()
    assert interaction.kind == "call" and interaction.sentiment == 1
    assert list(interaction.outcomes.all()) == [outcome]
    assert FollowUp.objects.get().title == "Collect the list of water points"
    logged = page.locator("#relationship li.timeline-interaction")
    logged.first.wait_for()
    assert "Forum agrees to map the water points" in logged.first.inner_text()
    assert "Collect the list of water points" in page.locator("#relationship").inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "relationships-stakeholder-page-1280")
    stake = actor.stakes.get()
    registry.stake_update(stake=stake, position="opposes", influence=0.5, notes="Changed course")
    page.goto(f"{live_server.url}/relationships/stakeholders/{actor.pk}/timeline/")
    page.wait_for_selector("ol.timeline")
    changed = page.locator("li.timeline-stake").first.inner_text()
    assert "supports → opposes" in changed and "influence 0.30 → 0.50" in changed
    screenshot(page, "relationships-timeline-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "relationships-timeline-390")
    page.goto(f"{live_server.url}/relationships/interactions/new/?stakeholder={partner.pk}")
    page.wait_for_selector("#interaction-form")
    # Before a name is typed, the picker offers the actors one met last.
    page.locator("#id_stakeholders + .ts-wrapper .ts-control").click()
    suggested = page.locator(".ts-dropdown:visible .option")
    suggested.first.wait_for()
    assert suggested.all_inner_texts() == ["Bamako Women's Forum"]
    screenshot(page, "relationships-interaction-form-390")
