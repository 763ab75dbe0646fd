"""The graph map in headless Chromium: labels, search, legend, isolates, path, outcome view, ego
view, candidates, empty state, address state, saved views and the phone layout."""

import pytest

from graph.services import graph_snapshots_refresh
from partnerships.overlap.runs import overlap_run_request
from partnerships.selectors import candidate_visible_to
from stakeholders.choices import Kind
from tests.browser.conftest import screenshot
from tests.graph.conftest import build_registry
from tests.stakeholders.factories import StakeholderFactory, TieFactory

pytestmark = pytest.mark.django_db(transaction=True)


def wait_ready(page):
    page.wait_for_selector("body[data-graph-ready=true]")


def reload_and_wait(page, action):
    page.evaluate("delete document.body.dataset.graphReady")
    action()
    wait_ready(page)


def labels_shown(page) -> list[str]:
    """Every name on the canvas: those placed on the map's label layer and those sigma draws
    for a hover or selection."""
    return page.evaluate(
        """() => { const g = window.graphExplorer.graph;
                   return [...window.graphExplorer.labelsShown()]
                     .map((k) => g.getNodeAttribute(k, 'label')).sort(); }"""
    )


def drawn(page) -> dict[str, dict]:
    """Every node drawn now: name -> viewport position and whether it is hidden."""
    return page.evaluate(
        """() => { const { graph, renderer } = window.graphExplorer; const out = {};
                   graph.forEachNode((k, a) => { const d = renderer.getNodeDisplayData(k);
                     const p = renderer.graphToViewport({ x: a.x, y: a.y });
                     out[a.label] = { x: p.x, y: p.y, hidden: !!(d && d.hidden) }; });
                   return out; }"""
    )


def test_an_analyst_reads_the_map(page, login, live_server, analyst):
    registry = build_registry()
    StakeholderFactory(name="Lonely Foundation", kind=Kind.FOUNDATION, country="KE")
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    # Isolates are hidden by default, counted, and a toggle shows them.
    assert page.inner_text("#graph-status").startswith(
        "5 actors and 3 ties shown; 1 actor without ties hidden"
    )
    assert page.inner_text("#toggle-isolates") == "Show 1 without ties"
    assert "Lonely Foundation" not in drawn(page)
    assert "Quiet Broker" not in page.content()
    screenshot(page, "graph-map-small")
    # Labels at the default zoom: on this small graph every actor is named.
    assert labels_shown(page) == [
        "Ministry of Peace", "Relief Now", "Somali Diaspora Network", "Telco Ltd",
        "Women Mediators",
    ]  # fmt: skip

    page.click("#toggle-isolates")
    assert "Lonely Foundation" in drawn(page)
    assert "isolates=1" in page.url
    page.click("#toggle-isolates")
    assert "Lonely Foundation" not in drawn(page)

    # The legend hides a kind and shows it again; "only" focuses on one.
    page.click(".legend-kind[data-kind=ngo]")
    assert page.get_attribute(".legend-kind[data-kind=ngo]", "aria-pressed") == "false"
    assert drawn(page)["Relief Now"]["hidden"] is True
    assert "Relief Now" not in labels_shown(page)
    assert "hide=ngo" in page.url
    page.click(".legend-kind[data-kind=ngo]")
    assert drawn(page)["Relief Now"]["hidden"] is False
    page.click(".legend-only[data-kind=firm]")
    nodes = drawn(page)
    assert [name for name, node in nodes.items() if not node["hidden"]] == ["Telco Ltd"]
    page.click(".legend-only[data-kind=firm]")
    assert not any(node["hidden"] for node in drawn(page).values())

    # Type-ahead by name: suggestions as one types; choosing one selects it and opens its panel.
    page.fill("#graph-search", "reli")
    page.wait_for_selector("#search-results li")
    assert page.inner_text("#search-results li").startswith("Relief Now")
    page.click("#search-results li")
    page.locator("#node-panel").wait_for(state="visible")
    assert page.inner_text("#panel-name") == "Relief Now"
    assert f"/{registry.ngo.pk}/" in page.get_attribute("#panel-link", "href")
    page.wait_for_function(
        "() => document.getElementById('panel-stakes').textContent"
        ".includes('Reconstruction in Somalia')"
    )
    assert f"node={registry.ngo.pk}" in page.url
    # The selection highlights its neighbourhood: the others are dimmed and unnamed.
    dimmed = page.evaluate(
        """() => { const { graph, renderer } = window.graphExplorer; const out = [];
                   graph.forEachNode((k, a) => {
                     if (renderer.getNodeDisplayData(k).color === '#e4e8ec') out.push(a.label);
                   }); return out.sort(); }"""
    )
    assert dimmed == ["Somali Diaspora Network", "Telco Ltd"]

    # Filters as chips apply at once and show as removable chips; the address keeps them.
    page.click("#toggle-filters")
    reload_and_wait(page, lambda: page.select_option("#f-country", "KE"))
    assert page.inner_text("#graph-status").startswith("2 actors and 1 tie shown")
    assert "country=KE" in page.url
    assert "Country: KE" in page.inner_text("#active-chips")

    # Everything is restored from the address.
    page.click(".legend-kind[data-kind=womens_group]")
    address = page.url
    page.goto(address)
    wait_ready(page)
    assert page.input_value("#f-country") == "KE"
    assert page.get_attribute(".legend-kind[data-kind=womens_group]", "aria-pressed") == "false"
    assert drawn(page)["Women Mediators"]["hidden"] is True
    page.locator("#node-panel").wait_for(state="visible")
    assert page.inner_text("#panel-name") == "Relief Now"

    # Removing the chip drops the filter.
    reload_and_wait(page, lambda: page.click("#active-chips .chip button"))
    assert "country=" not in page.url
    assert page.inner_text("#graph-status").startswith("5 actors")

    # The table view shows the same graph for keyboards and screen readers.
    assert "/graph/table/" in page.get_attribute("#table-link", "href")


