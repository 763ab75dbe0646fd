"""The overlap engine's pure core: arrays in, candidate pairs out. No Django, no database.

The registry arrives as a :class:`~.registry.Registry` — a sparse stakeholder × outcome matrix
of interest plus a few per-stakeholder and per-outcome arrays — and leaves as a
:class:`~.selection.Selection`, a set of scored pairs held column-wise in NumPy arrays.
Everything is vectorised: there is no Python loop over pairs, and the full pair matrix is never
built; each stakeholder's row is multiplied against the matrix with a top-n sparse product
(:mod:`.topn`, a compiled kernel) that keeps only its best partners.

The figures of a pair (the methodology page explains them in words, with worked examples):

* ``overlap(s, t) = A_s · A_t / (|A_s| |A_t|)``: the cosine similarity of the two rows of the
  interest matrix ``A`` (stakeholders × outcomes, ``A[s, o]`` = interest 0–1). Exactly the
  cosine, always: it is documented and checked.
* ``evidence(s, t) = Σ_o∈shared ((1 − ρ) + ρ · rarity_o)`` with ``rarity_o = ln(N / n_o) /
  ln(N / 2)`` clipped to 0–1 (``n_o`` actors hold outcome ``o`` among ``N``; an outcome held by
  just the two counts 1, one held by everyone 0) and ``ρ = weight_rarity``. With ``ρ = 0`` (the
  default, chosen by the evaluation) it is the number of shared outcomes. Holders are counted
  among *public* actors only, so that a hidden actor shapes nobody's figures (do no harm).
* ``support = evidence / (evidence + κ)``, ``κ = evidence_halfway``: one shared outcome is not a
  perfect pair; with κ = 2 one shared outcome gives 1/3, two 1/2, six 3/4.
* ``complementarity``: when the shared outcomes need at least two capabilities, ``needed(s, t)``
  = bitwise OR of their needed capabilities, ``only_s = |needed ∩ caps_s ∖ caps_t|``, ``only_t =
  |needed ∩ caps_t ∖ caps_s|`` and ``complementarity = min(only_s, only_t) / ⌊|needed| / 2⌋``
  (``min(only_s, only_t)`` is exactly what the two cover together beyond the better of them
  alone; ``⌊|needed| / 2⌋`` the most that can be); 0 when one is needed. When the outcomes do
  not say what they need, the toolboxes alone: 1 if each brings a capability the other lacks (a
  funder beside an implementer), ½ if only one does, 0 otherwise.
* ``power_interest`` = the mean over shared outcomes of ``|influence_s − influence_t|``: a
  powerful actor beside an interested but weak one (the power–interest grid's useful pairing).
* ``fit = (complementarity + power_interest) / 2``.
* ``kinds(s, t)``, how often actors of these two kinds work together in the registry: with
  ``T_ab`` the tied pairs of kinds ``a`` and ``b``, ``n_a`` and ``n_b`` the actors of each kind
  holding an outcome, and ``r`` the rate of ties over all pairs of different kinds, the lift
  ``L_ab = (T_ab + c) / (r · n_a · n_b + c)`` (``c = KIND_PSEUDO_TIES`` = 5: a kind pair with
  few actors stays near 1) and ``kinds = min(1, 2 L / (1 + L))``: 1 for kinds that work
  together at least as often as any two kinds do, 1/2 when a third as often, towards 0 for
  kinds never tied. Ties, actors and the rate are counted among *public* actors only (do no
  harm: a hidden actor or tie changes nobody's figure); with no ties at all every pair gets 1.
  It is what the evaluation found: an IGO beside an NGO forms a real partnership 2.5 times as
  often as the average pair of different kinds sharing an outcome, a state beside an NGO 0.4.
* ``base = overlap · support · ((1 − w_fit) + w_fit · fit) · ((1 − w_k) + w_k · kinds)``,
  ``w_fit = weight_fit``, ``w_k = weight_kinds``.
* ``partners(s, t) = c / (c + 1)`` with ``c`` the number of *public* actors tied to both (shared
  partners: someone who already works with each and can introduce them): one gives 1/2, three
  3/4, none 0. Only public partners count, for every audience, so a hidden actor never moves a
  figure.
* ``likelihood = 1 − (1 − base) ^ (1 + w_p · partners)``, ``w_p = weight_partners``: a shared
  partner counts as part of a second chance at the same evidence (for small figures, about
  ``base · (1 + w_p · partners)``); a pair without one keeps its base, a pair without evidence
  stays at 0. How well the evidence says the two would work together — the figure the
  evaluation harness (``benchmarks/candidates_eval.py``) measures against real partnerships.
* ``inclusion = 1`` if either actor is inclusive (a women's group, a diaspora group, a grassroots
  movement, women-led, or working at local scope), else 0.
* ``priority = 1 − (1 − likelihood) ^ (1 + β · inclusion)``, ``β = inclusion_preference``: the
  documented preference for inclusive pairs (the feminist and multi-stakeholder pillars), kept
  apart from the likelihood. β = 1 counts an inclusive pair as two independent chances at the
  same likelihood; a pair without evidence stays at 0 whoever is in it. Stored as ``score``;
  lists are sorted by it unless asked to sort by likelihood.

Pairs of the same kind and pairs with a tie (either direction, any kind of tie) are never
candidates, nor pairs with ``overlap ≤ min_overlap`` (they share too little). Each stakeholder
keeps its ``K_s`` best partners by priority with ``priority ≥ min_score``, where ``K_s = top_k +
⌊top_k_growth · log2(outcomes_s)⌋`` grows with the number of outcomes it holds (hubs are not
starved), chosen from a shortlist of its ``max(shortlist, K_s)`` most-overlapping partners of
other kinds (equal overlaps at the shortlist's last place go to the partner ranked first by
name); a pair is stored once if either side chose it. Ties in priority are broken by the
evidence (likelihood, then shared outcomes) and then by the partners' ``order_keys`` (their rank
by name), never by database ids, so the choice is a function of the registry, not of the order
it was imported in.

Audiences (DESIGN.md, do no harm). Candidates are chosen twice: for people not cleared, among the
public stakeholders only — exactly the choice the registry would give if restricted and
confidential actors had never existed — and for cleared people, among everyone. A pair carries
the audiences it was chosen for as bit flags (``PUBLIC_SET``, ``CLEARED_SET``); a pair of two
public actors has the same figures for both, since they read only its two actors and the outcomes'
public holder counts.
The cleared choice reuses the public shortlist and adds the pairs with a restricted actor, so
the second audience costs only the restricted actors' share of the work.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import scipy.sparse as sp

from .parameters import CLEARED_SET, PUBLIC_SET, Parameters
from .registry import Registry, chunk_bounds
from .selection import Selection
from .topn import top_n_product

# Pairs are scored in batches of this many so that gathering their rows stays small in memory.
PAIR_BATCH = 100_000


def shortlist(
    registry: Registry,
    rows: np.ndarray,
    size: int,
    *,
    min_overlap: float = 0.0,
    threads: int | None = None,
    partners: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``size`` most-overlapping rows of *other kinds*, as (src, dst, overlap) indices
    (overlap in single precision: good for ranking, recomputed exactly for what is kept).

    Rows are grouped by kind and each group is multiplied only against the rows of the other
    kinds, so same-kind pairs never take a place in the shortlist. The top-n product keeps at
    most ``size`` entries per row whatever the popularity of the outcomes: memory is bounded by
    ``len(rows) × size`` even when an outcome is shared by half the registry. Pairs with overlap
    ≤ ``min_overlap`` are left out as they are found (cheaper than ranking them). ``partners``
    (a boolean mask over all rows) limits whom a row may be paired with.
    """
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[registry.norms[rows] > 0]
    normalized = registry.normalized
    has_interest = registry.norms > 0
    if partners is not None:
        has_interest = has_interest & partners
    parts_src, parts_dst, parts_val = [], [], []
    for kind in np.unique(registry.kinds[rows]):
        group = rows[registry.kinds[rows] == kind]
        others = np.flatnonzero(has_interest & (registry.kinds != kind))
        if not len(others):
            continue
        row, column, value = top_n_product(
            normalized[group],
            normalized[others].T.tocsr(),
            size,
            keys=registry.order_keys[others],
            threshold=float(min_overlap),
            threads=threads,
        )
        parts_src.append(group[row])
        parts_dst.append(others[column])
        parts_val.append(value)
    if not parts_src:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(parts_src), np.concatenate(parts_dst), np.concatenate(parts_val)


