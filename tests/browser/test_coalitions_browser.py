"""Coalitions as people see them: an analyst reads an outcome's coalitions and opens one; an
officer proposes one as a partnership in one click. Screenshots land in artifacts/screenshots/."""

import pytest

from partnerships.models import Coalition, Partnership
from tests.accounts.factories import UserFactory
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.partnerships.coalition_fixtures import compute, hidden_actor_add, wider_registry_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registry(transactional_db):
    registry = wider_registry_create()
    hidden_actor_add(registry)
    compute(registry)
    return registry


def test_an_analyst_reads_an_outcomes_coalitions(page, login, live_server, analyst, registry):
    login("analyst")
    page.goto(f"{live_server.url}{registry.outcome.get_absolute_url()}")
    section = page.locator("#coalitions")
    section.scroll_into_view_if_needed()
    assert section.locator(".coalition-card").count() == 3
    text = section.inner_text()
    assert "Coalition 1" in text and "broker" in text and "inclusive" in text
    assert "Safe-house" not in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "coalitions-outcome-section.png"))

    section.get_by_role("link", name="Coalition 1").click()
    best = Coalition.objects.get(audience="public", rank=1)
    page.wait_for_url(f"{live_server.url}{best.get_absolute_url()}")
    body = page.inner_text("body")
    assert "Why this coalition" in body and "Found by the exact search" in body
    assert "Broker:" in body and "Who it brings in:" in body
    assert "Safe-house" not in page.content()
    screenshot(page, "coalition-detail")


def test_an_officer_proposes_a_coalition_in_one_click(page, login, live_server, registry):
    UserFactory(username="officer", roles=["program officer"])
    login("officer")
    page.goto(f"{live_server.url}/candidates/coalitions/?outcome={registry.outcome.pk}")
    assert page.locator(".coalition-card").count() == 3
    screenshot(page, "coalition-list")
    first = page.locator(".coalition-card").first
    first.get_by_role("button", name="Propose as a partnership").click()
    partnership = Partnership.objects.get()
    page.wait_for_url(f"{live_server.url}{partnership.get_absolute_url()}")
    body = page.inner_text("body")
    assert "Draft saved with every member of the coalition" in body
    assert (
        partnership.members.count()
        == Coalition.objects.get(audience="public", rank=1).members.count()
    )
    screenshot(page, "coalition-proposed-draft")
