"""The explorer in headless Chromium: load, filter, search, click a node, find a path."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from graph.services import graph_snapshots_refresh
from partnerships.selectors import candidate_visible_to
from partnerships.services import overlap_run_request
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
        "() => document.getElementById('graph-status').textContent.startsWith('2 actors')"
    )
    assert "country=KE" in page.url
    page.select_option("#f-country", "")
    page.click("#apply-filters")
    page.wait_for_function(
        "() => document.getElementById('graph-status').textContent.startsWith('5 actors')"
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
        "() => document.getElementById('panel-stakes').textContent"
        ".includes('Reconstruction in Somalia')"
    )
    page.wait_for_function(
        "() => document.getElementById('panel-candidates').textContent.includes('No candidates')"
    )
    page.click("#panel-close")
    panel.wait_for(state="hidden")

    # Clicking a node on the canvas opens the panel too (once the search's zoom has finished).
    page.wait_for_function("() => !window.graphExplorer.cy.animated()")
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
    page.wait_for_function("() => document.getElementById('path-result').textContent.includes('→')")
    assert page.inner_text("#path-result") == (
        "1 intermediary: Ministry of Peace → Relief Now → Women Mediators"
    )
    screenshot(page, "graph-explorer")

    # The table view shows the same graph for keyboards and screen readers.
    page.click("#table-link")
    assert "5 actors and 3 ties" in page.inner_text("main")


def node_count(page, selector="node"):
    return page.evaluate(f"window.graphExplorer.cy.$('{selector}').length")


def test_an_ego_view_from_a_stakeholders_page(page, login, live_server, analyst):
    registry = build_registry()
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/stakeholders/{registry.ngo.pk}/")
    page.click("#ego-view-link")
    wait_ready(page)
    assert f"ego={registry.ngo.pk}" in page.url
    assert page.inner_text("#graph-status").startswith("3 actors and 2 ties shown")
    # The view opens on its centre, selected, with its panel.
    page.locator("#node-panel").wait_for(state="visible")
    assert page.inner_text("#panel-name") == "Relief Now"
    assert page.evaluate("window.graphExplorer.cy.$(':selected').map((n) => n.data('name'))") == [
        "Relief Now"
    ]
    # Two hops from the women's group: the hidden broker, and the firm beyond it, stay out.
    page.fill("#graph-search", "Women Mediators")
    page.press("#graph-search", "Enter")
    page.wait_for_function(
        "() => document.getElementById('panel-name').textContent === 'Women Mediators'"
    )
    page.evaluate("document.body.dataset.graphReady = 'false'")
    page.click("#panel-ego2")
    wait_ready(page)
    assert f"ego={registry.womens.pk}" in page.url and "hops=2" in page.url
    assert page.inner_text("#graph-status").startswith("3 actors and 2 ties shown")
    assert "Telco Ltd" not in page.evaluate(
        "window.graphExplorer.cy.nodes().map((n) => n.data('name')).join()"
    )
    page.wait_for_function("() => !window.graphExplorer.cy.animated()")
    screenshot(page, "graph-ego-view")


def test_the_outcome_view_lays_out_interest_and_influence(page, login, live_server, analyst):
    registry = build_registry()
    graph_snapshots_refresh()
    for actor, interest, influence in (
        (registry.state, 0.9, 0.9), (registry.ngo, 0.8, 0.2), (registry.firm, 0.2, 0.7),
    ):  # fmt: skip
        actor.stakes.filter(outcome=registry.outcome).update(interest=interest, influence=influence)
    login("analyst")
    page.goto(f"{live_server.url}/outcomes/{registry.outcome.pk}/")
    page.click("#outcome-view-link")
    wait_ready(page)
    assert page.input_value("#layout-by") == "outcome"
    assert page.inner_text("#graph-status").startswith("3 actors and 1 tie shown")
    gaps = page.inner_text("#graph-gaps")
    assert "Outcome view of “Reconstruction in Somalia”" in gaps
    assert "no women's group, no local actor, no diaspora actor" in gaps
    assert node_count(page, ".quadrant") == 4
    positions = page.evaluate(
        """() => Object.fromEntries(window.graphExplorer.cy.nodes(':not(.quadrant)')
             .map((n) => [n.data('name'), n.position()]))"""
    )
    # Influence runs across, interest up (screen y grows downwards).
    assert positions["Ministry of Peace"]["x"] > positions["Relief Now"]["x"]
    assert positions["Telco Ltd"]["x"] > positions["Relief Now"]["x"]
    assert positions["Telco Ltd"]["y"] > positions["Relief Now"]["y"]
    assert positions["Ministry of Peace"]["y"] < positions["Telco Ltd"]["y"]
    # Clicking a quadrant is clicking the background: no panel opens.
    box = page.locator("#cy").bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + box["height"] - 12)
    assert page.locator("#node-panel").is_hidden()
    screenshot(page, "graph-outcome-view")

    # From the controls: any layout back to automatic drops the quadrants; the button restores.
    page.select_option("#layout-by", "auto")
    assert node_count(page, ".quadrant") == 0
    page.evaluate("document.body.dataset.graphReady = 'false'")
    page.click("#outcome-view-run")
    wait_ready(page)
    assert node_count(page, ".quadrant") == 4
    assert "layout=outcome" in page.url


def test_the_outcome_view_button_asks_for_an_outcome_first(page, login, live_server, analyst):
    build_registry()
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    page.click("#outcome-view-run")
    assert "Choose an outcome" in page.inner_text("#graph-status")
    assert node_count(page, ".quadrant") == 0


def test_the_candidate_layer_switches_on_and_off(page, login, live_server, analyst):
    registry = build_registry()
    run, _ = overlap_run_request()
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    expected = candidate_visible_to(analyst).count()
    assert expected > 0
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    assert node_count(page, "edge.candidate") == 0
    page.evaluate("document.body.dataset.graphReady = 'false'")
    page.check("#show-candidates")
    wait_ready(page)
    assert node_count(page, "edge.candidate") == expected
    assert f"{expected} candidate partnerships" in page.inner_text("#graph-status")
    assert page.evaluate("window.graphExplorer.cy.$('edge.candidate').style('line-style')") == (
        "dashed"
    )
    # No candidate reaches the hidden broker.
    ends = page.evaluate(
        "window.graphExplorer.cy.$('edge.candidate')"
        ".map((e) => [e.data('source'), e.data('target')]).flat()"
    )
    assert str(registry.broker.pk) not in ends
    page.wait_for_function("() => !window.graphExplorer.cy.animated()")
    screenshot(page, "graph-candidates")
    page.evaluate("document.body.dataset.graphReady = 'false'")
    page.uncheck("#show-candidates")
    wait_ready(page)
    assert node_count(page, "edge.candidate") == 0
