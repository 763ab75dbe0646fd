"""/api/v1/graph/ and /api/v1/graph/path/: shapes, filters, restriction, query counts."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import RestrictedReadLog
from accounts.services import token_issue
from graph.models import GraphSnapshot
from graph.services import graph_snapshots_refresh
from stakeholders.choices import Kind, Sensitivity, TieKind
from tests.api.conftest import with_token
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory, TieFactory

from .conftest import signed_in

URL = "/api/v1/graph/"
PATH_URL = "/api/v1/graph/path/"


def names(body) -> set[str]:
    return {node["name"] for node in body["nodes"]}


def test_urls_reverse():
    assert reverse("graph-api:graph") == URL
    assert reverse("graph-api:path") == PATH_URL


def test_nodes_and_edges_have_the_documented_shape(registry, analyst):
    graph_snapshots_refresh()
    body = signed_in(analyst).get(URL).json()
    state = next(node for node in body["nodes"] if node["id"] == registry.state.pk)
    assert state["name"] == "Ministry of Peace"
    assert state["kind"] == "state"
    assert state["country"] == "NO"
    assert state["degree"] == 1
    assert set(state["metrics"]) == {
        "degree", "betweenness", "constraint", "effective_size", "community"
    }  # fmt: skip
    assert set(state["position"]) == {"x", "y"}
    edge = next(edge for edge in body["edges"] if edge["source"] == registry.state.pk)
    assert edge == {
        "id": edge["id"], "source": registry.state.pk, "target": registry.ngo.pk,
        "kind": "funds", "strength": 0.9,
    }  # fmt: skip
    assert body["truncated"] is False
    assert body["total_nodes"] == 5
    assert body["metrics_computed_at"]
    assert body["candidates"] == []
    assert body["gaps"] is None


def test_without_a_snapshot_metrics_and_positions_are_null(registry, analyst):
    body = signed_in(analyst).get(URL).json()
    assert all(node["metrics"] is None and node["position"] is None for node in body["nodes"])
    assert body["metrics_computed_at"] is None


def test_a_hidden_actor_and_its_ties_vanish_for_people_not_cleared(registry, analyst):
    body = signed_in(analyst).get(URL).json()
    ids = {node["id"] for node in body["nodes"]}
    assert registry.broker.pk not in ids
    assert "Quiet Broker" not in str(body)
    assert all(registry.broker.pk not in (e["source"], e["target"]) for e in body["edges"])
    assert len(body["edges"]) == 3
    assert body["total_nodes"] == 5


def test_cleared_people_see_the_broker_and_the_read_is_recorded(registry, cleared_analyst):
    body = signed_in(cleared_analyst).get(URL).json()
    assert "Quiet Broker" in names(body)
    assert len(body["edges"]) == 5
    log = RestrictedReadLog.objects.get(user=cleared_analyst)
    assert log.stakeholder_ids == [registry.broker.pk]


def test_metrics_served_match_the_readers_audience(registry, analyst, cleared_analyst):
    graph_snapshots_refresh()
    public = signed_in(analyst).get(URL).json()
    full = signed_in(cleared_analyst).get(URL).json()
    women_public = next(n for n in public["nodes"] if n["id"] == registry.womens.pk)
    women_full = next(n for n in full["nodes"] if n["id"] == registry.womens.pk)
    # Through the hidden broker the women's group is a bridge; without it, it is a leaf.
    assert women_public["metrics"]["betweenness"] == 0.0
    assert women_public["metrics"]["degree"] == 1
    assert women_full["metrics"]["betweenness"] > 0
    assert women_full["metrics"]["degree"] == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "state"}, {"Ministry of Peace"}),
        ({"kind": ["state", "ngo"]}, {"Ministry of Peace", "Relief Now"}),
        ({"country": "KE"}, {"Relief Now", "Women Mediators"}),
        ({"region": "Western Europe"}, {"Telco Ltd"}),
        ({"q": "telco"}, {"Telco Ltd"}),
    ],
)
def test_stakeholder_filters_are_the_registrys(registry, analyst, query, expected):
    body = signed_in(analyst).get(URL, query).json()
    assert names(body) == expected


def test_outcome_filter_shows_its_holders_and_their_gaps(registry, analyst):
    body = signed_in(analyst).get(URL, {"outcome": registry.outcome.pk}).json()
    # The restricted broker holds a stake too, but is neither shown nor counted.
    assert names(body) == {"Ministry of Peace", "Relief Now", "Telco Ltd"}
    assert body["gaps"] == ["no women's group", "no local actor", "no diaspora actor"]


def test_min_strength_and_tie_kind_filter_edges(registry, analyst):
    client = signed_in(analyst)
    strong = client.get(URL, {"min_strength": 0.6}).json()
    assert {(e["source"], e["target"]) for e in strong["edges"]} == {
        (registry.state.pk, registry.ngo.pk), (registry.firm.pk, registry.diaspora.pk)
    }  # fmt: skip
    funds = client.get(URL, {"tie_kind": TieKind.PARTNERS_WITH}).json()
    assert [e["kind"] for e in funds["edges"]] == ["partners_with"]


def test_ego_view_keeps_actors_within_the_hops(registry, analyst):
    client = signed_in(analyst)
    one = client.get(URL, {"ego": registry.ngo.pk, "hops": 1}).json()
    assert names(one) == {"Ministry of Peace", "Relief Now", "Women Mediators"}
    two = client.get(URL, {"ego": registry.state.pk, "hops": 2}).json()
    assert names(two) == {"Ministry of Peace", "Relief Now", "Women Mediators"}


def test_an_ego_that_is_hidden_is_refused_like_one_that_does_not_exist(registry, analyst):
    client = signed_in(analyst)
    hidden = client.get(URL, {"ego": registry.broker.pk})
    missing = client.get(URL, {"ego": 999_999})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert "ego" in hidden.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"min_strength": 2}, "min_strength"),
        ({"hops": 3, "ego": 1}, "hops"),
        ({"kind": "spaceship"}, "kind"),
        ({"max_nodes": 0}, "max_nodes"),
        ({"outcome": 999_999}, "outcome"),
        ({"shape": "table"}, "shape"),
    ],
)
def test_invalid_input_names_the_field(registry, analyst, query, field):
    response = signed_in(analyst).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def rows_of(columns: dict) -> list[dict]:
    """The i-th entry of every array of ``columns`` as one object (nested columns nested)."""
    size = len(columns["id"])
    return [
        {
            name: (
                None
                if values is None
                else {inner: column[i] for inner, column in values.items()}
                if isinstance(values, dict)
                else values[i]
            )
            for name, values in columns.items()
        }
        for i in range(size)
    ]


@pytest.mark.parametrize("reader", ["analyst", "cleared_analyst"])
@pytest.mark.parametrize(
    "query", [{}, {"candidates": "true"}, {"outcome": "outcome"}, {"kind": "ngo"}]
)
def test_columns_carry_exactly_the_graph_of_objects(registry, request, reader, query):
    """shape=columns is the map's compact form of the same response, for the same audience."""
    graph_snapshots_refresh()
    if query.get("outcome"):
        query = {"outcome": registry.outcome.pk}
    client = signed_in(request.getfixturevalue(reader))
    objects = client.get(URL, query).json()
    columns = client.get(URL, {**query, "shape": "columns"}).json()
    assert columns.pop("shape") == "columns"
    nodes = []
    for row in rows_of(columns["nodes"]):
        x, y = row.pop("x"), row.pop("y")
        row["position"] = None if x is None else {"x": x, "y": y}
        for nested in ("metrics", "stake"):
            if row[nested] is not None and all(v is None for v in row[nested].values()):
                row[nested] = None
        nodes.append(row)
    assert nodes == objects.pop("nodes")
    assert rows_of(columns.pop("edges")) == objects.pop("edges")
    del columns["nodes"]
    assert columns == objects
    if reader == "analyst":
        assert registry.broker.pk not in nodes_ids(nodes)
        assert "Quiet Broker" not in str(columns)