def tied(registry: Registry, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Which (src, dst) index pairs have a tie in either direction."""
    keys = registry.tie_keys
    if not len(keys):
        return np.zeros(len(src), dtype=bool)
    wanted = src.astype(np.int64) * registry.size + dst
    position = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[position] == wanted


def _shared_matrix(registry: Registry, src: np.ndarray, dst: np.ndarray) -> sp.csr_matrix:
    """One row per pair, one entry per shared outcome: ``A[s, o] · A[t, o]``."""
    shared = registry.interest[src].multiply(registry.interest[dst]).tocsr()
    shared.sort_indices()
    return shared


def _or_by_row(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Bitwise OR of ``values`` within each CSR row (0 for empty rows)."""
    counts = np.diff(indptr)
    if not len(counts):
        return np.zeros(0, dtype=np.uint16)
    padded = np.append(values, np.uint16(0)).astype(np.uint16)
    reduced = np.bitwise_or.reduceat(padded, indptr[:-1])
    return np.where(counts > 0, reduced, 0).astype(np.uint16)


def complementarity(needed: np.ndarray, caps_s: np.ndarray, caps_t: np.ndarray) -> np.ndarray:
    """``min(|needed ∩ s ∖ t|, |needed ∩ t ∖ s|) / ⌊|needed| / 2⌋`` when at least two
    capabilities are needed, 0 when one is (it cannot be split); when the shared outcomes record
    no needs at all, the toolboxes alone: 1 if each brings a capability the other lacks, ½ if only
    one does, 0 if neither (same toolboxes, or none recorded)."""
    needed, caps_s, caps_t = (np.asarray(x, dtype=np.uint16) for x in (needed, caps_s, caps_t))
    only_s = np.bitwise_count(needed & caps_s & ~caps_t).astype(np.int64)
    only_t = np.bitwise_count(needed & caps_t & ~caps_s).astype(np.int64)
    half = np.bitwise_count(needed).astype(np.int64) // 2
    by_needs = np.minimum(only_s, only_t) / np.maximum(half, 1)
    lacks_t = (caps_s & ~caps_t) != 0
    lacks_s = (caps_t & ~caps_s) != 0
    by_toolboxes = (lacks_t.astype(np.float64) + lacks_s.astype(np.float64)) / 2
    says_nothing = needed == 0
    return np.where(half > 0, by_needs, np.where(says_nothing, by_toolboxes, 0.0))


def likelihood_of(
    overlap: np.ndarray,
    evidence: np.ndarray,
    fit: np.ndarray,
    params: Parameters,
    kinds: np.ndarray | float = 1.0,
    partners: np.ndarray | float = 0.0,
) -> np.ndarray:
    """``1 − (1 − base) ^ (1 + w_p · c / (c + 1))``, ``c`` = shared partners, ``base = overlap ·
    evidence / (evidence + κ) · ((1 − w_fit) + w_fit · fit) · ((1 − w_k) + w_k · kinds)`` (module
    docstring)."""
    halfway = params.evidence_halfway
    support = np.divide(
        evidence, evidence + halfway, out=np.zeros_like(evidence), where=evidence + halfway > 0
    )
    fitted = (1.0 - params.weight_fit) + params.weight_fit * fit
    typed = (1.0 - params.weight_kinds) + params.weight_kinds * kinds
    base = overlap * support * fitted * typed
    partners = np.asarray(partners, dtype=np.float64)
    chances = 1.0 + params.weight_partners * partners / (partners + 1.0)
    return np.where(partners > 0, 1.0 - (1.0 - base) ** chances, base)


def priority_of(likelihood: np.ndarray, inclusion: np.ndarray, params: Parameters) -> np.ndarray:
    """``1 − (1 − likelihood) ^ (1 + β · inclusion)``: the likelihood, adjusted by the documented
    preference for inclusive pairs; equal to it for pairs without an inclusive actor."""
    return 1.0 - (1.0 - likelihood) ** (1.0 + params.inclusion_preference * inclusion)


def score_pairs(
    registry: Registry, src: np.ndarray, dst: np.ndarray, params: Parameters
) -> Selection:
    """Score the index pairs (src, dst), all in double precision.

    ``overlap = Σ_o A[s,o]·A[t,o] / (|A_s| |A_t|)`` over the shared outcomes, from the same
    per-pair matrix of shared outcomes that gives ``needed``.

    The shared outcomes are kept only for what the caller keeps (see :func:`with_shared`); here
    ``shared`` is left empty to save work on shortlisted pairs that will be dropped.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    outcome_weight = (1.0 - params.weight_rarity) + params.weight_rarity * registry.rarity
    parts: dict[str, list[np.ndarray]] = {
        "overlap": [],
        "needed": [],
        "count": [],
        "evidence": [],
        "power": [],
    }
    for start in range(0, len(src), PAIR_BATCH):
        s, t = src[start : start + PAIR_BATCH], dst[start : start + PAIR_BATCH]
        shared = _shared_matrix(registry, s, t)
        dots = np.asarray(shared.sum(axis=1)).ravel()
        norms = registry.norms[s] * registry.norms[t]
        counts = np.diff(shared.indptr)
        parts["overlap"].append(np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0))
        parts["needed"].append(_or_by_row(registry.needs[shared.indices], shared.indptr))
        parts["count"].append(counts.astype(np.int32))
        pattern = shared.copy()
        pattern.data = outcome_weight[shared.indices]
        parts["evidence"].append(np.asarray(pattern.sum(axis=1)).ravel())
        # |influence_s − influence_t| on the shared outcomes (those rows hold interest's pattern,
        # so restricting the difference to ``shared``'s pattern reads only shared outcomes).
        gap = abs(registry.influence[s] - registry.influence[t]).tocsr()
        on_shared = shared.copy()
        on_shared.data = np.ones_like(on_shared.data)
        gaps = np.asarray(gap.multiply(on_shared).sum(axis=1)).ravel()
        parts["power"].append(np.divide(gaps, counts, out=np.zeros_like(gaps), where=counts > 0))
    joined = {
        name: np.concatenate(values) if values else np.zeros(0) for name, values in parts.items()
    }
    # Rounding can put identical vectors a hair above 1.
    overlap = np.clip(joined["overlap"], 0.0, 1.0)
    needed = joined["needed"].astype(np.uint16)
    shared_count = joined["count"].astype(np.int32)
    power_interest = np.clip(joined["power"], 0.0, 1.0)
    caps_s, caps_t = registry.capabilities[src], registry.capabilities[dst]
    compl = complementarity(needed, caps_s, caps_t)
    inclusion = (registry.inclusive[src] | registry.inclusive[dst]).astype(np.float64)
    kinds = registry.kinds_factor(src, dst)
    partners = registry.shared_partners(src, dst)
    likelihood = likelihood_of(
        overlap, joined["evidence"], (compl + power_interest) / 2, params, kinds, partners
    )
    return Selection(
        src=src, dst=dst, overlap=overlap, complementarity=compl, inclusion=inclusion,
        score=priority_of(likelihood, inclusion, params), likelihood=likelihood,
        power_interest=power_interest, kind_affinity=kinds, shared_partners=partners,
        needed=needed,
        brings_src=needed & caps_s,
        brings_dst=needed & caps_t,
        shared_count=shared_count,
        shared=np.full((len(src), params.shared_outcomes_kept), -1, dtype=np.int64),
        audiences=np.zeros(len(src), dtype=np.uint8),
    )  # fmt: skip


def with_shared(registry: Registry, selection: Selection, kept: int) -> Selection:
    """Fill ``selection.shared`` (index pairs) with each pair's ``kept`` shared outcomes that weigh
    most in the overlap (largest ``A[s, o] · A[t, o]``, then lowest outcome id)."""
    shared_ids = np.full((len(selection), kept), -1, dtype=np.int64)
    ascending = bool(np.all(np.diff(registry.outcome_ids) > 0))
    for start in range(0, len(selection), PAIR_BATCH):
        stop = start + PAIR_BATCH
        matrix = _shared_matrix(registry, selection.src[start:stop], selection.dst[start:stop])
        counts = np.diff(matrix.indptr)
        pair = np.repeat(np.arange(len(counts)), counts)
        outcome = registry.outcome_ids[matrix.indices]
        # Within a row entries are in column order, which is outcome id order when the ids are
        # ascending (as build_registry leaves them): a stable two-key sort then breaks equal
        # weights by outcome id without sorting on it.
        keys = (-matrix.data, pair) if ascending else (outcome, -matrix.data, pair)
        order = np.lexsort(keys)
        rank = np.arange(len(order)) - matrix.indptr[pair[order]]
        keep = rank < kept
        shared_ids[start + pair[order][keep], rank[keep]] = outcome[order][keep]
    selection.shared = shared_ids
    return selection


def select_top(selection: Selection, params: Parameters, keys=None, limits=None) -> np.ndarray:
    """Indices of each source's best pairs (``limits[i]`` for row ``i``'s source, else
    ``top_k``) with priority ``score ≥ min_score``.

    Ties in priority go to more evidence (likelihood, then shared outcomes), then to the partner
    with the lower ``keys`` (the partners' rank by name), so the choice depends neither on the
    order rows were computed in nor on database ids.
    """
    partner = selection.dst if keys is None else keys
    eligible = np.flatnonzero(selection.score >= params.min_score)
    order = eligible[_ranked_within_source(selection, eligible, partner)]
    sources = selection.src[order]
    starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]]) if len(order) else order
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order)) - group_start
    limit = params.top_k if limits is None else np.asarray(limits)[order]
    return order[rank < limit]


def _ranked_within_source(
    selection: Selection, rows: np.ndarray, partner: np.ndarray
) -> np.ndarray:
    """Positions in ``rows`` ordered by source, then best first: priority, likelihood, shared
    outcomes (descending), partner key (ascending).

    Sorted on the first two keys only; the few runs of equal priority within a source are then
    re-sorted on all five in place. The same order as a five-key lexsort (a run's members keep
    its positions), at the cost of a two-key one: the pool's sort was a quarter of compute
    (issue 22)."""
    src, score = selection.src[rows], selection.score[rows]
    order = np.lexsort((-score, src))
    same = (src[order][1:] == src[order][:-1]) & (score[order][1:] == score[order][:-1])
    if same.any():
        tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
        members = order[tied]
        at = rows[members]
        order[tied] = members[
            np.lexsort(
                (
                    partner[at],
                    -selection.shared_count[at],
                    -selection.likelihood[at],
                    -score[members],
                    src[members],
                )
            )
        ]
    return order


def _scored_shortlist(
    registry: Registry,
    rows: np.ndarray,
    params: Parameters,
    *,
    partners: np.ndarray | None,
    size: int,
    threads: int | None,
) -> Selection:
    """The rows' ``size`` shortlisted, untied partners (among ``partners``), scored exactly."""
    rows = np.asarray(rows, dtype=np.int64)
    src, dst, _approximate = shortlist(
        registry,
        rows,
        size,
        min_overlap=params.min_overlap,
        threads=threads,
        partners=partners,
    )
    keep = ~tied(registry, src, dst)
    return score_pairs(registry, src[keep], dst[keep], params)


def _chosen(registry: Registry, pool: Selection, params: Parameters, flag: int) -> Selection:
    chosen = pool.take(
        select_top(
            pool,
            params,
            keys=registry.order_keys[pool.dst],
            limits=params.k_of(registry.degrees[pool.src]),
        )
    )
    chosen.audiences = np.full(len(chosen), flag, dtype=np.uint8)
    return chosen


# Rows scored together within one call of ``candidates_for_rows``: the pool of a batch (each
# row's shortlist, scored) is what a chunk holds at its peak; batches of 8,000 instead of one of
# 25,000 rows (a chunk at 100,000 actors) halved that peak and took less CPU (issue 22).
ROW_BATCH = 8_000


def candidates_for_rows(
    registry: Registry, rows: np.ndarray, params: Parameters, *, threads: int | None = None
) -> Selection:
    """The directed selections of these rows: each row's best partners, as stakeholder ids, each
    flagged with the audiences that chose it (a pair chosen by both appears twice, once per flag:
    :func:`merge_pairs` joins them).

    Public rows choose among public partners for the public audience; for the cleared audience
    they choose among the same pairs plus their pairs with restricted actors, and restricted rows
    choose among everyone. The result for a row depends on that row, the whole registry and the
    shortlist's length, which is the same for all ``rows`` (long enough for the most-connected
    of them). The rows are scored ``ROW_BATCH`` at a time with that one length, and the batches'
    choices put back in the order one batch of all the rows gives (by source row), so the
    result is exactly the same, at a fraction of the memory.
    """
    rows = np.asarray(rows, dtype=np.int64)
    hidden = ~registry.public
    public_rows = rows[registry.public[rows]]
    sizes = (
        _shortlist_size(registry, public_rows, params),
        _shortlist_size(registry, rows[hidden[rows]], params),
    )
    chosen_public, chosen_cleared = [], []
    for batch in np.array_split(rows, max(1, -(-len(rows) // ROW_BATCH))):
        public, cleared = _chosen_of_batch(registry, batch, params, sizes, threads)
        chosen_public.append(public)
        chosen_cleared.append(cleared)
    kept = params.shared_outcomes_kept
    chosen = Selection.concatenate(
        [_by_source(Selection.concatenate(chosen_public, kept)),
         _by_source(Selection.concatenate(chosen_cleared, kept))],
        kept,
    )  # fmt: skip
    chosen = with_shared(registry, chosen, kept)
    return _to_ids(registry, chosen)


def _shortlist_size(registry: Registry, rows: np.ndarray, params: Parameters) -> int:
    most = int(params.k_of(registry.degrees[rows]).max()) if len(rows) else params.top_k
    return max(params.shortlist, most)


def _by_source(selection: Selection) -> Selection:
    """In source-row order, keeping the order within each source (a stable sort)."""
    return selection.take(np.argsort(selection.src, kind="stable"))


def _chosen_of_batch(
    registry: Registry,
    rows: np.ndarray,
    params: Parameters,
    sizes: tuple[int, int],
    threads: int | None,
) -> tuple[Selection, Selection]:
    """The public and the cleared audience's choices of ``rows`` (see ``candidates_for_rows``)."""
    hidden = ~registry.public
    public_rows = rows[registry.public[rows]]
    public_pool = _scored_shortlist(
        registry, public_rows, params, partners=registry.public, size=sizes[0], threads=threads
    )
    public = _chosen(registry, public_pool, params, PUBLIC_SET)
    if hidden.any():
        cleared_pool = Selection.concatenate(
            [
                public_pool,
                _scored_shortlist(
                    registry, public_rows, params, partners=hidden, size=sizes[0], threads=threads
                ),
                _scored_shortlist(
                    registry, rows[hidden[rows]], params, partners=None, size=sizes[1],
                    threads=threads,
                ),
            ],
            params.shared_outcomes_kept,
        )  # fmt: skip
    else:
        cleared_pool = public_pool
    return public, _chosen(registry, cleared_pool, params, CLEARED_SET)


def _to_ids(registry: Registry, selection: Selection) -> Selection:
    selection.src = registry.ids[selection.src]
    selection.dst = registry.ids[selection.dst]
    return selection


def score_given_pairs(
    registry: Registry, src: np.ndarray, dst: np.ndarray, params: Parameters, *, flag: int
) -> Selection:
    """Score named index pairs exactly (dropping same-kind and tied ones, and for the public
    audience those with a restricted actor), as stakeholder ids flagged ``flag``."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    valid = (registry.kinds[src] != registry.kinds[dst]) & ~tied(registry, src, dst)
    if flag == PUBLIC_SET:
        valid &= registry.public[src] & registry.public[dst]
    scored = score_pairs(registry, src[valid], dst[valid], params)
    scored = scored.take(
        np.flatnonzero(
            (scored.overlap > max(params.min_overlap, 0)) & (scored.score >= params.min_score)
        )
    )
    scored.audiences = np.full(len(scored), flag, dtype=np.uint8)
    return _to_ids(registry, with_shared(registry, scored, params.shared_outcomes_kept))


def merge_pairs(selection: Selection, *, consume: bool = False) -> Selection:
    """Turn directed selections into unordered pairs (``src < dst``), each once, sorted, with the
    audiences of all its selections joined; of a pair selected more than once, the first row's
    values are kept. Merging parts one at a time, then their results together, gives the same
    pairs as merging everything at once.

    With ``consume`` the input's columns are released as the result's are built (the caller
    passes a selection it no longer needs), so that at most one column is held twice."""
    flip = selection.src > selection.dst
    src = np.where(flip, selection.dst, selection.src)
    dst = np.where(flip, selection.src, selection.dst)
    brings_src = np.where(flip, selection.brings_dst, selection.brings_src)
    brings_dst = np.where(flip, selection.brings_src, selection.brings_dst)
    del flip
    order = np.lexsort((dst, src))
    a, b = src[order], dst[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(order) else order
    first = first.astype(bool)
    del a, b
    audiences = selection.audiences[order]
    if consume:
        selection.release("audiences")
    if len(order):
        audiences = np.bitwise_or.reduceat(audiences, np.flatnonzero(first))
    keep = order[first]
    del order, first
    oriented = {"src": src, "dst": dst, "brings_src": brings_src, "brings_dst": brings_dst}
    columns: dict[str, np.ndarray] = {}
    for field in fields(Selection):
        name = field.name
        if name == "audiences":
            continue
        values = oriented.pop(name, None)
        if values is None:
            values = getattr(selection, name)
        columns[name] = values[keep]
        del values
        if consume:
            selection.release(name)
    return Selection(**columns, audiences=audiences.astype(np.uint8))


def compute_all(
    registry: Registry, params: Parameters, *, chunks: int = 1, threads: int | None = None
) -> Selection:
    """Every stakeholder's candidates, merged into unordered pairs; ``chunks`` only changes how
    the rows are split, never the result."""
    order = registry.row_order()
    parts = [
        candidates_for_rows(registry, order[start:end], params, threads=threads)
        for start, end in chunk_bounds(len(order), chunks)
    ]
    return merge_pairs(Selection.concatenate(parts, params.shared_outcomes_kept))
