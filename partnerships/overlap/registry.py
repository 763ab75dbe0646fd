"""The registry as arrays (:class:`Registry`) and how it is assembled from flat database columns.

Pure: no Django, no database. A sparse stakeholder × outcome matrix of interest plus a few
per-stakeholder and per-outcome arrays; the kind factor's counts (:func:`kind_counts`,
:func:`kind_affinity`) are defined here because the registry fills them in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

# Pseudo-ties added to each kind pair's observed and expected ties (the kind factor's shrinkage).
KIND_PSEUDO_TIES = 5.0

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
    interest, influence = _stake_matrices(
        ids, outcome_ids, stake_stakeholder_ids, stake_outcome_ids, stake_interest, stake_influence
    )
    tie_keys = _tie_keys(ids, tie_from_ids, tie_to_ids)
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
    partner_ties = None if partner_tie_ids is None else _partner_ties(ids, partner_tie_ids)
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


def _stake_matrices(
    ids, outcome_ids, stake_stakeholder_ids, stake_outcome_ids, stake_interest, stake_influence
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The interest matrix (rows ``ids``, columns ``outcome_ids``, both sorted) of the stakes
    with interest > 0 naming a known stakeholder and outcome, and the influence matrix with
    exactly its pattern (zero where none is known)."""
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
    influence = sp.csr_matrix(
        (_values_at(given, interest), interest.indices.copy(), interest.indptr.copy()),
        shape=(n, m),
    )
    return interest, influence


def _tie_keys(ids: np.ndarray, tie_from_ids, tie_to_ids) -> np.ndarray:
    """``i * n + j`` for every tie between two known stakeholders, both directions, sorted."""
    n = len(ids)
    tie_rows = _lookup(ids, tie_from_ids)
    tie_cols = _lookup(ids, tie_to_ids)
    known = (tie_rows >= 0) & (tie_cols >= 0)
    tie_rows, tie_cols = tie_rows[known], tie_cols[known]
    return np.unique(
        np.concatenate([tie_rows * n + tie_cols, tie_cols * n + tie_rows]).astype(np.int64)
    )


def _partner_ties(ids: np.ndarray, partner_tie_ids) -> sp.csr_matrix:
    """Rows ``ids`` × the public partners named in ``(stakeholder id, partner id)`` rows."""
    given = np.asarray(partner_tie_ids, dtype=np.int64).reshape(-1, 2)
    rows = _lookup(ids, given[:, 0])
    partners, columns = np.unique(given[:, 1], return_inverse=True)
    keep = rows >= 0
    return sp.csr_matrix(
        (np.ones(int(keep.sum())), (rows[keep], columns[keep])), shape=(len(ids), len(partners))
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


def registry_statistics(registry: Registry) -> dict:
    """The registry-wide public figures a run read (JSON): what :func:`kind_affinity` and
    :meth:`Registry.rarity` take from beyond one actor's neighbourhood. A refresh between runs
    scores with the current run's, not with today's, so that refreshing an actor — which a
    change no one else can see may set off — gives its pairs exactly the values the run would
    have given them, and moves nothing shared by every pair until the next full run."""
    holders = np.asarray(registry.holders, dtype=np.int64)
    held = np.flatnonzero(holders)
    return {
        "kind_ties": np.asarray(registry.kind_ties, dtype=np.float64).tolist(),
        "kind_sizes": np.asarray(registry.kind_sizes, dtype=np.float64).tolist(),
        "public_size": int(registry.public_size),
        "holders": {
            str(int(outcome)): int(count)
            for outcome, count in zip(registry.outcome_ids[held], holders[held], strict=True)
        },
    }