def test_an_empty_result_says_what_to_do(page, login, live_server, analyst):
    build_registry()
    login("analyst")
    page.goto(f"{live_server.url}/graph/?kind=media")
    wait_ready(page)
    assert page.locator("#graph-empty").is_visible()
    assert page.inner_text("#empty-title") == "No actors match these filters"
    assert "Kind: Media" in page.inner_text("#active-chips")
    screenshot(page, "graph-empty")
    page.click("#empty-reset")
    wait_ready(page)
    assert page.locator("#graph-empty").is_hidden()


def test_the_path_is_drawn_as_a_chain_with_its_hops(page, login, live_server, analyst):
    registry = build_registry()
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    page.click("#toggle-path")
    page.fill("#path-source", "Minis")
    page.click("#path-source-results li")
    page.fill("#path-target", "Women")
    page.click("#path-target-results li")
    page.click("#path-run")
    page.wait_for_selector("#path-hops li")
    assert page.inner_text("#path-result") == "1 intermediary, 2 hops:"
    hops = page.locator("#path-hops li").all_inner_texts()
    assert hops[0].startswith("Ministry of Peace → Relief Now")
    assert "Funds · strength 0.90" in hops[0]
    assert hops[1].startswith("Relief Now → Women Mediators")
    assert "Partners with · strength 0.40" in hops[1]
    # On the canvas: only the chain, left to right, on one line, every actor named.
    nodes = drawn(page)
    assert list(nodes) == ["Ministry of Peace", "Relief Now", "Women Mediators"]
    xs = [nodes[name]["x"] for name in nodes]
    assert xs == sorted(xs) and xs[2] - xs[0] > 300
    assert len({round(node["y"]) for node in nodes.values()}) == 1
    assert labels_shown(page) == sorted(nodes)
    # Each hop's tie kind, strength and dates are written on the canvas beside its tie, between
    # its two actors, clear of every name (names sit under their discs).
    hops = page.evaluate("() => window.graphExplorer.overlay().hops")
    assert [[line["text"] for line in hop["lines"]] for hop in hops] == [
        ["Funds · 0.90", "dates not recorded"],
        ["Partners with · 0.40", "dates not recorded"],
    ]
    xs_by_name = [nodes[name]["x"] for name in nodes]
    names_boxes = page.evaluate(
        """() => { const { graph, renderer } = window.graphExplorer;
                   const c = document.createElement('canvas').getContext('2d');
                   c.font = '600 12px system-ui, sans-serif';
                   return graph.nodes().map((k) => { const d = renderer.getNodeDisplayData(k);
                     const p = renderer.framedGraphToViewport(d);
                     const w = c.measureText(d.label).width;
                     const r = renderer.scaleSize(d.size, renderer.getCamera().ratio);
                     const y = p.y + r + 12 + 2 + (d.labelRow || 0) * 16;
                     return { x0: p.x - w / 2, x1: p.x + w / 2, y0: y - 12, y1: y + 4 }; }); }"""
    )
    for i, hop in enumerate(hops):
        for line in hop["lines"]:
            centre = (line["x0"] + line["x1"]) / 2
            assert xs_by_name[i] < centre < xs_by_name[i + 1]
            for box in names_boxes:
                apart = (
                    line["x1"] <= box["x0"] or box["x1"] <= line["x0"]
                    or line["y1"] <= box["y0"] or box["y1"] <= line["y0"]
                )  # fmt: skip
                assert apart, (line, box)
    assert f"source={registry.state.pk}" in page.url and f"target={registry.womens.pk}" in page.url
    screenshot(page, "graph-path")

    # The address reopens the chain; "Back to the map" leaves it.
    page.goto(page.url)
    wait_ready(page)
    assert list(drawn(page)) == ["Ministry of Peace", "Relief Now", "Women Mediators"]
    page.click("#path-back")
    assert len(drawn(page)) == 5
    assert "source=" not in page.url


