"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work on these machines, so the tests use the system
Chromium (`apt-get install chromium`; .ci/run installs it). Without it they are skipped, saying so.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def browser(transactional_db, live_server, monkeypatch):
    # Function-scoped on purpose, and set up after the database: while Playwright's sync API is
    # running, Django's per-context connection handler hands out fresh connection objects, so the
    # test database's serialized contents must be restored before Playwright starts.
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    # Django's async-safety check would refuse ORM calls made from the test while Playwright's
    # event loop is alive in the same thread; only for these tests (subprocesses must not inherit).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def totp_now(username: str, *, step_ahead: int = 1) -> str:
    """A code of ``username``'s authenticator, which is set up first if they have none."""
    from django_otp.oath import totp

    from accounts.models import User
    from accounts.selectors import totp_device_for
    from accounts.services import two_factor_enrol_confirm, two_factor_enrol_start

    user = User.objects.get(username=username)
    device = totp_device_for(user)
    if device is None:
        device = two_factor_enrol_start(user=user)
        two_factor_enrol_confirm(user=user, code=f"{totp(device.bin_key):06d}")
        device.refresh_from_db()
    # One step ahead: the step that confirmed the device is used up.
    return f"{totp(device.bin_key, drift=step_ahead):06d}"


@pytest.fixture
def login(page, live_server):
    """Sign in through the login page, and through the second factor when it is asked for."""

    def login_as(username: str, password: str = "correct-horse-battery"):
        return sign_in(page, live_server, username, password)

    return login_as


def sign_in(page, live_server, username: str, password: str):
    """Sign ``page`` in as ``username`` (and through the second factor when it is asked for)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/two-factor/" in page.url:
        pass_second_factor(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/")
    return page


def pass_second_factor(page, live_server, username: str) -> None:
    """On a page signed in with the password: enter a code of the person's authenticator."""
    code = totp_now(username)
    page.goto(f"{live_server.url}/accounts/two-factor/?next=/")
    page.fill("#id_code", code)
    page.click("#second-factor-form button[type=submit]")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