def nodes_ids(nodes: list[dict]) -> set[int]:
    return {node["id"] for node in nodes}


def test_columns_without_a_snapshot_or_outcome_say_null(registry, analyst):
    body = signed_in(analyst).get(URL, {"shape": "columns"}).json()
    assert body["nodes"]["metrics"] is None and body["nodes"]["stake"] is None
    assert set(body["nodes"]["x"]) == {None}
    assert len(body["nodes"]["id"]) == len(body["nodes"]["name"]) == 5
    assert len(body["edges"]["id"]) == len(body["edges"]["strength"]) == 3


def test_the_cap_keeps_the_best_connected_and_says_truncated(registry, analyst):
    body = signed_in(analyst).get(URL, {"max_nodes": 2}).json()
    assert body["truncated"] is True
    assert body["total_nodes"] == 5
    assert len(body["nodes"]) == 2
    # Relief Now has two visible ties; the others one (ties broken by id: the oldest first).
    assert names(body) == {"Relief Now", "Ministry of Peace"}


def test_partner_tokens_and_anonymous_callers_are_refused(registry):
    token = token_issue(partner="Portal", created_by=None)
    assert with_token(token.plaintext).get(URL).status_code == 403
    assert with_token(token.plaintext).get(PATH_URL, {"source": 1, "target": 2}).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def _grow(n: int):
    actors = StakeholderFactory.create_batch(n, kind=Kind.NGO)
    for a, b in zip(actors, actors[1:], strict=False):
        TieFactory(from_stakeholder=a, to_stakeholder=b)
    StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)