def test_the_outcome_view_matches_the_outcome_pages_grid(page, login, live_server, analyst):
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
    assert page.get_attribute("#outcome-view-run", "aria-pressed") == "true"
    gaps = page.inner_text("#graph-gaps")
    assert "Outcome view of “Reconstruction in Somalia”: interest across, influence up" in gaps
    assert "no women's group, no local actor, no diaspora actor" in gaps
    nodes = drawn(page)
    assert set(nodes) == {"Ministry of Peace", "Relief Now", "Telco Ltd"}
    # As on the outcome page: interest across (x grows right), influence up (screen y shrinks).
    assert nodes["Ministry of Peace"]["x"] > nodes["Telco Ltd"]["x"]
    assert nodes["Relief Now"]["x"] > nodes["Telco Ltd"]["x"]
    assert nodes["Telco Ltd"]["y"] < nodes["Relief Now"]["y"]
    assert nodes["Ministry of Peace"]["y"] < nodes["Relief Now"]["y"]
    # Labelled axes with values, and the outcome page's quadrant names in the same corners.
    axes = page.locator("#outcome-axes")
    assert axes.is_visible()
    assert "Interest →" in axes.inner_text() and "Influence ↑" in axes.inner_text()
    assert "0.50" in axes.inner_text() and "1.00" in axes.inner_text()
    manage = page.locator("[data-quadrant=manage_closely]").bounding_box()
    monitor = page.locator("[data-quadrant=monitor]").bounding_box()
    assert manage["x"] > monitor["x"] and manage["y"] < monitor["y"]
    assert page.inner_text("[data-quadrant=manage_closely]").startswith("Manage closely")
    assert labels_shown(page) == ["Ministry of Peace", "Relief Now", "Telco Ltd"]
    screenshot(page, "graph-outcome-view")
    # The button returns to the map, and the address follows.
    page.click("#outcome-view-run")
    assert axes.is_hidden()
    assert "view=outcome" not in page.url and "layout=" not in page.url


