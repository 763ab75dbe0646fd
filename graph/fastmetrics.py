"""The graph's metrics and layout on igraph (C): the same figures as ``metrics`` (networkx, kept as
the reference), fast enough for a registry of 100,000 actors. No Django here.

Same graph as ``metrics.graph_build``: undirected, several ties between a pair count once with the
strongest strength as the weight. Same definitions, checked against networkx in
tests/graph/test_fastmetrics.py (exactly on small graphs, by rank on large ones):

- degree: distinct actors tied to it;
- betweenness: normalised as networkx does for an undirected graph, 2·b / ((n−1)(n−2)); exact up to
  ``EXACT_BETWEENNESS_MAX_NODES`` nodes, above it estimated from k source nodes drawn with
  ``seed`` (Brandes & Pich 2007; k = ``betweenness_samples``: 300, fewer on millions of ties),
  scaled by n/k as networkx's ``k`` does;
- Burt's constraint (unweighted, like ``nx.constraint(graph)``); None for an isolate;
- effective size (Borgatti's form for unweighted graphs, as networkx): d − 2t/d, where t counts
  the ties among its d neighbours; None for an isolate;
- community: Louvain (multilevel modularity, weighted), numbered by size, largest 0.
"""

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

import igraph as ig
import numpy as np

from .metrics import SEED, EdgeRow

# Measured on this shared 2-core machine (load average 8–11): exact betweenness on igraph took
# 69 s at 5,000 actors / 50,000 ties (it grows as n·m); a 300-source sample costs k/n of that and
# keeps the top of the ranking (tests/graph/test_fastmetrics.py), so above 2,000 actors it samples.
EXACT_BETWEENNESS_MAX_NODES = 2_000
BETWEENNESS_SAMPLES = 300
# Each source costs one pass over the ties: on very large graphs fewer sources (not below 100)
# keep the estimate's cost near this many tie visits (100,000 actors / 1,000,000 ties: 100).
BETWEENNESS_WORK_BUDGET = 100_000_000
BETWEENNESS_MIN_SAMPLES = 100


def betweenness_samples(nodes: int, ties: int) -> int:
    """How many sources the estimate draws for a graph of this size."""
    budget = BETWEENNESS_WORK_BUDGET // max(ties, 1)
    return min(nodes, BETWEENNESS_SAMPLES, max(BETWEENNESS_MIN_SAMPLES, budget))


@dataclass
class IGraph:
    graph: ig.Graph
    ids: list[int]  # vertex index -> stakeholder id


def graph_build(node_ids: Iterable[int], edges: Iterable[EdgeRow]) -> IGraph:
    """An undirected igraph of ``node_ids``; edges to unknown nodes and loops are ignored."""
    ids = list(dict.fromkeys(node_ids))
    index = {pk: i for i, pk in enumerate(ids)}
    strongest: dict[tuple[int, int], float] = {}
    for edge in edges:
        a, b = index.get(edge.source), index.get(edge.target)
        if a is None or b is None or a == b:
            continue
        key = (a, b) if a < b else (b, a)
        if edge.strength > strongest.get(key, -1.0):
            strongest[key] = edge.strength
    graph = ig.Graph(n=len(ids), edges=list(strongest), directed=False)
    graph.es["weight"] = list(strongest.values())
    return IGraph(graph, ids)


def betweenness(graph: ig.Graph, *, seed: int = SEED, exact_max: int | None = None) -> list[float]:
    """Normalised betweenness; exact up to ``exact_max`` nodes, sampled from sources above."""
    n = graph.vcount()
    if n <= 2:
        return [0.0] * n
    exact_max = EXACT_BETWEENNESS_MAX_NODES if exact_max is None else exact_max
    if n <= exact_max:
        raw = graph.betweenness(directed=False)
        scale = 2.0 / ((n - 1) * (n - 2))
    else:
        k = betweenness_samples(n, graph.ecount())
        sources = random.Random(seed).sample(range(n), k)
        raw = betweenness_from_sources(graph, sources)
        scale = 2.0 * n / (k * (n - 1) * (n - 2))
    return [value * scale for value in raw]


def betweenness_from_sources(graph: ig.Graph, sources: list[int]) -> list[float]:
    """Shortest-path betweenness over the paths from ``sources`` to every node (unnormalised,
    each unordered pair counted once, as ``nx.betweenness_centrality_subset``)."""
    return graph.betweenness(directed=False, sources=sources, targets=None)


def effective_size(graph: ig.Graph) -> list[float | None]:
    degrees = np.array(graph.degree(), dtype=float)
    triangles = np.zeros(graph.vcount())
    found = graph.list_triangles()
    if found:
        np.add.at(triangles, np.asarray(found).ravel(), 1.0)
    return [
        None if d == 0 else float(d - 2.0 * t / d) for d, t in zip(degrees, triangles, strict=True)
    ]