def _count_queries(client, django_assert_num_queries, query, expected):
    with django_assert_num_queries(expected):
        response = client.get(URL, query)
    assert response.status_code == 200
    return response.json()


# Session, user, the user's two permission lookups; then stakeholders, ties, the snapshot (and
# candidates when asked for): the same for 7 and for 67 actors. The whole map (columns without
# filters) first reads the registry's fingerprint (its cache key, graph/api/map_cache.py): one more
# on PostgreSQL, where it is kept; _grow changes the registry, so both reads here build it afresh
# (test_map_cache.py counts the kept answer's 5).
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, 7),
        ({"kind": "ngo", "min_strength": 0.1}, 7),
        ({"region": "Eastern Africa", "candidates": "true"}, 8),
        ({"shape": "columns"}, 8 if connection.vendor == "postgresql" else 7),
        ({"shape": "columns", "kind": "ngo"}, 7),
    ],
)
def test_query_count_does_not_grow_with_the_graph(
    db, analyst, django_assert_num_queries, query, expected
):
    graph_snapshots_refresh()
    client = signed_in(analyst)
    _grow(5)
    small = node_count(_count_queries(client, django_assert_num_queries, query, expected))
    _grow(60)
    body = _count_queries(client, django_assert_num_queries, query, expected)
    assert node_count(body) > small


def node_count(body: dict) -> int:
    return len(body["nodes"]["id"] if body.get("shape") == "columns" else body["nodes"])


def test_query_count_with_an_outcome_filter_is_constant(
    registry, analyst, django_assert_num_queries
):
    client = signed_in(analyst)
    query = {"outcome": registry.outcome.pk}
    client.get(URL, query)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        client.get(URL, query)
    expected = len(context.captured_queries)
    _grow(30)
    _count_queries(client, django_assert_num_queries, query, expected)


def test_path_goes_through_visible_ties_only(registry, analyst, cleared_analyst):
    query = {"source": registry.state.pk, "target": registry.diaspora.pk}
    hidden = signed_in(analyst).get(PATH_URL, query).json()
    assert hidden == {"found": False, "nodes": [], "edges": []}
    full = signed_in(cleared_analyst).get(PATH_URL, query).json()
    assert full["found"] is True
    assert [node["name"] for node in full["nodes"]] == [
        "Ministry of Peace", "Relief Now", "Women Mediators", "Quiet Broker", "Telco Ltd",
        "Somali Diaspora Network",
    ]  # fmt: skip
    assert len(full["edges"]) == 5


def test_path_between_visible_actors(registry, analyst):
    body = (
        signed_in(analyst)
        .get(PATH_URL, {"source": registry.state.pk, "target": registry.womens.pk})
        .json()
    )
    assert [node["id"] for node in body["nodes"]] == [
        registry.state.pk, registry.ngo.pk, registry.womens.pk
    ]  # fmt: skip
    assert body["edges"][0]["kind"] == "funds"
    # Each hop says when and where from: the chain's details on the page.
    assert set(body["edges"][0]) >= {"start_date", "end_date", "origin", "strength"}


def test_path_refuses_a_hidden_end_like_a_missing_one(registry, analyst):
    client = signed_in(analyst)
    hidden = client.get(PATH_URL, {"source": registry.state.pk, "target": registry.broker.pk})
    missing = client.get(PATH_URL, {"source": registry.state.pk, "target": 999_999})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert hidden.json()["error"]["fields"] == {"target": ["No such stakeholder."]}


def test_snapshots_are_stored_per_audience(registry):
    graph_snapshots_refresh()
    public = GraphSnapshot.objects.get(audience="public")
    cleared = GraphSnapshot.objects.get(audience="cleared")
    assert str(registry.broker.pk) not in public.metrics
    assert str(registry.broker.pk) not in public.positions
    assert public.node_count == 5 and public.edge_count == 3
    assert cleared.node_count == 6 and cleared.edge_count == 5


def test_the_edge_cap_keeps_the_strongest_ties(registry, analyst, monkeypatch):
    from graph import selectors

    monkeypatch.setattr(selectors, "MAX_EDGES", 2)
    body = signed_in(analyst).get(URL).json()
    assert body["truncated"] is True
    assert body["total_edges"] == 3
    assert sorted(edge["strength"] for edge in body["edges"]) == [0.7, 0.9]