def test_an_ego_view_from_a_stakeholders_page(page, login, live_server, analyst):
    registry = build_registry()
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/stakeholders/{registry.ngo.pk}/")
    page.click("#ego-view-link")
    wait_ready(page)
    assert f"ego={registry.ngo.pk}" in page.url
    assert page.inner_text("#graph-status").startswith("3 actors and 2 ties shown")
    page.locator("#node-panel").wait_for(state="visible")
    assert page.inner_text("#panel-name") == "Relief Now"
    assert "Ego view of Relief Now (1 hop)" in page.inner_text("#active-chips")
    # Two hops from the women's group, chosen by name: the hidden broker and the firm stay out.
    page.fill("#graph-search", "Women Med")
    page.press("#graph-search", "Enter")
    page.wait_for_function(
        "() => document.getElementById('panel-name').textContent === 'Women Mediators'"
    )
    reload_and_wait(page, lambda: page.click("#panel-ego2"))
    assert f"ego={registry.womens.pk}" in page.url and "hops=2" in page.url
    assert sorted(drawn(page)) == ["Ministry of Peace", "Relief Now", "Women Mediators"]
    # The centre is selected, and its whole ego view stays named and drawn, both ties too.
    assert labels_shown(page) == ["Ministry of Peace", "Relief Now", "Women Mediators"]
    hidden_ties = page.evaluate(
        """() => { const { graph, renderer } = window.graphExplorer;
                   return graph.edges().filter((e) => renderer.getEdgeDisplayData(e).hidden); }"""
    )
    assert hidden_ties == []
    screenshot(page, "graph-ego-view")


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
    count = "() => window.graphExplorer.graph.edges().filter((e) => e.startsWith('c')).length"
    assert page.evaluate(count) == 0
    reload_and_wait(page, lambda: page.check("#show-candidates"))
    ends = page.evaluate(
        """() => window.graphExplorer.graph.edges().filter((e) => e.startsWith('c'))
                 .flatMap((e) => window.graphExplorer.graph.extremities(e))"""
    )
    assert ends and str(registry.broker.pk) not in ends
    assert "candidates=1" in page.url
    reload_and_wait(page, lambda: page.uncheck("#show-candidates"))
    assert page.evaluate(count) == 0


def test_a_saved_view_is_shared_by_its_link(page, login, live_server, analyst):
    build_registry()
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/?country=KE&hide=womens_group")
    wait_ready(page)
    page.click("#views-menu summary")
    page.fill("#view-name", "Kenyan actors")
    page.fill("#view-notes", "Who works in Kenya")
    page.click("#save-view-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('view-saved').dataset.url")
    link = page.get_attribute("#view-saved", "data-url")
    page.wait_for_selector("#saved-views li")
    assert "Kenyan actors" in page.inner_text("#saved-views")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    page.goto(live_server.url + link)
    wait_ready(page)
    assert page.input_value("#f-country") == "KE"
    assert page.get_attribute(".legend-kind[data-kind=womens_group]", "aria-pressed") == "false"
    assert page.inner_text("#graph-status").startswith("2 actors")


