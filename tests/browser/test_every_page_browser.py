"""Every page, as people open it: on a 390 px phone, nothing wider than the screen, and axe-core
finds no serious or critical accessibility problem.

The pages are not a hand list: signed in on the demo data, the test follows every link it meets
from the home page (one page per route, the API documentation included; exports, the admin and
the API's JSON left out), so a page added tomorrow is checked tomorrow. It does so as an
administrator (every page an officer and an administrator have) and as a reviewer (the review
queue and what a reviewer reads).
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
# Not pages a person reads: the admin (Django's own), JSON and files, and links that act.
SKIPPED_PREFIXES = ("/admin/", "/api/v1/", "/api/schema", "/static/", "/media/", "/metrics")
SKIPPED_WORDS = ("export", "logout", "download", ".csv", ".xlsx", ".json", "healthz", ".gexf",
                 ".graphml")  # fmt: skip
PASSWORD = "demo-pass-2026"


def _axe_problems(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
                          v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }"""
    )
    return list(violations)


def _overflow(page) -> str | None:
    widths = page.evaluate(
        """() => {
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                .filter(el => !el.closest('.table-scroll, .scroll-x, pre, canvas, svg'))
                .slice(0, 3)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
            return {page: document.documentElement.scrollWidth, screen: window.innerWidth, wide};
        }"""
    )
    if widths["page"] > widths["screen"] + 1:
        return f"{widths['page']} px wide on a {widths['screen']} px screen ({widths['wide']})"
    return None


def _route(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _wanted(href: str | None, origin: str) -> str | None:
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    parts = urlsplit(href)
    if parts.netloc and f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = parts.path or "/"
    if path.startswith(SKIPPED_PREFIXES) or any(word in href.lower() for word in SKIPPED_WORDS):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _crawl(page, origin: str, name: str) -> tuple[dict[str, str], list[str]]:
    """Visit one page per route reachable by links from the home page; check each."""
    seen: dict[str, str] = {}
    problems: list[str] = []
    queue = ["/", "/api/docs/"]
    while queue:
        url = queue.pop(0)
        route = _route(urlsplit(url).path)
        if route is None or route in seen:
            continue
        seen[route] = url
        response = page.goto(origin + url)
        if response is None or response.status != 200:
            problems.append(f"{url}: answered {response.status if response else 'nothing'}")
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        page.wait_for_load_state("networkidle")
        if overflow := _overflow(page):
            problems.append(f"{url}: {overflow}")
            screenshot(page, f"overflow-{name}-{route.replace(':', '-')}")
        problems.extend(f"{url}: {problem}" for problem in _axe_problems(page))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            if (wanted := _wanted(href, origin)) and _route(urlsplit(wanted).path) not in seen:
                queue.append(wanted)
    return seen, problems


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize("username", ["admin", "reviewer"])
def test_every_page_fits_a_phone_and_passes_axe(browser, live_server, demo, username):
    if not AXE.exists():
        pytest.skip(f"needs axe-core at {AXE} (npm ci)")
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # bypass: to inject axe only
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server, username, PASSWORD)

    seen, problems = _crawl(page, live_server.url, username)
    context.close()

    assert len(seen) >= (25 if username == "admin" else 10), sorted(seen)
    assert not problems, "\n".join(problems)
