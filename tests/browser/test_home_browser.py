import pytest

from stakeholders.choices import Kind, Sensitivity
from tests.browser.conftest import screenshot
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_analyst_logs_in_and_reads_the_home_page(page, login, live_server, analyst):
    outcome = OutcomeFactory(title="Climate-driven displacement in the Sahel")
    for name, kind in [("UNHCR", Kind.IGO), ("Sahel Women's Network", Kind.WOMENS_GROUP)]:
        StakeFactory(stakeholder=StakeholderFactory(name=name, kind=kind), outcome=outcome)
    StakeFactory(
        stakeholder=StakeholderFactory(
            name="Safe House Collective", kind=Kind.GRASSROOTS, sensitivity=Sensitivity.RESTRICTED
        ),
        outcome=outcome,
    )

    login("analyst")
    assert page.title() == "Home · smartdiplomacy"
    assert page.locator("h1").inner_text() == f"Welcome, {analyst.get_full_name()}"
    kinds = page.get_by_role("table", name="Stakeholders by kind")
    assert "Women's group" in kinds.inner_text()
    assert "Climate-driven displacement in the Sahel" in page.inner_text("body")
    assert "2 stakes" in page.inner_text("body")  # the restricted actor's stake is not counted
    assert "Safe House Collective" not in page.content()
    # The trends: each sparkline is an image with a name, its figures a table one click away.
    trend = page.get_by_role("figure", name="Proposals decided, by week")
    assert trend.get_by_role("img").count() == 1
    assert not trend.get_by_role("table").is_visible()
    trend.get_by_text("The figures").click()
    assert trend.get_by_role("table").is_visible()
    assert "week of" in trend.get_by_role("table").inner_text()
    screenshot(page, "home-analyst")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "Log in"


def test_a_wrong_password_is_explained(page, live_server, analyst):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "correct username and password" in page.locator(".error-box").inner_text()
    screenshot(page, "login-error")