def test_the_map_fits_a_phone(browser, login, live_server, analyst):
    build_registry()
    graph_snapshots_refresh()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    from tests.browser.conftest import pass_second_factor  # noqa: F401 (same sign-in as `login`)

    phone.goto(f"{live_server.url}/accounts/login/")
    phone.fill("#id_username", "analyst")
    phone.fill("#id_password", "correct-horse-battery")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/")
    phone.goto(f"{live_server.url}/graph/")
    wait_ready(phone)
    # No horizontal scroll, and the map starts near the top, not below a long form.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    canvas = phone.locator("#sigma").bounding_box()
    assert canvas["y"] < 200 and canvas["height"] > 400
    assert labels_shown(phone)
    phone.click("#toggle-filters")
    panel = phone.locator("#filters-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "graph-phone")
    context.close()


def test_a_larger_map_names_its_largest_actors_apart_and_highlights_on_hover(
    page, login, live_server, analyst
):
    """Past the label budget: the best connected are named, no two names overlap, the state in
    the address comes back, and hovering an actor dims everyone outside its neighbourhood."""
    hubs = [
        StakeholderFactory(name=f"Regional Coordination Hub {region}", kind=Kind.IGO)
        for region in ("East", "West", "North", "South")
    ]
    spokes = StakeholderFactory.create_batch(160, kind=Kind.NGO)
    for i, spoke in enumerate(spokes):
        TieFactory(from_stakeholder=hubs[i % 4], to_stakeholder=spoke)
    for a, b in zip(hubs, hubs[1:], strict=False):
        TieFactory(from_stakeholder=a, to_stakeholder=b)
    StakeholderFactory(name="Lonely Foundation", kind=Kind.FOUNDATION)
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/?isolates=1&size=betweenness&hide=foundation")
    wait_ready(page)
    # The address's state is restored: isolates shown, sized by betweenness, a kind hidden.
    assert page.get_attribute("#toggle-isolates", "aria-pressed") == "true"
    assert page.input_value("#size-by") == "betweenness"
    assert page.get_attribute(".legend-kind[data-kind=foundation]", "aria-pressed") == "false"
    nodes = drawn(page)
    assert len(nodes) == 165 and nodes["Lonely Foundation"]["hidden"] is True

    # Labels at the default zoom: every hub, and more, but not all 164; none overlapping.
    shown = labels_shown(page)
    assert {hub.name for hub in hubs} <= set(shown)
    assert 8 <= len(shown) < 164
    boxes = page.evaluate("() => window.graphExplorer.labelBoxes()")
    assert len(boxes) == len(shown)
    width = page.evaluate("() => window.graphExplorer.renderer.getDimensions().width")
    assert all(box["x0"] >= 0 and box["x1"] <= width for box in boxes)  # none cut by the edge
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"]
            )
            assert apart, (a, b)
    screenshot(page, "graph-map-labels")

    # Hover: the hub's neighbourhood stays, the rest is dimmed and unnamed.
    east = nodes[hubs[0].name]
    canvas = page.locator("#sigma").bounding_box()
    page.mouse.move(canvas["x"] + east["x"], canvas["y"] + east["y"])
    page.wait_for_function(
        "(key) => window.graphExplorer.state.hovered === key", arg=str(hubs[0].pk)
    )
    colours = page.evaluate(
        """() => { const { graph, renderer } = window.graphExplorer; const out = {};
                   graph.forEachNode((k, a) => {
                     out[a.label] = renderer.getNodeDisplayData(k).color; });
                   return out; }"""
    )
    own = {spokes[i].name for i in range(0, 160, 4)} | {hubs[0].name, hubs[1].name}
    assert all(colours[name] != "#e4e8ec" for name in own)
    assert all(colours[name] == "#e4e8ec" for name in set(colours) - own - {"Lonely Foundation"})
    assert set(labels_shown(page)) <= own


