"""Signing in with the second factor in a real browser: a cleared analyst passes it, then sees
the restricted actors they are cleared for."""

from stakeholders.choices import Sensitivity
from tests.accounts.factories import UserFactory
from tests.browser.conftest import pass_second_factor, screenshot
from tests.stakeholders.factories import StakeholderFactory


def test_a_cleared_analyst_signs_in_with_a_code_and_then_sees_restricted_actors(page, live_server):
    UserFactory(username="analyst.cleared", roles=["analyst"], cleared=True)
    StakeholderFactory(name="Quiet Women Mediators", sensitivity=Sensitivity.RESTRICTED)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "analyst.cleared")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/setup/**")
    assert page.locator(".qr-code svg").count() == 1
    screenshot(page, "two-factor-setup")
    page.goto(f"{live_server.url}/stakeholders/")
    assert "/accounts/two-factor/" in page.url  # nothing opens before the second factor
    pass_second_factor(page, live_server, "analyst.cleared")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/stakeholders/")
    assert "Quiet Women Mediators" in page.content()
