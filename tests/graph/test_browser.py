"""The explorer in headless Chromium: load, filter, search, click a node, find a path."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from graph.services import graph_snapshots_refresh
from tests.browser.conftest import screenshot
from tests.graph.conftest import build_registry

pytestmark = pytest.mark.django_db(transaction=True)


def wait_ready(page):
    page.wait_for_selector("body[data-graph-ready=true]")


def test_an_analyst_explores_the_graph(page, login, live_server, analyst):
    registry = build_registry()
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    assert page.inner_text("#graph-status").startswith("5 actors and 3 ties shown")
    assert "Quiet Broker" not in page.content()
    assert "Metrics and layout computed" in page.inner_text("#computed-at")

    # Filter by country: the graph reloads with the two Kenyan actors.
    page.select_option("#f-country", "KE")
    page.click("#apply-filters")
    page.wait_for_function(
        "document.getElementById('graph-status').textContent.startsWith('2 actors')"
    )
    assert "country=KE" in page.url
    page.select_option("#f-country", "")
    page.click("#apply-filters")
    page.wait_for_function(
        "document.getElementById('graph-status').textContent.startsWith('5 actors')"
    )

    # Search focuses a node and opens its panel.
    page.fill("#graph-search", "Relief Now")
    page.press("#graph-search", "Enter")
    panel = page.locator("#node-panel")
    panel.wait_for(state="visible")
    assert page.inner_text("#panel-name") == "Relief Now"
    assert f"/{registry.ngo.pk}/" in page.get_attribute("#panel-link", "href")
    assert "Betweenness" in page.inner_text("#panel-metrics")
    page.wait_for_function(
        "document.getElementById('panel-stakes').textContent.includes('Reconstruction in Somalia')"
    )
    page.wait_for_function(
        "document.getElementById('panel-candidates').textContent.includes('No candidates')"
    )
    page.click("#panel-close")
    panel.wait_for(state="hidden")

    # Clicking a node on the canvas opens the panel too (once the search's zoom has finished).
    page.wait_for_function("!window.graphExplorer.cy.animated()")
    page.evaluate("window.graphExplorer.cy.fit(undefined, 40)")
    # The layout may still be settling: measure the node where it is now, click, and try again
    # (a few times, briefly) if it moved under the pointer.
    for _attempt in range(8):
        page.locator("#cy").scroll_into_view_if_needed()
        position = page.evaluate(
            f"""() => {{
                const node = window.graphExplorer.cy.getElementById('{registry.state.pk}');
                return node.renderedPosition();
            }}"""
        )
        box = page.locator("#cy").bounding_box()
        page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
        try:
            panel.wait_for(state="visible", timeout=2_000)
            break
        except PlaywrightTimeoutError:
            page.wait_for_timeout(300)
    else:
        pytest.fail("clicking the node never opened its panel")
    assert page.inner_text("#panel-name") == "Ministry of Peace"

    # Who can introduce us?
    page.fill("#path-source", "Ministry of Peace")
    page.fill("#path-target", "Women Mediators")
    page.click("#path-run")
    page.wait_for_function("document.getElementById('path-result').textContent.includes('→')")
    assert page.inner_text("#path-result") == (
        "1 intermediary: Ministry of Peace → Relief Now → Women Mediators"
    )
    screenshot(page, "graph-explorer")

    # The table view shows the same graph for keyboards and screen readers.
    page.click("#table-link")
    assert "5 actors and 3 ties" in page.inner_text("main")
