"""The Content-Security-Policy holds in a real browser: the pages with JavaScript (the graph, the
registry's filters, the partnership form, the runs' live progress, the API docs, the admin) load
and work with no policy violation and no error in the console."""

import pytest

from accounts.roles import Role
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.browser.conftest import screenshot
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

# Playwright's init scripts are not subject to the page's policy: this one records violations.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def registry(transactional_db):
    outcome = OutcomeFactory(title="Protection of displaced women")
    ngo = StakeholderFactory(name="Relief Now", kind=Kind.NGO)
    womens = StakeholderFactory(name="Women Mediators", kind=Kind.WOMENS_GROUP)
    hidden = StakeholderFactory(name="Quiet Broker", sensitivity=Sensitivity.RESTRICTED)
    for actor in (ngo, womens, hidden):
        StakeFactory(stakeholder=actor, outcome=outcome)
    TieFactory(from_stakeholder=ngo, to_stakeholder=womens)
    TieFactory(from_stakeholder=womens, to_stakeholder=hidden)
    return outcome


def test_pages_with_javascript_break_no_policy(page, login, live_server, registry):
    UserFactory(username="root", roles=[Role.ADMINISTRATOR], is_superuser=True, is_staff=True)
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text
            and console_errors.append(message.text)
        ),
    )
    # A resource that fails to load is named by its URL (the console does not say which).
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")
            and console_errors.append(f"{response.status} {response.url}")
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    login("root")
    pages = {
        "/": "main",
        "/graph/": "body[data-graph-ready=true]",
        "/stakeholders/": "main table",
        f"/outcomes/{registry.pk}/": "svg .pt",
        "/partnerships/new/": "main form",
        "/candidates/runs/": "main",
        "/index/": "main",
        "/accounts/tokens/new/": "main form",
        "/registry/imports/": "main form",
        "/api/docs/": ".swagger-ui .opblock",
        "/admin/": "#content-main",
        "/admin/stakeholders/stakeholder/add/": "#stakeholder_form",
        "/admin/accounts/user/": "#changelist",
    }
    for path, ready in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready, timeout=20_000)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__violations")
        assert violations == [], (path, violations)
        assert console_errors == [], (path, console_errors)
    screenshot(page, "csp-admin-users")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
    screenshot(page, "csp-api-docs")
