"""An outcome's pool of actors, as arrays: the parameters of a computation, the constants the
solvers share, and building a pool from the registry's rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from partnerships.bounded_parameters import BoundedParameters

# Capabilities are a bit set of this many bits (stakeholders.choices.Capability).
CAPABILITY_BITS = 10
POPCOUNT = np.array([bin(value).count("1") for value in range(1 << CAPABILITY_BITS)], np.int64)
# Kinds are small integer codes: the kinds in use are one bit each of an int64 mask.
MAX_KIND_CODE = 62
# Bump when the objective or the solvers change what they return: stored results computed by an
# older version are then recomputed even if their inputs did not change.
OBJECTIVE_VERSION = 1
EPSILON = 1e-12

SOLVER_EXACT = "exact"
SOLVER_GREEDY = "greedy"
SOLVER_NONE = "none"

# Why an outcome has no coalition (the Django layer words them for people).
TOO_FEW_ACTORS = "too_few_actors"
TOO_FEW_KINDS = "too_few_kinds"
NO_INCLUSIVE_ACTOR = "no_inclusive_actor"
NO_FEASIBLE_SET = "no_feasible_set"


@dataclass(frozen=True)
class Parameters(BoundedParameters):
    """What a computation uses; stored with its results. The methodology page shows them."""

    weight_coverage: float = 0.5
    weight_stake: float = 0.3
    weight_trust: float = 0.2
    min_size: int = 3
    max_size: int = 5
    coalitions: int = 3
    max_shared: int = 2
    exact_limit: int = 40

    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {
        "weight_coverage": (0.0, 1.0),
        "weight_stake": (0.0, 1.0),
        "weight_trust": (0.0, 1.0),
        "min_size": (3, 5),
        "max_size": (3, 5),
        "coalitions": (1, 10),
        "max_shared": (0, 4),
        "exact_limit": (0, 200),
    }

    def errors(self) -> dict[str, str]:
        """Problems with these parameters, by field name, each naming the allowed range."""
        problems = self.range_errors()
        if not problems:
            total = self.weight_coverage + self.weight_stake + self.weight_trust
            if abs(total - 1.0) > 1e-9:
                problems["weight_coverage"] = (
                    f"The three weights must add up to 1 (they add up to {total:g})."
                )
            if self.min_size > self.max_size:
                problems["min_size"] = f"Must be at most max_size ({self.max_size})."
        return problems

    @property
    def introductions(self) -> int:
        """How many others a broker can introduce in the largest coalition (trust's scale)."""
        return self.max_size - 1


@dataclass
class Pool:
    """One outcome's candidates as arrays; index ``i`` is stakeholder ``ids[i]`` (ascending).

    Build it with :func:`build_pool`, which checks and orders the input.
    """

    ids: np.ndarray  # int64 (n,), ascending
    kinds: np.ndarray  # int64 (n,), codes 0..MAX_KIND_CODE
    capabilities: np.ndarray  # int64 (n,), bit sets
    inclusive: np.ndarray  # bool (n,)
    interest: np.ndarray  # float64 (n,), 0–1
    influence: np.ndarray  # float64 (n,), 0–1
    needed: int
    tie_a: np.ndarray  # int64 (m,), index, tie_a < tie_b, one row per pair
    tie_b: np.ndarray
    tie_strength: np.ndarray  # float64 (m,), 0–1, the strongest tie of the pair
    conflict_a: np.ndarray  # int64 (c,), pairs that oppose each other, conflict_a < conflict_b
    conflict_b: np.ndarray
    _trust: sp.csr_matrix | None = field(default=None, repr=False)
    _conflicts: sp.csr_matrix | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def needed_count(self) -> int:
        return int(POPCOUNT[self.needed])

    @property
    def stake(self) -> np.ndarray:
        return np.sqrt(self.interest * self.influence)

    @property
    def brings(self) -> np.ndarray:
        """Each actor's needed capabilities."""
        return self.capabilities & self.needed

    @property
    def trust(self) -> sp.csr_matrix:
        """Symmetric n × n matrix of tie strengths."""
        if self._trust is None:
            self._trust = _symmetric(self.size, self.tie_a, self.tie_b, self.tie_strength)
        return self._trust

    @property
    def conflicts(self) -> sp.csr_matrix:
        if self._conflicts is None:
            ones = np.ones(len(self.conflict_a))
            self._conflicts = _symmetric(self.size, self.conflict_a, self.conflict_b, ones)
        return self._conflicts

    def index_of(self, stakeholder_ids) -> np.ndarray:
        return np.searchsorted(self.ids, np.asarray(stakeholder_ids, dtype=np.int64))

    def digest(self, params: Parameters) -> str:
        """A fingerprint of everything a solution depends on: equal digests, equal solutions."""
        sha = hashlib.sha256(f"v{OBJECTIVE_VERSION};{sorted(params.as_dict().items())}".encode())
        sha.update(np.int64(self.needed).tobytes())
        for array in (
            self.ids, self.kinds, self.capabilities, self.inclusive.astype(np.int8),
            self.interest, self.influence, self.tie_a, self.tie_b, self.tie_strength,
            self.conflict_a, self.conflict_b,
        ):  # fmt: skip
            sha.update(np.ascontiguousarray(array).tobytes())
            sha.update(b"|")
        return sha.hexdigest()


def _symmetric(n: int, a: np.ndarray, b: np.ndarray, values: np.ndarray) -> sp.csr_matrix:
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    data = np.concatenate([values, values]).astype(np.float64)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    return matrix


def _pairs(ids: np.ndarray, left, right, values=None) -> tuple[np.ndarray, ...]:
    """Unordered index pairs (a < b) of the given id pairs, both ends in ``ids``, without self
    pairs; a pair given twice keeps its largest value."""
    left = np.asarray(left, dtype=np.int64).ravel()
    right = np.asarray(right, dtype=np.int64).ravel()
    values = np.ones(len(left)) if values is None else np.asarray(values, np.float64).ravel()
    ia = np.searchsorted(ids, left)
    ib = np.searchsorted(ids, right)
    inside = (ia < len(ids)) & (ib < len(ids))
    inside[inside] &= (ids[ia[inside]] == left[inside]) & (ids[ib[inside]] == right[inside])
    inside &= ia != ib
    ia, ib, values = ia[inside], ib[inside], values[inside]
    a, b = np.minimum(ia, ib), np.maximum(ia, ib)
    order = np.lexsort((-values, b, a))  # per pair, the largest value first
    a, b, values = a[order], b[order], values[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first], values[first]


def build_pool(
    *,
    stakeholder_ids: Sequence[int],
    kinds: Sequence[int],
    capabilities: Sequence[int],
    inclusive: Sequence[bool],
    interest: Sequence[float],
    influence: Sequence[float],
    needed: int,
    tie_from_ids: Iterable[int] = (),
    tie_to_ids: Iterable[int] = (),
    tie_strengths: Iterable[float] = (),
    conflict_from_ids: Iterable[int] = (),
    conflict_to_ids: Iterable[int] = (),
) -> Pool:
    """A :class:`Pool` from parallel sequences, ordered by stakeholder id.

    Ties and conflicts whose ends are not both in the pool are dropped (an actor outside the
    pool neither introduces nor blocks anyone), as are ties of an actor with itself; a pair tied
    twice keeps its strongest tie.
    """
    ids = np.asarray(stakeholder_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    if len(np.unique(ids)) != len(ids):
        raise ValueError("a stakeholder appears twice in the pool")
    kinds_array = np.asarray(kinds, dtype=np.int64)[order]
    if len(kinds_array) and (kinds_array.min() < 0 or kinds_array.max() > MAX_KIND_CODE):
        raise ValueError(f"kind codes must be between 0 and {MAX_KIND_CODE}")
    caps = np.asarray(capabilities, dtype=np.int64)[order]
    if len(caps) and (caps.min() < 0 or caps.max() >= 1 << CAPABILITY_BITS):
        raise ValueError("capabilities must be bit sets of known capabilities")
    if not 0 <= int(needed) < 1 << CAPABILITY_BITS:
        raise ValueError("needed capabilities must be a bit set of known capabilities")
    tie_a, tie_b, strength = _pairs(
        ids, list(tie_from_ids), list(tie_to_ids), np.clip(list(tie_strengths), 0.0, 1.0)
    )
    keep = strength > 0
    conflict_a, conflict_b, _ = _pairs(ids, list(conflict_from_ids), list(conflict_to_ids))
    return Pool(
        ids=ids,
        kinds=kinds_array,
        capabilities=caps,
        inclusive=np.asarray(inclusive, dtype=bool)[order],
        interest=np.clip(np.asarray(interest, dtype=np.float64)[order], 0.0, 1.0),
        influence=np.clip(np.asarray(influence, dtype=np.float64)[order], 0.0, 1.0),
        needed=int(needed),
        tie_a=tie_a[keep],
        tie_b=tie_b[keep],
        tie_strength=strength[keep],
        conflict_a=conflict_a,
        conflict_b=conflict_b,
    )