def communities(graph: ig.Graph, *, seed: int = SEED) -> list[int]:
    """Louvain community of every vertex, numbered by size (largest 0), ties by lowest vertex."""
    if graph.vcount() == 0:
        return []
    rng_state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        found = graph.community_multilevel(weights="weight" if graph.ecount() else None)
    finally:
        ig.set_random_number_generator(random)
        random.setstate(rng_state)
    groups = sorted(found, key=lambda members: (-len(members), min(members)))
    membership = [0] * graph.vcount()
    for number, members in enumerate(groups):
        for vertex in members:
            membership[vertex] = number
    return membership


def graph_metrics(built: IGraph, *, seed: int = SEED, exact_max: int | None = None) -> dict:
    """Degree, betweenness, constraint, effective size and community of every node, keyed by
    stakeholder id, in the shape of ``metrics.graph_metrics``."""
    graph = built.graph
    if graph.vcount() == 0:
        return {}
    degree = graph.degree()
    between = betweenness(graph, seed=seed, exact_max=exact_max)
    constraint = graph.constraint()
    effective = effective_size(graph)
    community = communities(graph, seed=seed)
    result = {}
    for i, pk in enumerate(built.ids):
        c = constraint[i]
        e = effective[i]
        result[pk] = {
            "degree": degree[i],
            "betweenness": round(between[i], 6),
            "constraint": None if c != c else round(c, 6),
            "effective_size": None if e is None else round(e, 6),
            "community": community[i],
        }
    return result


def graph_layout(built: IGraph, *, seed: int = SEED) -> dict[int, list[float]]:
    """Positions ``{id: [x, y]}``: the connected actors by Fruchterman–Reingold (igraph's grid
    variant above 1,000 nodes: 0.8 s at 5,000 actors / 50,000 ties where DrL took 139 s), the
    largest component in the middle and the small ones around it, the actors without ties on a
    grid below them (the map hides them by default). The browser refines
    views of up to 3,000 actors with ForceAtlas2 (LinLog) and removes overlaps.

    The extent grows with the square root of the node count, as ``metrics.graph_layout``'s.
    """
    graph = built.graph
    n = graph.vcount()
    if n == 0:
        return {}
    connected = [v for v, d in enumerate(graph.degree()) if d > 0]
    isolated = [v for v, d in enumerate(graph.degree()) if d == 0]
    positions: dict[int, list[float]] = {}
    side = 40.0 * math.sqrt(n)
    if connected:
        sub = graph.induced_subgraph(connected)
        rng_state = random.getstate()
        ig.set_random_number_generator(random.Random(seed))
        try:
            xy = _components_layout(sub, side)
        finally:
            ig.set_random_number_generator(random)
            random.setstate(rng_state)
        for vertex, (x, y) in zip(connected, xy, strict=True):
            positions[built.ids[vertex]] = [round(float(x), 1), round(float(y), 1)]
    if isolated:
        side = max(side, 2 * max((abs(p[1]) for p in positions.values()), default=0.0))
        columns = max(1, math.ceil(math.sqrt(len(isolated)) * 2))
        step = side / max(columns, 1)
        top = side / 2 + 3 * step
        for i, vertex in enumerate(isolated):
            row, column = divmod(i, columns)
            positions[built.ids[vertex]] = [
                round(-side / 2 + column * step, 1),
                round(top + row * step, 1),
            ]
    return positions


def _force_layout(graph: ig.Graph) -> np.ndarray:
    """Fruchterman–Reingold of one connected graph, centred, as an (n, 2) array."""
    n = graph.vcount()
    if n <= 3:
        coords = np.array(graph.layout_circle().coords, dtype=float)
    else:
        iterations = 500 if n <= 2_000 else 200 if n <= 20_000 else 100
        # A nominal tie (strength 0) still holds its ends together a little.
        pull = [0.1 + weight for weight in graph.es["weight"]]
        coords = np.array(
            graph.layout_fruchterman_reingold(weights=pull, niter=iterations, grid="auto").coords,
            dtype=float,
        )
    return coords - coords.mean(axis=0)


def _components_layout(graph: ig.Graph, side: float) -> np.ndarray:
    """The largest component fills a disc of diameter ``side``; the smaller ones (pairs, small
    groups) sit around it on a spiral, each laid out on its own, so that none is flung far away
    and shrinks the map to a dot."""
    xy = np.zeros((graph.vcount(), 2))
    components = sorted(graph.connected_components(), key=lambda c: (-len(c), min(c)))
    giant = components[0]
    coords = _force_layout(graph.induced_subgraph(giant))
    # A few stragglers at the rim must not shrink everyone else: scale by the 98th percentile.
    radius = float(np.percentile(np.sqrt((coords**2).sum(axis=1)), 98)) or 1.0
    xy[giant] = coords / radius * (side / 2)
    step = side / max(8.0, math.sqrt(graph.vcount()))
    for j, members in enumerate(components[1:]):
        angle = j * 2.399963  # the golden angle spreads them evenly around
        distance = side / 2 + step * (1 + math.sqrt(j + 1))
        centre = np.array([math.cos(angle), math.sin(angle)]) * distance
        local = _force_layout(graph.induced_subgraph(members))
        extent = float(np.sqrt((local**2).sum(axis=1)).max()) or 1.0
        xy[members] = centre + local / extent * step * 0.35 * math.sqrt(len(members))
    return xy
