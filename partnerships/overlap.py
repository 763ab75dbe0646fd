"""The overlap engine's pure core: arrays in, candidate pairs out. No Django, no database.

The registry arrives as a :class:`Registry` — a sparse stakeholder × outcome matrix of interest plus
a few per-stakeholder and per-outcome arrays — and leaves as a :class:`Selection`, a set of
scored pairs held column-wise in NumPy arrays. Everything is vectorised: there is no Python loop
over pairs, and the full pair matrix is never built; each stakeholder's row is multiplied against
the matrix with a top-n sparse product (``sparse_dot_topn``) that keeps only its best partners.

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
other kinds; a pair is stored once if either side chose it. Ties in priority are broken by the
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

import io
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

# Pairs are scored in batches of this many so that gathering their rows stays small in memory.
PAIR_BATCH = 100_000
# Which audiences chose a pair (``Selection.audiences``, ``Candidate.audiences``): bit flags.
PUBLIC_SET = 1
CLEARED_SET = 2
BOTH_SETS = PUBLIC_SET | CLEARED_SET
# Pseudo-ties added to each kind pair's observed and expected ties (the kind factor's shrinkage).
KIND_PSEUDO_TIES = 5.0


@dataclass(frozen=True)
class Parameters:
    """What a run computes; stored on the run. The methodology page documents the defaults."""

    top_k: int = 10
    top_k_growth: float = 3.0
    min_score: float = 0.0
    min_overlap: float = 0.1
    evidence_halfway: float = 2.0
    weight_rarity: float = 0.0
    weight_fit: float = 0.0
    weight_kinds: float = 1.0
    weight_partners: float = 1.0
    inclusion_preference: float = 1.0
    shortlist: int = 30
    shared_outcomes_kept: int = 5

    LIMITS = {
        "top_k": (1, 100),
        "top_k_growth": (0.0, 20.0),
        "min_score": (0.0, 1.0),
        "min_overlap": (0.0, 1.0),
        "evidence_halfway": (0.0, 50.0),
        "weight_rarity": (0.0, 1.0),
        "weight_fit": (0.0, 1.0),
        "weight_kinds": (0.0, 1.0),
        "weight_partners": (0.0, 10.0),
        "inclusion_preference": (0.0, 10.0),
        "shortlist": (1, 500),
        "shared_outcomes_kept": (1, 50),
    }

    @classmethod
    def from_dict(cls, values: dict | None) -> Parameters:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)

    def errors(self) -> dict[str, str]:
        """Problems with these parameters, by field name, each naming the allowed range."""
        problems = {}
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems[name] = f"Must be a number between {low} and {high}."
            elif isinstance(low, int) and not isinstance(value, int):
                problems[name] = f"Must be a whole number between {low} and {high}."
            elif not low <= value <= high:
                problems[name] = f"Must be between {low} and {high}."
        if not problems and self.shortlist < self.top_k:
            problems["shortlist"] = f"Must be at least top_k ({self.top_k})."
        return problems

    def k_of(self, degrees: np.ndarray) -> np.ndarray:
        """``K_s = top_k + ⌊top_k_growth · log2(outcomes_s)⌋`` for each number of outcomes held."""
        grown = self.top_k_growth * np.log2(np.maximum(np.asarray(degrees, dtype=np.float64), 1))
        return self.top_k + np.floor(grown + 1e-9).astype(np.int64)


# The default of a Registry field that ``__post_init__`` fills when it is not given: after
# construction none of them is None, which is what their annotations say.
_FILLED_IN: Any = None


@dataclass
class Registry:
    """The registry as arrays. Row ``i`` is stakeholder ``ids[i]``; column ``j`` outcome
    ``outcome_ids[j]``. ``norms`` are the rows' full Euclidean norms: given explicitly when
    ``interest`` holds only some columns (a one-stakeholder refresh), otherwise computed; so are
    ``degrees`` (outcomes held), ``holders`` (public holders of each outcome) and ``public_size``
    (public actors holding anything). ``influence`` has the pattern of ``interest`` (zeros where
    unknown); ``order_keys`` rank the stakeholders by name, for ties (ids when not given)."""

    ids: np.ndarray  # int64 (n,), ascending
    kinds: np.ndarray  # int16 (n,), any integer code per kind
    capabilities: np.ndarray  # uint16 (n,), bit sets
    inclusive: np.ndarray  # bool (n,)
    interest: sp.csr_matrix  # float64 (n, m), explicit entries > 0 only
    outcome_ids: np.ndarray  # int64 (m,)
    needs: np.ndarray  # uint16 (m,), bit sets
    tie_keys: np.ndarray  # int64, sorted: i * n + j for every tied (i, j), both directions
    norms: np.ndarray = field(default=_FILLED_IN)
    public: np.ndarray = field(
        default=_FILLED_IN
    )  # bool (n,): public stakeholders (all if not given)
    influence: sp.csr_matrix = field(default=_FILLED_IN)  # float64 (n, m), as interest
    degrees: np.ndarray = field(default=_FILLED_IN)  # int64 (n,): outcomes held with interest > 0
    holders: np.ndarray = field(
        default=_FILLED_IN
    )  # int64 (m,): public actors holding each outcome
    public_size: int = field(default=_FILLED_IN)  # public actors holding any outcome
    order_keys: np.ndarray = field(default=_FILLED_IN)  # int64 (n,): rank by name (ties)
    # (k, k) public tied pairs by kind code, and (k,) public actors holding an outcome by kind
    # code: given when ``tie_keys`` holds only some ties (a refresh), otherwise counted.
    kind_ties: np.ndarray = field(default=_FILLED_IN)
    kind_sizes: np.ndarray = field(default=_FILLED_IN)
    # (n, c) binary: row i's ties to public actors (columns: those actors). Built from
    # ``tie_keys`` when not given; a refresh gives the rows' ties to its stakeholder's public
    # partners only, which is all its pairs' shared partners need. Not kept by ``to_bytes``.
    partner_ties: sp.csr_matrix = field(default=_FILLED_IN)
    _normalized: sp.csr_matrix | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.public is None:
            self.public = np.ones(len(self.ids), dtype=bool)
        self.public = np.asarray(self.public, dtype=bool)
        if self.norms is None:
            self.norms = np.sqrt(np.asarray(self.interest.multiply(self.interest).sum(axis=1)))
            self.norms = self.norms.ravel()
        if self.influence is None:
            self.influence = sp.csr_matrix(self.interest.shape, dtype=np.float64)
        if self.degrees is None:
            self.degrees = np.diff(self.interest.indptr).astype(np.int64)
        self.degrees = np.asarray(self.degrees, dtype=np.int64)
        if self.holders is None or self.public_size is None:
            public_rows = self.interest[np.flatnonzero(self.public)]
            if self.holders is None:
                self.holders = np.bincount(public_rows.indices, minlength=self.interest.shape[1])
            if self.public_size is None:
                self.public_size = int(np.count_nonzero(np.diff(public_rows.indptr)))
        self.holders = np.asarray(self.holders, dtype=np.int64)
        self.public_size = int(self.public_size)
        if self.order_keys is None:
            self.order_keys = np.asarray(self.ids, dtype=np.int64)
        self.order_keys = np.asarray(self.order_keys, dtype=np.int64)
        if self.kind_ties is None or self.kind_sizes is None:
            self.kind_ties, self.kind_sizes = kind_counts(
                kinds=self.kinds,
                public_holders=self.public & (self.degrees > 0),
                tie_keys=self.tie_keys,
                size=self.size,
            )
        self.kind_ties = np.asarray(self.kind_ties, dtype=np.float64)
        self.kind_sizes = np.asarray(self.kind_sizes, dtype=np.float64)
        if self.partner_ties is None:
            n = self.size
            a, b = self.tie_keys // max(n, 1), self.tie_keys % max(n, 1)
            keep = self.public[b] & (a != b) if len(a) else np.zeros(0, dtype=bool)
            self.partner_ties = sp.csr_matrix(
                (np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n, n)
            )
        self.partner_ties = sp.csr_matrix(self.partner_ties, dtype=np.float64)
        self.partner_ties.sum_duplicates()
        self.partner_ties.data[:] = 1.0

    def shared_partners(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """How many public actors are tied to both of each (src, dst) index pair."""
        ties = self.partner_ties
        return np.asarray(ties[src].multiply(ties[dst]).sum(axis=1)).ravel().astype(np.int32)

    @property
    def kind_affinity(self) -> np.ndarray:
        """``min(1, 2 L / (1 + L))`` for each pair of kind codes (module docstring)."""
        return kind_affinity(self.kind_ties, self.kind_sizes)

    def kinds_factor(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """The kind factor of each (src, dst) index pair; 1 for a kind code outside the counts."""
        affinity = self.kind_affinity
        a, b = self.kinds[src].astype(np.int64), self.kinds[dst].astype(np.int64)
        known = (a >= 0) & (b >= 0) & (a < len(affinity)) & (b < len(affinity))
        values = np.ones(len(a))
        values[known] = affinity[a[known], b[known]]
        return values

    @property
    def rarity(self) -> np.ndarray:
        """``ln(N / n_o) / ln(N / 2)`` clipped to 0–1, per outcome (public holders only)."""
        size = max(self.public_size, 2)
        held = np.maximum(self.holders, 1).astype(np.float64)
        if size <= 2:
            return np.ones(len(held))
        return np.clip(np.log(size / held) / np.log(size / 2), 0.0, 1.0)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def normalized(self) -> sp.csr_matrix:
        """Rows scaled to unit length (zero rows stay zero), in single precision: their dot
        products are the cosines the shortlist ranks by. Stored overlaps are recomputed in double
        precision from ``interest`` (see :func:`score_pairs`)."""
        if self._normalized is None:
            scale = np.divide(1.0, self.norms, out=np.zeros_like(self.norms), where=self.norms > 0)
            self._normalized = sp.csr_matrix(sp.diags(scale) @ self.interest, dtype=np.float32)
            self._normalized.sort_indices()
        return self._normalized

    def index_of(self, stakeholder_ids) -> np.ndarray:
        """Row indices of these stakeholder ids (which must be present)."""
        return np.searchsorted(self.ids, np.asarray(stakeholder_ids, dtype=np.int64))

    def row_order(self) -> np.ndarray:
        """The rows that can have candidates (some interest), by kind then id.

        Chunks are slices of this order, so that each chunk holds few kinds and builds few of the
        per-kind matrices that :func:`shortlist` multiplies against.
        """
        rows = np.flatnonzero(self.norms > 0)
        return rows[np.lexsort((self.ids[rows], self.kinds[rows]))]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            ids=self.ids, kinds=self.kinds, capabilities=self.capabilities,
            inclusive=self.inclusive, outcome_ids=self.outcome_ids, needs=self.needs,
            tie_keys=self.tie_keys, norms=self.norms, public=self.public,
            data=self.interest.data,
            indices=self.interest.indices, indptr=self.interest.indptr,
            shape=np.array(self.interest.shape),
            influence=self._influence_aligned(), degrees=self.degrees, holders=self.holders,
            public_size=np.array([self.public_size]), order_keys=self.order_keys,
            kind_ties=self.kind_ties, kind_sizes=self.kind_sizes,
        )  # fmt: skip
        return buffer.getvalue()

    def _influence_aligned(self) -> np.ndarray:
        """Influence at the positions of ``interest``'s entries (0 where none is known)."""
        return _values_at(self.influence, self.interest)

    @classmethod
    def from_bytes(cls, payload: bytes) -> Registry:
        arrays = np.load(io.BytesIO(payload))
        interest = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
        )
        influence = sp.csr_matrix(
            (arrays["influence"], arrays["indices"], arrays["indptr"]),
            shape=tuple(arrays["shape"]),
        )
        return cls(
            ids=arrays["ids"], kinds=arrays["kinds"], capabilities=arrays["capabilities"],
            inclusive=arrays["inclusive"], interest=interest, outcome_ids=arrays["outcome_ids"],
            needs=arrays["needs"], tie_keys=arrays["tie_keys"], norms=arrays["norms"],
            public=arrays.get("public"), influence=influence, degrees=arrays["degrees"],
            holders=arrays["holders"], public_size=int(arrays["public_size"][0]),
            order_keys=arrays["order_keys"], kind_ties=arrays.get("kind_ties"),
            kind_sizes=arrays.get("kind_sizes"),
        )  # fmt: skip


