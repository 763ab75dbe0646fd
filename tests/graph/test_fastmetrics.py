"""The fast metrics (igraph) agree with the reference (networkx): exactly on small graphs, and on
large ones the sampled betweenness keeps the reference's top 50 in order."""

import random

import networkx as nx
import pytest
from scipy.stats import spearmanr

from graph import fastmetrics, metrics
from graph.metrics import EdgeRow


def rows(graph: nx.Graph, *, seed: int = 0) -> list[EdgeRow]:
    rnd = random.Random(seed)
    return [EdgeRow(a, b, "partners_with", round(rnd.random(), 2)) for a, b in graph.edges]


def small_graphs() -> list[nx.Graph]:
    karate = nx.karate_club_graph()
    sparse = nx.gnm_random_graph(80, 160, seed=7)
    sparse.add_nodes_from([500, 501])  # actors without ties
    clustered = nx.relaxed_caveman_graph(6, 8, 0.1, seed=3)
    return [karate, sparse, clustered]


@pytest.mark.parametrize("index", range(3))
def test_fast_metrics_equal_the_reference_on_small_graphs(index):
    source = small_graphs()[index]
    edges = rows(source)
    # Ties recorded twice (both ways, another kind) count once, as in the reference.
    edges += [EdgeRow(b, a, "funds", 0.1) for a, b in list(source.edges)[:5]]
    reference = metrics.graph_metrics(metrics.graph_build(source.nodes, edges))
    fast = fastmetrics.graph_metrics(fastmetrics.graph_build(source.nodes, edges))
    assert set(fast) == set(reference)
    for node, expected in reference.items():
        got = fast[node]
        assert got["degree"] == expected["degree"]
        assert got["betweenness"] == pytest.approx(expected["betweenness"], abs=2e-6)
        if expected["constraint"] is None:
            assert got["constraint"] is None and got["effective_size"] is None
        else:
            assert got["constraint"] == pytest.approx(expected["constraint"], abs=2e-6)
            assert got["effective_size"] == pytest.approx(expected["effective_size"], abs=2e-6)


def test_communities_find_the_same_clusters_as_the_reference():
    # Six cliques joined in a ring by one tie each: both Louvains find the six.
    source = nx.ring_of_cliques(6, 7)
    edges = rows(source)
    reference = metrics.graph_metrics(metrics.graph_build(source.nodes, edges))
    fast = fastmetrics.graph_metrics(fastmetrics.graph_build(source.nodes, edges))

    def partition(result):
        groups = {}
        for node, values in result.items():
            groups.setdefault(values["community"], set()).add(node)
        return sorted(sorted(group) for group in groups.values())

    assert partition(fast) == partition(reference)
    assert len(partition(fast)) == 6
    # Numbered by size, then by lowest member: the same numbers in both.
    assert {n: v["community"] for n, v in fast.items()} == {
        n: v["community"] for n, v in reference.items()
    }


def test_sampled_betweenness_is_networkx_over_the_same_sources():
    source = nx.gnm_random_graph(120, 360, seed=11)
    built = fastmetrics.graph_build(source.nodes, rows(source))
    n, sources = 120, random.Random(5).sample(range(120), 30)
    got = fastmetrics.betweenness_from_sources(built.graph, sources)
    expected = nx.betweenness_centrality_subset(
        source, sources=sources, targets=list(source.nodes), normalized=False
    )
    assert got == pytest.approx([expected[v] for v in range(n)], abs=1e-9)
    # Scaled as networkx scales its own k-sample: 2·n / (k·(n−1)·(n−2)).
    sampled = fastmetrics.betweenness(built.graph, exact_max=0)
    assert len(sampled) == n and max(sampled) > 0


def test_sampled_betweenness_keeps_the_reference_top_50_on_a_large_graph():
    source = nx.barabasi_albert_graph(2_500, 3, seed=2)
    built = fastmetrics.graph_build(source.nodes, rows(source))
    assert built.graph.vcount() > fastmetrics.EXACT_BETWEENNESS_MAX_NODES  # it samples here
    fast = fastmetrics.betweenness(built.graph)
    # The reference: networkx's exact betweenness (seconds at this size).
    reference = nx.betweenness_centrality(source)
    top = sorted(reference, key=lambda node: -reference[node])[:50]
    correlation = spearmanr([reference[v] for v in top], [fast[v] for v in top]).statistic
    assert correlation > 0.8
    fast_top = set(sorted(range(len(fast)), key=lambda v: -fast[v])[:50])
    assert len(fast_top & set(top)) >= 40


def test_layout_places_everyone_and_isolates_apart():
    source = nx.karate_club_graph()
    source.add_nodes_from([100, 101, 102])
    built = fastmetrics.graph_build(source.nodes, rows(source))
    positions = fastmetrics.graph_layout(built)
    assert set(positions) == set(source.nodes)
    lowest_connected = max(positions[v][1] for v in nx.karate_club_graph().nodes)
    assert all(positions[v][1] > lowest_connected for v in (100, 101, 102))
    # Seeded: the same graph gets the same map.
    assert fastmetrics.graph_layout(built) == positions
