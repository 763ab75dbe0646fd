"""Salience as a program officer records it: from the outcome page, assess one actor's power,
legitimacy and urgency; the seven classes show beside the power–interest grid; a re-assessment
moves the actor to its new class and keeps the earlier one, on the outcome page and on the
stakeholder's. Screenshots wide and narrow."""

import datetime

import pytest

from relationships.models import SalienceAssessment
from stakeholders import services as registry
from stakeholders.choices import Kind
from tests.browser.conftest import screenshot
from tests.relationships.helpers import hidden_actor
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 60_000  # generous: the machine may be loaded


def _count(page, key: str) -> str:
    return page.locator(f"#salience .salience-counts li.salience-{key} strong.count").inner_text()


def _assess(page, *, power: int, legitimacy: int, urgency: int, day: datetime.date, note: str):
    for name, value in (("power", power), ("legitimacy", legitimacy), ("urgency", urgency)):
        page.locator(f"input[name={name}][value='{value}']").check()
    page.locator("#id_assessed_on").fill(day.isoformat())
    page.locator("#id_note").fill(note)
    page.locator(".salience-form button[type=submit]").click()


def test_an_officer_assesses_salience_and_a_reassessment_keeps_the_earlier_one(
    page, login, live_server, officer
):
    page.set_default_timeout(WAIT)
    outcome = OutcomeFactory(title="Water security in the Sahel")
    forum = StakeholderFactory(name="Bamako Women's Forum", kind=Kind.WOMENS_GROUP)
    ministry = StakeholderFactory(name="Mali Ministry of Water", kind=Kind.STATE)
    secret = hidden_actor(name="Kidal Water Committee")
    for actor, interest, influence in ((forum, 0.9, 0.3), (ministry, 0.5, 0.9), (secret, 0.8, 0.2)):
        registry.stake_create(stakeholder=actor, outcome=outcome, interest=interest,
                              influence=influence)  # fmt: skip
    login("officer")

    page.goto(f"{live_server.url}{outcome.get_absolute_url()}")
    page.wait_for_selector("#salience")
    # The classes sit beside the power–interest grid, not below it.
    grid = page.locator(".grid-card").bounding_box()
    card = page.locator("#salience").bounding_box()
    assert card["x"] > grid["x"] + grid["width"] - 1 and card["y"] < grid["y"] + grid["height"]
    assert "No salience assessed yet" in page.locator("#salience").inner_text()

    page.locator("#assess-salience").click()
    page.wait_for_selector(".salience-form")
    page.locator("#id_stakeholder + .ts-wrapper .ts-control").click()
    page.keyboard.type("Water")
    offered = page.locator(".ts-dropdown:visible .option")
    offered.first.wait_for()
    assert "Kidal" not in " | ".join(offered.all_inner_texts())  # a hidden actor is never offered
    page.locator(".ts-dropdown:visible .option", has_text="Mali Ministry of Water").click()
    # The chosen name shows whole on one line (the box does not grow and shrink under the pointer).
    chosen = page.locator("#id_stakeholder + .ts-wrapper .item")
    assert chosen.evaluate("e => e.scrollWidth <= e.clientWidth") and chosen.inner_text() == (
        "Mali Ministry of Water"
    )
    box = page.locator("#id_stakeholder + .ts-wrapper .ts-control").bounding_box()
    assert box["height"] < 50
    first_day = datetime.date.today() - datetime.timedelta(days=60)
    _assess(page, power=3, legitimacy=2, urgency=1, day=first_day, note="Controls the permits")
    page.wait_for_url(f"**{outcome.get_absolute_url()}#salience")
    assert _count(page, "dominant") == "1" and _count(page, "definitive") == "0"
    screenshot(page, "salience-outcome-first-1280")

    # The drought made the ministry's claim urgent: re-assessed, it becomes definitive.
    page.locator("#assess-salience").click()
    page.wait_for_selector(".salience-form")
    page.locator("#id_stakeholder + .ts-wrapper .ts-control").click()
    page.keyboard.type("Ministry")
    page.locator(".ts-dropdown:visible .option", has_text="Mali Ministry of Water").click()
    _assess(page, power=3, legitimacy=2, urgency=3, day=datetime.date.today(), note="Drought")
    page.wait_for_url(f"**{outcome.get_absolute_url()}#salience")
    assert _count(page, "definitive") == "1" and _count(page, "dominant") == "0"
    assert "1 assessed" in page.locator("#salience .section-head").inner_text()
    classes = page.locator("#salience-classes")
    assert "Mali Ministry of Water" in classes.locator(".salience-definitive").inner_text()
    classes.locator("details summary").click()
    rows = classes.locator("details tbody tr").all_inner_texts()
    assert len(rows) == 2 and "Definitive" in rows[0] and "Dominant" in rows[1]
    assert SalienceAssessment.objects.filter(stakeholder=ministry).count() == 2
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "salience-outcome-1280")

    page.goto(f"{live_server.url}{ministry.get_absolute_url()}")
    section = page.locator("#salience")
    section.wait_for()
    assert "Definitive" in section.locator(".salience-badge").inner_text()
    section.locator("details summary").click()
    earlier = section.locator("details li").inner_text()
    assert first_day.strftime("%-d %b %Y") in earlier and "Dominant" in earlier
    screenshot(page, "salience-stakeholder-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{outcome.get_absolute_url()}#salience")
    page.wait_for_selector("#salience")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "salience-outcome-390")