def test_max_edges_keeps_the_strongest_ties_and_is_checked(registry, analyst):
    client = signed_in(analyst)
    body = client.get(URL, {"max_edges": 2}).json()
    assert body["truncated"] is True
    assert body["total_edges"] == 3
    assert sorted(edge["strength"] for edge in body["edges"]) == [0.7, 0.9]
    for bad in (0, 100_001):
        response = client.get(URL, {"max_edges": bad})
        assert response.status_code == 400
        assert "max_edges" in response.json()["error"]["fields"]


def test_the_page_asks_for_no_more_than_the_browser_can_draw(client, analyst):
    from graph.selectors import BROWSER_MAX_EDGES, BROWSER_MAX_NODES

    login_verified(client, analyst)
    html = client.get(reverse("graph:explorer")).content.decode()
    assert f'data-max-nodes="{BROWSER_MAX_NODES}" data-max-edges="{BROWSER_MAX_EDGES}"' in html


def test_as_of_keeps_the_ties_that_held_on_that_day(registry, analyst):
    from datetime import date

    from stakeholders.models import Tie

    Tie.objects.filter(from_stakeholder=registry.state).update(
        start_date=date(2020, 1, 1), end_date=date(2022, 12, 31)
    )
    Tie.objects.filter(from_stakeholder=registry.ngo).update(start_date=date(2023, 6, 1))
    client = signed_in(analyst)

    def kinds(day):
        body = client.get(URL, {"as_of": day}).json()
        return sorted(edge["kind"] for edge in body["edges"])

    assert kinds("2021-05-01") == ["funds", "funds"]  # state→ngo, and the undated firm→diaspora
    assert kinds("2024-01-01") == ["funds", "partners_with"]  # state→ngo ended, ngo→womens began
    assert kinds("2019-01-01") == ["funds"]
    response = client.get(URL, {"as_of": "yesterday"})
    assert response.status_code == 400
    assert "as_of" in response.json()["error"]["fields"]
    # The path follows the same day.
    path = client.get(
        PATH_URL,
        {"source": registry.state.pk, "target": registry.womens.pk, "as_of": "2021-05-01"},
    ).json()
    assert path["found"] is False


VIEWS_URL = "/api/v1/graph/views/"


def test_saved_views_are_kept_per_audience(registry, analyst, cleared_analyst):
    from graph.models import SavedView

    assert reverse("graph-api:view-list") == VIEWS_URL
    cleared = signed_in(cleared_analyst)
    response = cleared.post(
        VIEWS_URL,
        {"name": "Around the broker", "notes": "who the broker reaches",
         "query": f"node={registry.broker.pk}&hide=firm",
         "camera": {"x": 0.4, "y": 0.6, "ratio": 0.5}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    secret = response.json()
    assert secret["audience"] == "cleared"
    assert secret["url"] == f"/graph/views/{secret['slug']}/"
    public = signed_in(analyst)
    shared = public.post(VIEWS_URL, {"name": "Kenya", "query": "country=KE"}, format="json")
    assert shared.status_code == 201
    # Someone not cleared never sees the cleared view, in the list or by its link.
    assert [v["name"] for v in public.get(VIEWS_URL).json()["results"]] == ["Kenya"]
    assert [v["name"] for v in cleared.get(VIEWS_URL).json()["results"]] == [
        "Kenya", "Around the broker",
    ]  # fmt: skip
    missing = public.get("/graph/views/no-such-view/")
    hidden = public.get(secret["url"])
    assert hidden.status_code == missing.status_code == 404
    # The link opens the page with the view's state and camera.
    opened = cleared.get(secret["url"])
    assert opened.status_code == 302
    assert opened["Location"].startswith("/graph/?")
    assert f"node={registry.broker.pk}" in opened["Location"] and "cr=0.5" in opened["Location"]
    assert SavedView.objects.get(slug=secret["slug"]).owner == cleared_analyst


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "query": "password=1"}, "query"),
        ({"name": "x", "camera": {"ratio": 0}}, "camera"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_a_saved_view_with_bad_input_names_the_field(analyst, db, payload, field):
    from graph.models import SavedView

    response = signed_in(analyst).post(VIEWS_URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not SavedView.objects.exists()


def test_listing_saved_views_costs_the_same_for_one_and_many(
    analyst, db, django_assert_num_queries
):
    from graph.services import graph_view_save

    client = signed_in(analyst)
    graph_view_save(user=analyst, name="one")
    client.get(VIEWS_URL)
    with django_assert_num_queries(5):
        assert len(client.get(VIEWS_URL).json()["results"]) == 1
    for i in range(20):
        graph_view_save(user=analyst, name=f"view {i}")
    with django_assert_num_queries(5):
        assert len(client.get(VIEWS_URL).json()["results"]) == 21
