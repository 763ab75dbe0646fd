"""The map in Chromium: markers and the choropleth drawn, a click on a marker lists its actors
with links, zooming in asks for the clusters by place, and a phone has no horizontal scroll.
Screenshots wide and narrow."""

import pytest

from index import services as index_services
from index.models import Methodology
from stakeholders.choices import Kind
from tests.browser.conftest import screenshot
from tests.index.factories import EngagementFactory
from tests.relationships.helpers import hidden_actor
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 60_000  # generous: the machine may be loaded
CHART = "echarts.getInstanceByDom(document.getElementById('map-canvas'))"


def _drawn(page) -> dict:
    return page.evaluate(
        f"""(() => {{ const o = {CHART}.getOption();
        const shaded = (o.geo[0].regions || []).filter(r => r.itemStyle && r.itemStyle.areaColor);
        return {{ regions: shaded.map(r => r.name),
                 actors: o.series[1].data.map(d => d.value[2]),
                 engagements: o.series[2].data.length }}; }})()"""
    )


def test_the_map_draws_markers_and_the_choropleth_and_fits_a_phone(
    page, login, live_server, analyst
):
    page.set_default_timeout(WAIT)
    StakeholderFactory(name="Mopti Women", kind=Kind.WOMENS_GROUP, country="ML",
                       subnational_area="Mopti", latitude=14.49, longitude=-4.2)  # fmt: skip
    StakeholderFactory(name="Radio Gao", kind=Kind.MEDIA, country="ML", latitude=16.27,
                       longitude=-0.04)  # fmt: skip
    StakeholderFactory(name="Niamey Relief", country="NE")
    hidden_actor(name="Secret Circle", country="TD", latitude=13.47, longitude=22.2)
    engagement = EngagementFactory(country="ML", participants_total=20, participants_women=9)
    methodology = Methodology.objects.get(name="Smart Diplomacy Index", version=1)
    index_services.score_compute(engagement=engagement, methodology=methodology)
    login("analyst")

    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map-canvas[data-drawn=true]")
    drawn = _drawn(page)
    assert drawn["regions"] == ["466"]  # Mali, shaded by its composite
    assert sorted(drawn["actors"]) == [1, 2] and drawn["engagements"] == 1  # NE 1, ML 2
    box = page.locator("#map-canvas").bounding_box()
    x, y = page.evaluate(f"{CHART}.convertToPixel({{geoIndex: 0}}, [-1.5, 18])")
    page.mouse.click(box["x"] + x, box["y"] + y)  # Mali's shape
    page.locator("#map-selection a", has_text="Mopti Women").wait_for()
    assert "Secret Circle" not in page.content()
    screenshot(page, "map-1366")

    for _ in range(3):
        page.click("[data-map-zoom=in]")  # zoom 8: points cluster by place, cells of 3°
    # (wait_for_function evaluates a string, which the page's CSP forbids: poll instead)
    for _ in range(120):
        if len(_drawn(page)["actors"]) == 3:
            break
        page.wait_for_timeout(250)
    assert sorted(_drawn(page)["actors"]) == [1, 1, 1]  # Mopti, Gao, and Niger by country

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map-canvas[data-drawn=true]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "map-390")