def test_a_large_maps_hover_is_painted_on_its_own_layer(
    page, login, live_server, analyst, settings
):
    """Above GRAPH_MAP_LARGE_NODES a hover does not redraw the map: the neighbourhood is painted
    on the overlay (its ties, discs and names over a veil) and wiped when the pointer leaves."""
    settings.GRAPH_MAP_LARGE_NODES = 50
    hub = StakeholderFactory(name="Regional Coordination Hub East", kind=Kind.IGO)
    other = StakeholderFactory(name="Regional Coordination Hub West", kind=Kind.IGO)
    spokes = StakeholderFactory.create_batch(80, kind=Kind.NGO)
    for i, spoke in enumerate(spokes):
        TieFactory(from_stakeholder=hub if i % 4 == 0 else other, to_stakeholder=spoke)
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    assert page.evaluate("() => window.graphExplorer.largeNodes()") == 50
    page.evaluate(
        """() => { window.sigmaFrames = 0;
                   window.graphExplorer.renderer.on('afterRender', () => window.sigmaFrames++); }"""
    )
    centre = drawn(page)[hub.name]
    canvas = page.locator("#sigma").bounding_box()
    page.mouse.move(canvas["x"] + centre["x"], canvas["y"] + centre["y"])
    page.wait_for_function("() => window.graphExplorer.overlay().hover !== null")
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    hover = page.evaluate("() => window.graphExplorer.overlay().hover")
    assert hover["key"] == str(hub.pk) and hover["neighbours"] == 20
    # The hub and as many neighbours as fit are named, no two names overlapping.
    boxes = hover["boxes"]
    assert 5 <= hover["named"] == len(boxes) <= 21
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"]
            )
            assert apart, (a, b)
    assert page.evaluate("() => window.sigmaFrames") == 0  # the WebGL map was not redrawn
    assert page.evaluate("() => window.graphExplorer.state.hovered") is None
    # The veil and the highlight are on the overlay: its pixels are not blank.
    painted = page.evaluate(
        """() => { const c = document.querySelector('.graph-overlay-layer');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert painted > 1000
    screenshot(page, "graph-hover-overlay")
    page.mouse.move(canvas["x"] + 2, canvas["y"] + canvas["height"] - 2)
    page.wait_for_function("() => window.graphExplorer.overlay().hover === null")


MOVE_JS = """async (key) => {
  const { renderer } = window.graphExplorer;
  const layers = renderer.getCanvases();
  const at = () => renderer.framedGraphToViewport(renderer.getNodeDisplayData(key));
  const sample = () => ({
    width: layers.nodes.width, edges: layers.edges.width,
    hoverNodes: layers.hoverNodes.style.display, hovers: layers.hovers.style.display,
    picked: renderer.getNodeAtPosition(at()),
  });
  const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const rest = sample();
  let moving = null;
  renderer.once("afterRender", () => { moving = sample(); });
  await renderer.getCamera().animate({ x: 0.55, y: 0.5, ratio: 0.8 }, { duration: 600 });
  await frames();
  return { rest, moving, after: sample(), full: renderer.getDimensions().width };
}"""


def test_a_large_map_draws_less_while_it_moves_and_all_again_at_rest(
    page, login, live_server, analyst, settings
):
    """While the camera moves a large map's WebGL layers are drawn at half resolution, its empty
    hover layers are off the page and no picking pass is drawn (nothing is hovered mid-move);
    once it rests, after an animation or a drag, all is back and hovering finds actors again."""
    settings.GRAPH_MAP_LARGE_NODES = 50
    hub = StakeholderFactory(name="Regional Coordination Hub East", kind=Kind.IGO)
    other = StakeholderFactory(name="Regional Coordination Hub West", kind=Kind.IGO)
    spokes = StakeholderFactory.create_batch(80, kind=Kind.NGO)
    for i, spoke in enumerate(spokes):
        TieFactory(from_stakeholder=hub if i % 4 == 0 else other, to_stakeholder=spoke)
    graph_snapshots_refresh()
    login("analyst")
    page.goto(f"{live_server.url}/graph/")
    wait_ready(page)
    frames = page.evaluate(MOVE_JS, str(hub.pk))
    full = frames["full"]
    assert frames["rest"]["width"] == full and frames["rest"]["picked"] == str(hub.pk)
    moving = frames["moving"]
    assert moving["width"] == round(full / 2) and moving["edges"] == round(full / 2)
    assert moving["hoverNodes"] == "none" and moving["hovers"] == "none"
    assert moving["picked"] is None
    after = frames["after"]
    assert after["width"] == full and after["edges"] == full
    assert after["hoverNodes"] == "" and after["picked"] == str(hub.pk)

    # A drag ends without a camera animation of its own: the map is drawn whole once it rests.
    canvas = page.locator("#sigma").bounding_box()
    x, y = canvas["x"] + 60, canvas["y"] + canvas["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 8 * step, y + 3 * step)
    page.mouse.up()
    page.wait_for_function(
        "() => window.graphExplorer.renderer.getCanvases().nodes.width"
        " === window.graphExplorer.renderer.getDimensions().width"
    )
    centre = drawn(page)[hub.name]
    page.mouse.move(canvas["x"] + centre["x"], canvas["y"] + centre["y"])
    page.wait_for_function("() => window.graphExplorer.overlay().hover !== null")
    assert page.evaluate("() => window.graphExplorer.overlay().hover.key") == str(hub.pk)