def kind_counts(
    *, kinds: np.ndarray, public_holders: np.ndarray, tie_keys: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Public tied pairs by pair of kind codes (symmetric, each unordered pair once on each
    side) and public actors holding an outcome by kind code: the counts the kind factor reads.
    Only pairs of two public actors holding an outcome, of two different (known) kinds, count."""
    kinds = np.asarray(kinds, dtype=np.int64)
    width = int(kinds.max(initial=-1)) + 1
    counted = np.asarray(public_holders, dtype=bool) & (kinds >= 0)
    sizes = np.bincount(kinds[counted], minlength=width).astype(np.float64)
    ties = np.zeros((width, width))
    keys = np.asarray(tie_keys, dtype=np.int64)
    a, b = keys // max(size, 1), keys % max(size, 1)
    keep = (a < b) & counted[a] & counted[b] & (kinds[a] != kinds[b]) if len(keys) else a < b
    np.add.at(ties, (kinds[a[keep]], kinds[b[keep]]), 1.0)
    return ties + ties.T, sizes


def kind_affinity(kind_ties: np.ndarray, kind_sizes: np.ndarray) -> np.ndarray:
    """``min(1, 2 L / (1 + L))`` with ``L_ab = (T_ab + c) / (r · n_a · n_b + c)``, ``r`` the
    rate of ties over all pairs of different kinds: 1 everywhere when nothing is tied."""
    ties = np.asarray(kind_ties, dtype=np.float64)
    sizes = np.asarray(kind_sizes, dtype=np.float64)
    pairs = np.outer(sizes, sizes)
    different = ~np.eye(len(sizes), dtype=bool)
    possible = pairs[different].sum()
    rate = ties[different].sum() / possible if possible > 0 else 0.0
    lift = (ties + KIND_PSEUDO_TIES) / (rate * pairs + KIND_PSEUDO_TIES)
    return np.minimum(1.0, 2.0 * lift / (1.0 + lift))


def build_registry(
    *,
    stakeholder_ids,
    kinds,
    capabilities,
    inclusive,
    outcome_ids,
    needs,
    stake_stakeholder_ids,
    stake_outcome_ids,
    stake_interest,
    tie_from_ids=(),
    tie_to_ids=(),
    norms=None,
    public=None,
    stake_influence=None,
    degrees=None,
    holders=None,
    public_size=None,
    order_keys=None,
    kind_ties=None,
    kind_sizes=None,
    partner_tie_ids=None,
) -> Registry:
    """Assemble a :class:`Registry` from flat columns (as read from the database).

    Stakes with interest ≤ 0, or naming a stakeholder or outcome not given, are left out; ties
    naming a stakeholder not given are left out too. ``degrees``, ``holders`` and ``public_size``
    are given when the stakes are only part of the registry (a refresh), and so are ``kind_ties``
    and ``kind_sizes`` (see :func:`kind_counts`) when the ties are, and ``partner_tie_ids``
    (``(stakeholder id, public partner id)`` rows: the ties that shared partners are counted
    from); ``order_keys`` rank the stakeholders by name.
    """
    ids = np.asarray(stakeholder_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    outcome_ids = np.asarray(outcome_ids, dtype=np.int64)
    outcome_order = np.argsort(outcome_ids, kind="stable")
    outcome_ids = outcome_ids[outcome_order]
    n, m = len(ids), len(outcome_ids)

    stake_rows = _lookup(ids, stake_stakeholder_ids)
    stake_cols = _lookup(outcome_ids, stake_outcome_ids)
    values = np.asarray(stake_interest, dtype=np.float64)
    keep = (stake_rows >= 0) & (stake_cols >= 0) & (values > 0)
    interest = sp.csr_matrix(
        (values[keep], (stake_rows[keep], stake_cols[keep])), shape=(n, m), dtype=np.float64
    )
    interest.sum_duplicates()
    interest.sort_indices()
    influence_values = (
        np.zeros(len(values)) if stake_influence is None
        else np.asarray(stake_influence, dtype=np.float64)
    )  # fmt: skip
    given = sp.csr_matrix(
        (influence_values[keep], (stake_rows[keep], stake_cols[keep])), shape=(n, m)
    )
    # Influence with exactly interest's pattern (zero where none is known).
    influence = sp.csr_matrix(
        (_values_at(given, interest), interest.indices.copy(), interest.indptr.copy()),
        shape=(n, m),
    )

    tie_rows = _lookup(ids, tie_from_ids)
    tie_cols = _lookup(ids, tie_to_ids)
    known = (tie_rows >= 0) & (tie_cols >= 0)
    tie_rows, tie_cols = tie_rows[known], tie_cols[known]
    tie_keys = np.unique(
        np.concatenate([tie_rows * n + tie_cols, tie_cols * n + tie_rows]).astype(np.int64)
    )
    if norms is not None:
        norms = np.asarray(norms, dtype=np.float64)[order]
    if public is not None:
        public = np.asarray(public, dtype=bool)[order]
    if degrees is not None:
        degrees = np.asarray(degrees, dtype=np.int64)[order]
    if holders is not None:
        holders = np.asarray(holders, dtype=np.int64)[outcome_order]
    if order_keys is not None:
        order_keys = np.asarray(order_keys, dtype=np.int64)[order]
    partner_ties = None
    if partner_tie_ids is not None:
        given = np.asarray(partner_tie_ids, dtype=np.int64).reshape(-1, 2)
        rows = _lookup(ids, given[:, 0])
        partners, columns = np.unique(given[:, 1], return_inverse=True)
        keep = rows >= 0
        partner_ties = sp.csr_matrix(
            (np.ones(int(keep.sum())), (rows[keep], columns[keep])), shape=(n, len(partners))
        )
    return Registry(
        ids=ids,
        kinds=np.asarray(kinds, dtype=np.int16)[order],
        capabilities=np.asarray(capabilities, dtype=np.uint16)[order],
        inclusive=np.asarray(inclusive, dtype=bool)[order],
        interest=interest,
        outcome_ids=outcome_ids,
        needs=np.asarray(needs, dtype=np.uint16)[outcome_order],
        tie_keys=tie_keys,
        norms=norms,
        public=public,
        influence=influence,
        degrees=degrees,
        holders=holders,
        public_size=public_size,
        order_keys=order_keys,
        kind_ties=kind_ties,
        kind_sizes=kind_sizes,
        partner_ties=partner_ties,
    )


def _values_at(values: sp.csr_matrix, pattern: sp.csr_matrix) -> np.ndarray:
    """The entries of ``values`` at the stored positions of ``pattern``, in its storage order
    (0 where ``values`` has none)."""
    if not pattern.nnz:
        return np.zeros(0)
    rows = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    return np.asarray(values[rows, pattern.indices], dtype=np.float64).ravel()


def _lookup(sorted_ids: np.ndarray, wanted) -> np.ndarray:
    """Positions of ``wanted`` in ``sorted_ids``; -1 where absent."""
    wanted = np.asarray(wanted, dtype=np.int64)
    if not len(sorted_ids):
        return np.full(len(wanted), -1, dtype=np.int64)
    position = np.searchsorted(sorted_ids, wanted)
    clipped = np.minimum(position, len(sorted_ids) - 1)
    return np.where(sorted_ids[clipped] == wanted, clipped, -1).astype(np.int64)


def chunk_bounds(count: int, chunks: int) -> list[tuple[int, int]]:
    """Split ``range(count)`` into ``chunks`` contiguous, nearly equal slices (none empty)."""
    chunks = max(1, min(chunks, count)) if count else 1
    edges = np.linspace(0, count, chunks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


# --- the computation ------------------------------------------------------------------------


@dataclass
class Selection:
    """Scored pairs, column-wise. Directed (``src`` chose ``dst``) until :func:`merge_pairs`,
    after which ``src < dst`` and each unordered pair appears once."""

    src: np.ndarray  # int64 stakeholder ids
    dst: np.ndarray
    overlap: np.ndarray  # float64
    complementarity: np.ndarray
    inclusion: np.ndarray
    score: np.ndarray  # the priority
    likelihood: np.ndarray
    power_interest: np.ndarray
    kind_affinity: np.ndarray  # float64: the kind factor (how often their kinds work together)
    shared_partners: np.ndarray  # int32: public actors tied to both
    needed: np.ndarray  # uint16 bit sets
    brings_src: np.ndarray
    brings_dst: np.ndarray
    shared_count: np.ndarray  # int32
    shared: np.ndarray  # int64 (pairs, kept), outcome ids by weight in the overlap, -1 padded
    audiences: np.ndarray  # uint8 bit flags: PUBLIC_SET, CLEARED_SET (see the module docstring)

    def __len__(self) -> int:
        return len(self.src)

    def take(self, index) -> Selection:
        return Selection(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def empty(cls, kept: int = 1) -> Selection:
        return cls(
            src=np.zeros(0, np.int64), dst=np.zeros(0, np.int64),
            overlap=np.zeros(0), complementarity=np.zeros(0), inclusion=np.zeros(0),
            score=np.zeros(0), likelihood=np.zeros(0), power_interest=np.zeros(0),
            kind_affinity=np.zeros(0), shared_partners=np.zeros(0, np.int32),
            needed=np.zeros(0, np.uint16),
            brings_src=np.zeros(0, np.uint16),
            brings_dst=np.zeros(0, np.uint16), shared_count=np.zeros(0, np.int32),
            shared=np.zeros((0, kept), np.int64), audiences=np.zeros(0, np.uint8),
        )  # fmt: skip

    @classmethod
    def concatenate(cls, parts: list[Selection], kept: int = 1) -> Selection:
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls.empty(kept)
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, **{f.name: getattr(self, f.name) for f in fields(self)})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> Selection:
        arrays = np.load(io.BytesIO(payload))
        return cls(**{f.name: arrays[f.name] for f in fields(cls)})


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
        product = sp_matmul_topn(
            normalized[group],
            normalized[others].T.tocsr(),
            top_n=size,
            threshold=float(min_overlap),
            n_threads=threads if threads and threads > 1 else None,
        ).tocoo()
        parts_src.append(group[product.row])
        parts_dst.append(others[product.col])
        parts_val.append(product.data)
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
    for start in range(0, len(selection), PAIR_BATCH):
        stop = start + PAIR_BATCH
        matrix = _shared_matrix(registry, selection.src[start:stop], selection.dst[start:stop])
        counts = np.diff(matrix.indptr)
        pair = np.repeat(np.arange(len(counts)), counts)
        outcome = registry.outcome_ids[matrix.indices]
        order = np.lexsort((outcome, -matrix.data, pair))
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
    order = eligible[
        np.lexsort(
            (
                partner[eligible],
                -selection.shared_count[eligible],
                -selection.likelihood[eligible],
                -selection.score[eligible],
                selection.src[eligible],
            )
        )
    ]
    sources = selection.src[order]
    starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]]) if len(order) else order
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order)) - group_start
    limit = params.top_k if limits is None else np.asarray(limits)[order]
    return order[rank < limit]


def _scored_shortlist(
    registry: Registry,
    rows: np.ndarray,
    params: Parameters,
    *,
    partners: np.ndarray | None,
    threads: int | None,
) -> Selection:
    """The rows' shortlisted, untied partners (among ``partners``), scored exactly."""
    rows = np.asarray(rows, dtype=np.int64)
    most = int(params.k_of(registry.degrees[rows]).max()) if len(rows) else params.top_k
    src, dst, _approximate = shortlist(
        registry,
        rows,
        max(params.shortlist, most),
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


def candidates_for_rows(
    registry: Registry, rows: np.ndarray, params: Parameters, *, threads: int | None = None
) -> Selection:
    """The directed selections of these rows: each row's best partners, as stakeholder ids, each
    flagged with the audiences that chose it (a pair chosen by both appears twice, once per flag:
    :func:`merge_pairs` joins them).

    Public rows choose among public partners for the public audience; for the cleared audience
    they choose among the same pairs plus their pairs with restricted actors, and restricted rows
    choose among everyone. The result for a row depends only on that row and the whole registry,
    so computing the rows in chunks gives exactly what computing them at once gives.
    """
    rows = np.asarray(rows, dtype=np.int64)
    public_rows = rows[registry.public[rows]]
    public_pool = _scored_shortlist(
        registry, public_rows, params, partners=registry.public, threads=threads
    )
    parts = [_chosen(registry, public_pool, params, PUBLIC_SET)]
    hidden = ~registry.public
    if hidden.any():
        cleared_pool = Selection.concatenate(
            [
                public_pool,
                _scored_shortlist(registry, public_rows, params, partners=hidden, threads=threads),
                _scored_shortlist(
                    registry, rows[hidden[rows]], params, partners=None, threads=threads
                ),
            ],
            params.shared_outcomes_kept,
        )
    else:
        cleared_pool = public_pool
    parts.append(_chosen(registry, cleared_pool, params, CLEARED_SET))
    chosen = Selection.concatenate(parts, params.shared_outcomes_kept)
    chosen = with_shared(registry, chosen, params.shared_outcomes_kept)
    return _to_ids(registry, chosen)


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


def merge_pairs(selection: Selection) -> Selection:
    """Turn directed selections into unordered pairs (``src < dst``), each once, sorted, with the
    audiences of all its selections joined."""
    flip = selection.src > selection.dst
    merged = selection.take(slice(None))
    merged.src = np.where(flip, selection.dst, selection.src)
    merged.dst = np.where(flip, selection.src, selection.dst)
    merged.brings_src = np.where(flip, selection.brings_dst, selection.brings_src)
    merged.brings_dst = np.where(flip, selection.brings_src, selection.brings_dst)
    order = np.lexsort((merged.dst, merged.src))
    a, b = merged.src[order], merged.dst[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(order) else order
    first = first.astype(bool)
    audiences = merged.audiences[order]
    if len(order):
        audiences = np.bitwise_or.reduceat(audiences, np.flatnonzero(first))
    result = merged.take(order[first])
    result.audiences = audiences.astype(np.uint8)
    return result


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
