"""The pure metrics equal networkx's on known graphs."""

import networkx as nx
import pytest

from graph import metrics
from graph.metrics import EdgeRow


def karate() -> nx.Graph:
    source = nx.karate_club_graph()
    return metrics.graph_build(
        source.nodes, [EdgeRow(a, b, "partners_with", 1.0) for a, b in source.edges]
    )


def test_metrics_equal_networkx_on_the_karate_club():
    graph = karate()
    reference = nx.karate_club_graph()
    result = metrics.graph_metrics(graph)
    between = nx.betweenness_centrality(reference)
    constraint = nx.constraint(reference)
    effective = nx.effective_size(reference)
    for node in reference.nodes:
        assert result[node]["degree"] == reference.degree(node)
        assert result[node]["betweenness"] == pytest.approx(between[node], abs=1e-6)
        assert result[node]["constraint"] == pytest.approx(constraint[node], abs=1e-6)
        assert result[node]["effective_size"] == pytest.approx(effective[node], abs=1e-6)
    # Louvain finds the club's known split into a handful of communities, numbered by size.
    sizes = {}
    for values in result.values():
        sizes[values["community"]] = sizes.get(values["community"], 0) + 1
    assert 2 <= len(sizes) <= 6
    assert sizes[0] == max(sizes.values())


def test_a_broker_has_the_highest_betweenness_and_lowest_constraint():
    # Two triangles joined only through node 7.
    edges = [(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (4, 6), (3, 7), (7, 4)]
    graph = metrics.graph_build(range(1, 8), [EdgeRow(a, b, "funds", 0.5) for a, b in edges])
    result = metrics.graph_metrics(graph)
    assert max(result, key=lambda n: result[n]["betweenness"]) == 7
    assert result[7]["constraint"] == pytest.approx(nx.constraint(graph)[7])
    assert result[7]["constraint"] == min(v["constraint"] for v in result.values())


def test_isolated_nodes_have_no_constraint_and_parallel_ties_count_once():
    graph = metrics.graph_build(
        [1, 2, 3],
        [
            EdgeRow(1, 2, "funds", 0.3),
            EdgeRow(2, 1, "partners_with", 0.9),
            EdgeRow(1, 9, "funds", 1),
        ],
    )
    assert graph.number_of_edges() == 1
    assert graph[1][2]["weight"] == 0.9
    result = metrics.graph_metrics(graph)
    assert result[3]["constraint"] is None
    assert result[3]["degree"] == 0


def test_betweenness_is_sampled_above_the_exact_limit(monkeypatch):
    monkeypatch.setattr(metrics, "EXACT_BETWEENNESS_MAX_NODES", 10)
    graph = karate()
    sampled = metrics.betweenness(graph)
    assert set(sampled) == set(graph.nodes)
    assert metrics.betweenness(graph) == sampled  # seeded: repeatable


def test_layout_is_seeded_and_shortest_path_and_ego():
    graph = karate()
    assert metrics.graph_layout(graph) == metrics.graph_layout(graph)
    assert metrics.shortest_path(graph, 0, 33)[0] == 0
    assert len(metrics.shortest_path(graph, 0, 33)) == nx.shortest_path_length(graph, 0, 33) + 1
    graph.add_node(99)
    assert metrics.shortest_path(graph, 0, 99) == []
    assert metrics.ego_nodes(graph, 0, 1) == {0, *graph.neighbors(0)}


def test_outcome_gaps():
    gaps = metrics.outcome_gaps(
        {
            1: [("womens_group", "local"), ("diaspora", "national")],
            2: [("ngo", "national")],
            3: [],
        }
    )
    assert gaps[1] == []
    assert gaps[2] == [metrics.GAP_WOMENS_GROUP, metrics.GAP_LOCAL, metrics.GAP_DIASPORA]
    assert gaps[3] == gaps[2]


def test_neighbourhood_equals_the_ego_graph_of_networkx():
    source = nx.karate_club_graph()
    source.add_node(99)
    for center in (0, 16, 33, 99):
        for hops in (1, 2):
            assert metrics.neighbourhood(source.edges, center, hops) == set(
                nx.ego_graph(source, center, radius=hops)
            )
