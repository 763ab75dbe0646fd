"""Graph metrics as plain functions over networkx graphs: no Django here.

The graph is undirected: a tie of any kind links two actors, and several ties between the same
pair count once, with the strongest strength as the edge weight.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

# Above this many nodes betweenness is estimated from a sample of source nodes (Brandes 2008).
EXACT_BETWEENNESS_MAX_NODES = 1_000
BETWEENNESS_SAMPLES = 300
SEED = 42


@dataclass(frozen=True)
class EdgeRow:
    source: int
    target: int
    kind: str
    strength: float


def graph_build(node_ids: Iterable[int], edges: Iterable[EdgeRow]) -> nx.Graph:
    """An undirected graph of ``node_ids``; edges to unknown nodes are ignored."""
    graph = nx.Graph()
    graph.add_nodes_from(node_ids)
    for edge in edges:
        if edge.source not in graph or edge.target not in graph or edge.source == edge.target:
            continue
        current = graph.get_edge_data(edge.source, edge.target)
        if current is None or edge.strength > current["weight"]:
            graph.add_edge(edge.source, edge.target, weight=edge.strength)
    return graph


def betweenness(graph: nx.Graph, *, seed: int = SEED) -> dict:
    """Normalised betweenness; exact up to EXACT_BETWEENNESS_MAX_NODES, sampled above."""
    n = graph.number_of_nodes()
    k = None if n <= EXACT_BETWEENNESS_MAX_NODES else min(BETWEENNESS_SAMPLES, n)
    return nx.betweenness_centrality(graph, k=k, normalized=True, seed=seed)


def communities(graph: nx.Graph, *, seed: int = SEED) -> dict:
    """Community number of every node (largest community is 0), by Louvain modularity."""
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    ordered = sorted(found, key=lambda members: (-len(members), min(members)))
    return {node: index for index, members in enumerate(ordered) for node in members}


def graph_metrics(graph: nx.Graph, *, seed: int = SEED) -> dict[int, dict]:
    """Degree, betweenness, Burt's constraint and effective size, and community of every node.

    Constraint is undefined (NaN in networkx) for an isolated node; it is reported as None.
    """
    if graph.number_of_nodes() == 0:
        return {}
    between = betweenness(graph, seed=seed)
    constraint = nx.constraint(graph)
    effective = nx.effective_size(graph)
    community = communities(graph, seed=seed)
    result = {}
    for node in graph.nodes:
        c = constraint.get(node)
        e = effective.get(node)
        result[node] = {
            "degree": graph.degree(node),
            "betweenness": round(between.get(node, 0.0), 6),
            "constraint": None if c is None or c != c else round(c, 6),
            "effective_size": None if e is None or e != e else round(e, 6),
            "community": community.get(node),
        }
    return result


def graph_layout(graph: nx.Graph, *, seed: int = SEED) -> dict:
    """Positions from a seeded force-directed layout, as ``{node: [x, y]}``.

    The drawing's extent grows with the square root of the node count, so that nodes of a
    constant on-screen size keep about the same room around them in a small and a large graph.
    """
    n = graph.number_of_nodes()
    if n == 0:
        return {}
    scale = 40.0 * math.sqrt(n)
    iterations = 50 if n <= 2_000 else 30
    positions = nx.spring_layout(graph, seed=seed, scale=scale, iterations=iterations)
    return {node: [round(float(x), 1), round(float(y), 1)] for node, (x, y) in positions.items()}


def shortest_path(graph: nx.Graph, source: int, target: int) -> list[int]:
    """The fewest-hop path from ``source`` to ``target``; [] when none exists."""
    try:
        return nx.shortest_path(graph, source, target)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []


def ego_nodes(graph: nx.Graph, center: int, hops: int) -> set[int]:
    """``center`` and the actors within ``hops`` ties of it."""
    if center not in graph:
        return set()
    return set(nx.single_source_shortest_path_length(graph, center, cutoff=hops))


def neighbourhood(pairs: Iterable[tuple[int, int]], center: int, hops: int) -> set[int]:
    """``center`` and the actors within ``hops`` of it over the undirected ``pairs`` (the same
    set as ``ego_nodes`` on a graph of those pairs)."""
    adjacency: dict[int, set[int]] = {}
    for a, b in pairs:
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    found, frontier = {center}, {center}
    for _ in range(hops):
        frontier = {n for node in frontier for n in adjacency.get(node, ())} - found
        found |= frontier
    return found


GAP_WOMENS_GROUP = "no women's group"
GAP_LOCAL = "no local actor"
GAP_DIASPORA = "no diaspora actor"


def outcome_gaps(holders: Mapping[int, Iterable[tuple[str, str]]]) -> dict[int, list[str]]:
    """For each outcome, which voices its stakeholders lack.

    ``holders`` maps an outcome to the (kind, scope) of each stakeholder with a stake in it;
    the answer lists, per outcome, the gaps among: no women's group, no local, no diaspora actor.
    """
    gaps = {}
    for outcome, actors in holders.items():
        actors = list(actors)
        kinds = {kind for kind, _ in actors}
        scopes = {scope for _, scope in actors}
        missing = []
        if "womens_group" not in kinds:
            missing.append(GAP_WOMENS_GROUP)
        if "local" not in scopes:
            missing.append(GAP_LOCAL)
        if "diaspora" not in kinds:
            missing.append(GAP_DIASPORA)
        gaps[outcome] = missing
    return gaps
