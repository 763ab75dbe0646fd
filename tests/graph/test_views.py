"""The explorer page, its table view and exports: same filters, same restriction."""

import csv
import io

import networkx as nx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import RestrictedReadLog
from graph.services import graph_snapshots_refresh
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory


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


def test_table_view_pages_and_sorts_both_tables(client, analyst, registry):
    login_verified(client, analyst)
    url = reverse("graph:table")
    response = client.get(url, {"ordering": "-name", "per_page": 25})
    names = [node["name"] for node in response.context["nodes"]]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert "Quiet Broker" not in names  # the restricted broker, for an uncleared reader
    html = response.content.decode()
    assert 'aria-sort="descending"' in html and "Saved views" in html
    ties = client.get(url, {"tie_ordering": "-strength"}).context["edges"]
    strengths = [edge["strength"] for edge in ties]
    assert strengths == sorted(strengths, reverse=True)
    # The table's own parameters are not graph filters: the same graph, no error.
    assert not client.get(url, {"tie_page": 2, "columns_set": 1}).context["errors"]
    # Many actors: 25 a page.
    for i in range(30):
        StakeholderFactory(name=f"Extra {i:02}", country="KE")
    response = client.get(url, {"per_page": 25, "page": 2})
    assert len(response.context["nodes"]) == 10  # 35 public actors: 25, then 10
    assert "Page 2 of 2" in response.content.decode()


def test_table_view_runs_the_same_queries_for_few_and_many_actors(
    client, analyst, registry, django_assert_num_queries
):
    login_verified(client, analyst)
    url = reverse("graph:table")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(40):
        StakeholderFactory(name=f"Extra {i:02}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["nodes"]) == 45


def test_the_actors_csv_follows_the_tables_sort(client, analyst, registry):
    login_verified(client, analyst)
    response = client.get(
        reverse("graph:export", args=["csv"]), {"of": "actors", "ordering": "name", "page": 3}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["name"] for row in rows] == sorted((row["name"] for row in rows), key=str.casefold)
    assert "Quiet Broker" not in {row["name"] for row in rows}
