"""The explorer page, its table view and exports: same filters, same restriction."""

import csv
import io

import networkx as nx
import pytest
from django.urls import reverse

from accounts.models import RestrictedReadLog
from graph.services import graph_snapshots_refresh
from tests.conftest import login_verified


def test_the_nav_lists_the_graph_and_the_page_loads_the_vendored_scripts(client, analyst):
    login_verified(client, analyst)
    response = client.get(reverse("graph:explorer"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/graph/" aria-current="page"' in html
    assert "vendor/graph-map.min.js" in html and "js/graph.js" in html
    assert "cdn" not in html.lower()
    assert "Metrics have not been computed yet" in html


def test_the_page_says_when_metrics_were_computed(client, analyst, registry):
    graph_snapshots_refresh()
    login_verified(client, analyst)
    html = client.get(reverse("graph:explorer")).content.decode()
    assert "Layout and metrics computed" in html
    assert "5 actors, 3 links" in html  # the public graph: the broker is not counted


def test_the_page_needs_signing_in(client):
    response = client.get(reverse("graph:explorer"))
    assert response.status_code == 302


def test_table_view_lists_the_same_filtered_graph(client, analyst, registry):
    login_verified(client, analyst)
    response = client.get(reverse("graph:table"), {"country": "KE"})
    html = response.content.decode()
    assert "Relief Now" in html and "Women Mediators" in html
    assert "Ministry of Peace" not in html
    assert "Quiet Broker" not in html
    assert "2 actors and 1 tie." in html


def test_table_view_names_the_invalid_field(client, analyst, registry):
    login_verified(client, analyst)
    html = client.get(reverse("graph:table"), {"min_strength": "7"}).content.decode()
    assert "min_strength:" in html


def test_csv_export_of_the_filter(client, analyst, registry):
    login_verified(client, analyst)
    response = client.get(reverse("graph:export", args=["csv"]), {"min_strength": 0.6})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {(row["source"], row["target"]) for row in rows} == {
        ("Ministry of Peace", "Relief Now"),
        ("Telco Ltd", "Somali Diaspora Network"),
    }


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_gexf_and_graphml_exports_load_in_networkx(client, analyst, registry, fmt):
    graph_snapshots_refresh()
    login_verified(client, analyst)
    response = client.get(reverse("graph:export", args=[fmt]))
    assert response.status_code == 200
    assert f".{fmt}" in response["Content-Disposition"]
    reader = nx.read_gexf if fmt == "gexf" else nx.read_graphml
    graph = reader(io.BytesIO(response.content))
    assert graph.number_of_nodes() == 5
    assert graph.number_of_edges() == 3
    assert b"Quiet Broker" not in response.content


def test_exports_by_cleared_people_include_the_broker_and_are_recorded(
    client, cleared_analyst, registry
):
    login_verified(client, cleared_analyst)
    response = client.get(reverse("graph:export", args=["csv"]))
    assert "Quiet Broker" in response.content.decode()
    assert RestrictedReadLog.objects.filter(user=cleared_analyst).count() == 1


def test_unknown_export_format_and_invalid_filter(client, analyst):
    login_verified(client, analyst)
    assert client.get(reverse("graph:export", args=["xlsx"])).status_code == 400
    response = client.get(reverse("graph:export", args=["csv"]), {"hops": 5, "ego": 1})
    assert response.status_code == 400
    assert b"hops" in response.content
