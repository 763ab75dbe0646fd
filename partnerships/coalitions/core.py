"""Coalitions of three to five actors for one outcome: the pure core (NumPy, no Django).

An outcome's *pool* arrives as a :class:`Pool` — the actors holding a real stake in it (interest
above 0, not opposing it) with their kind, toolbox, inclusiveness, interest and influence, the
trust ties between them and the "opposes" ties that rule pairs out — and leaves as a list of
:class:`Coalition`, best first. The methodology page (``/candidates/methodology/#coalitions``)
says the same in words.

**Constraints.** A set ``S`` of actors of the pool is a *coalition* when

* ``3 ≤ |S| ≤ 5``;
* no two members are of the same kind, so a coalition of ``|S|`` members spans ``|S| ≥ 3``
  kinds: two actors of one kind would be the traditional partnership the product looks past;
* at least one member is *inclusive*: a women's group, a grassroots movement or an actor working
  at local scope;
* no two members are on record as opposing each other.

**Objective** (weights ``w`` default to 0.5, 0.3, 0.2 and add up to 1, so ``value`` runs 0–1)::

    value(S)    = w_cov · coverage(S) + w_stake · stake(S) + w_trust · trust(S)
    coverage(S) = |N ∩ (C_1 ∪ … ∪ C_|S|)| / |N|     (0 when the outcome needs nothing on record)
    stake(S)    = Σ_{i∈S} √(interest_i · influence_i) / 5
    trust(S)    = max_{b∈S} Σ_{j∈S, j≠b} t_bj / 4    (the broker b is the member reaching the max)

``N`` is the outcome's needed capabilities and ``C_i`` member ``i``'s toolbox (bit sets);
``√(interest · influence)`` is the member's place on the power–interest grid (1 for a decisive
actor for whom the outcome is vital); ``t_bj`` is the strength (0–1) of the strongest current tie
between ``b`` and ``j`` in either direction (any kind but "opposes"; 0 when there is none). The
broker is the member who can introduce most of the others, weighted by how strong those ties
are; a coalition without ties has trust 0 and no broker.

Stake and trust are divided by the *largest* coalition (5 members, 4 introductions), not by
``|S|``, so that every term only grows when a member joins: the objective is **monotone**, and
for a fixed broker it is a coverage function plus a sum over members, hence **submodular** in
the other members. Ties *between* non-brokers do not score: each would add a term that grows
faster when both ends join (supermodular), and no greedy bound survives that. The explanation
still lists them.

**Exact solver** (:func:`solve_exact`): depth-first branch and bound over the pool, actors in
order of what each could add alone, pruned by an optimistic bound from suffix tables (coverage of
everything left, the best stakes left, the best broker star an actor left could still reach given
its ties to the members chosen), and started from the greedy's answer as the value to beat.
Exact; its time grows quickly with the pool, so :func:`solve` uses it up to
``Parameters.exact_limit`` actors (measured: see ``benchmarks/coalitions.py`` and the README).

**Greedy solver** (:func:`solve_greedy`): from every *seed* — every actor tied to another in the
pool (a possible broker), every inclusive actor, and once from nothing — add, one at a time, the
actor with the largest gain in value (trust counted around the seed) among those that keep the
set *independent*: one member per kind, at most 5 members of whom at most 4 not inclusive (two
matroids: a partition matroid and a laminar one), and no opposing pair; keep the best set found.
With the seed fixed the objective is monotone submodular, so the greedy algorithm is within a
constant factor of the best set containing the seed (Fisher, Nemhauser & Wolsey 1978): **at least
1/2** when the inclusion rule never changed a choice (greedy over one matroid), **at least 1/3**
otherwise (two matroids). The optimum is reached from one seed: its broker, or — when its members
have no tie — its inclusive member, whose start never meets the inclusion rule. The bound needs
that start's set to be a coalition and no "opposes" tie to have stopped a pick; the optimum being
unknown, the solver states the bound (``Solution.guarantee``: 1/2, 1/3 or 0) only when this holds
for every inclusive seed and every seed that could be the optimum's broker (whose own upper bound
reaches the best value found). Actors dominated by another of their kind (see :func:`dominated`)
are left out of every pick they cannot win, which changes no pick's value.

**Certificate.** Every greedy answer also carries an upper bound ``U ≥ optimum``
(:func:`upper_bound`): the exact best ``w_cov · coverage + w_stake · stake`` over sets with one
member per kind, 3–5 members and an inclusive one (a dynamic programme over the 2^|N| subsets
of needed capabilities, one kind at a time), plus ``w_trust`` times the best broker star any
actor could reach. ``Coalition.bound = value / U`` is then a proven share of the optimum,
usually far better than the a priori 1/3.

Several coalitions per outcome: the ``k``-th is the best coalition sharing at most
``max_shared`` members with each of the first ``k − 1`` (solved again, exactly or greedily, with
that rule added), so that the list offers real alternatives rather than one coalition with one
member swapped.

Both solvers are deterministic: the pool is ordered by stakeholder id, and among sets of equal
value the one with the smallest sorted ids wins.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import scipy.sparse as sp

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
class Parameters:
    """What a computation uses; stored with its results. The methodology page shows them."""

    weight_coverage: float = 0.5
    weight_stake: float = 0.3
    weight_trust: float = 0.2
    min_size: int = 3
    max_size: int = 5
    coalitions: int = 3
    max_shared: int = 2
    exact_limit: int = 40

    LIMITS = {
        "weight_coverage": (0.0, 1.0),
        "weight_stake": (0.0, 1.0),
        "weight_trust": (0.0, 1.0),
        "min_size": (3, 5),
        "max_size": (3, 5),
        "coalitions": (1, 10),
        "max_shared": (0, 4),
        "exact_limit": (0, 200),
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


# --- the objective --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    value: float
    coverage: float
    stake: float
    trust: float
    broker: int  # index into the pool, -1 when no member is tied to another
    covered: int  # needed capabilities the members bring together


def evaluate(pool: Pool, members: Iterable[int], params: Parameters) -> Evaluation:
    """The objective of the module docstring for the pool indices ``members``.

    The one place the value is computed: both solvers report what this returns. The broker is
    the member with the largest star; ties between stars go to the member tied to more of the
    others, then to the smaller stakeholder id.
    """
    members = sorted(int(i) for i in members)
    covered = 0
    for i in members:
        covered |= int(pool.capabilities[i])
    covered &= pool.needed
    coverage = int(POPCOUNT[covered]) / pool.needed_count if pool.needed else 0.0
    stakes = pool.stake
    stake = sum(float(stakes[i]) for i in members) / params.max_size
    trust_matrix = pool.trust
    best = (0.0, 0, 0)  # (star, tied others, -index)
    broker = -1
    for b in members:
        row = trust_matrix.getrow(b)
        lookup = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        strengths = [lookup[j] for j in members if j != b and j in lookup]
        key = (sum(strengths), len(strengths), -b)
        if strengths and key > best:
            best, broker = key, b
    trust = best[0] / params.introductions
    value = (
        params.weight_coverage * coverage
        + params.weight_stake * stake
        + params.weight_trust * trust
    )
    return Evaluation(value, coverage, stake, trust, broker, covered)


def violations(pool: Pool, members: Iterable[int], params: Parameters) -> list[str]:
    """Which constraints ``members`` (pool indices) break: empty for a coalition."""
    members = sorted({int(i) for i in members})
    problems = []
    if not params.min_size <= len(members) <= params.max_size:
        problems.append("size")
    if len({int(pool.kinds[i]) for i in members}) != len(members):
        problems.append("kinds")
    if not any(bool(pool.inclusive[i]) for i in members):
        problems.append("inclusive")
    conflicts = pool.conflicts
    if any(conflicts[a, b] for a in members for b in members if a < b):
        problems.append("opposes")
    return problems


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coalition:
    members: tuple[int, ...]  # stakeholder ids, ascending
    value: float
    coverage: float
    stake: float
    trust: float
    broker: int | None  # stakeholder id
    covered: int  # needed capabilities covered, bit set
    bound: float  # proven: value ≥ bound × the best coalition's value (1.0 when exact)


@dataclass
class Solution:
    coalitions: list[Coalition]
    solver: str  # SOLVER_EXACT, SOLVER_GREEDY or SOLVER_NONE
    pool_size: int
    # Greedy: U ≥ the optimum's value (the certificate); exact: the optimum itself.
    upper_bound: float | None = None
    # A priori share of the optimum the first coalition reaches: 1 exact, 1/2 or 1/3 greedy
    # when the Fisher–Nemhauser–Wolsey bound applies, 0 when it could not be established.
    guarantee: float = 0.0
    reason: str = ""  # why there is no coalition (TOO_FEW_ACTORS, …), "" when there are some
    seconds: float = 0.0


def _coalition(pool: Pool, members, params: Parameters, *, upper: float | None) -> Coalition:
    scored = evaluate(pool, members, params)
    bound = 1.0 if upper is None else (min(1.0, scored.value / upper) if upper > 0 else 1.0)
    return Coalition(
        members=tuple(int(pool.ids[i]) for i in sorted(members)),
        value=scored.value,
        coverage=scored.coverage,
        stake=scored.stake,
        trust=scored.trust,
        broker=int(pool.ids[scored.broker]) if scored.broker >= 0 else None,
        covered=scored.covered,
        bound=bound,
    )


def infeasibility(pool: Pool, params: Parameters) -> str:
    """Why no coalition can exist in this pool at all, or "" if one might."""
    if pool.size < params.min_size:
        return TOO_FEW_ACTORS
    if len(np.unique(pool.kinds)) < params.min_size:
        return TOO_FEW_KINDS
    if not pool.inclusive.any():
        return NO_INCLUSIVE_ACTOR
    return ""


def solve(pool: Pool, params: Parameters | None = None) -> Solution:
    """The outcome's coalitions: exact up to ``params.exact_limit`` actors, greedy beyond."""
    params = params or Parameters()
    started = time.perf_counter()
    reason = infeasibility(pool, params)
    if reason:
        solution = Solution([], SOLVER_NONE, pool.size, reason=reason)
    elif pool.size <= params.exact_limit:
        solution = solve_exact(pool, params)
    else:
        solution = solve_greedy(pool, params)
    if not solution.coalitions and not solution.reason:
        solution.reason = NO_FEASIBLE_SET
    solution.seconds = time.perf_counter() - started
    return solution


# --- dominance ------------------------------------------------------------------------------------


def compact_brings(pool: Pool) -> tuple[np.ndarray, int]:
    """Each actor's needed capabilities as a mask over the needed bits only, and their count."""
    positions = [bit for bit in range(CAPABILITY_BITS) if pool.needed >> bit & 1]
    compact = np.zeros(pool.size, dtype=np.int64)
    for position, bit in enumerate(positions):
        compact |= ((pool.capabilities >> bit) & 1) << position
    return compact, len(positions)


def dominated(pool: Pool, params: Parameters, *, dominators: np.ndarray) -> np.ndarray:
    """Which actors some *other* actor dominates: same kind, bringing at least the same needed
    capabilities, inclusive if it is, with a larger stake (or an equal stake and a smaller id),
    opposed by no one and among ``dominators`` (a boolean mask).

    Swapping a dominated actor for its dominator in a coalition keeps it a coalition (same kind,
    still inclusive, no opposition, the sharing rule no worse when ``dominators`` leaves out the
    members of earlier coalitions) and loses nothing of coverage or stake — and, when the swapped
    actor has no tie to the others, nothing of trust either; so an actor dominated *and* untied
    (for the greedy: not tied to the seed) is never needed. Computed per kind as a minimum over
    supersets of capability masks (one pass per needed capability).
    """
    compact, bits = compact_brings(pool)
    masks = np.arange(1 << bits, dtype=np.int64)
    if params.weight_stake > 0:
        ranking = np.lexsort((pool.ids, -pool.stake))  # best first
    else:
        ranking = np.argsort(pool.ids)
    rank = np.empty(pool.size, dtype=np.int64)
    rank[ranking] = np.arange(pool.size)
    opposed = np.zeros(pool.size, dtype=bool)
    opposed[pool.conflict_a] = opposed[pool.conflict_b] = True
    able = dominators & ~opposed
    kinds, kind_index = np.unique(pool.kinds, return_inverse=True)
    # best[kind, inclusive level, mask]: the best rank among able actors of that kind, at least
    # that inclusive, whose mask includes ``mask``.
    best = np.full((len(kinds), 2, len(masks)), pool.size, dtype=np.int64)
    np.minimum.at(best[:, 0], (kind_index[able], compact[able]), rank[able])
    inclusive_able = able & pool.inclusive
    np.minimum.at(
        best[:, 1], (kind_index[inclusive_able], compact[inclusive_able]), rank[inclusive_able]
    )
    for bit in range(bits):
        np.minimum(best, best[:, :, masks | (1 << bit)], out=best)
    level = pool.inclusive.astype(np.int64)
    return best[kind_index, level, compact] < rank


# --- exact: branch and bound ----------------------------------------------------------------------


def _top(values: list[float], count: int) -> list[float]:
    return sorted(values, reverse=True)[:count]


class _Search:
    """Depth-first branch and bound for the best coalition not sharing more than
    ``max_shared`` members with any of ``earlier`` (pool-index sets)."""

    def __init__(self, pool: Pool, params: Parameters, candidates: np.ndarray):
        self.params = params
        self.pool = pool
        n = len(candidates)
        brings = pool.brings[candidates]
        stakes = pool.stake[candidates]
        trust = pool.trust[candidates][:, candidates].tocsr()
        self.weight_cov = params.weight_coverage / pool.needed_count if pool.needed else 0.0
        self.weight_stake = params.weight_stake / params.max_size
        self.weight_trust = params.weight_trust / params.introductions
        slots = params.introductions
        star_best = np.zeros(n)
        tie_max = np.zeros(n)
        for i in range(n):
            row = trust.data[trust.indptr[i] : trust.indptr[i + 1]]
            if len(row):
                star_best[i] = sum(_top(row.tolist(), slots))
                tie_max[i] = row.max()
        # Actors in order of what each could add alone (the best first finds good incumbents
        # early, so the bound prunes sooner); equal ones by stakeholder id.
        alone = (
            self.weight_cov * POPCOUNT[brings]
            + self.weight_stake * stakes
            + self.weight_trust * star_best
        )
        o = np.lexsort((pool.ids[candidates], -alone))
        self.order = candidates[o]  # position p is pool index order[p]
        position = np.full(pool.size, -1, dtype=np.int64)
        position[self.order] = np.arange(n)
        self.position = position
        self.brings = [int(x) for x in brings[o]]
        self.stake = [float(x) for x in stakes[o]]
        self.kind_bit = [1 << int(x) for x in pool.kinds[self.order]]
        self.inclusive = [bool(x) for x in pool.inclusive[self.order]]
        self.tie_max = [float(x) for x in tie_max[o]]
        self.star_best = [float(x) for x in star_best[o]]
        self.ties: list[dict[int, float]] = [{} for _ in range(n)]
        for a, b, s in zip(pool.tie_a, pool.tie_b, pool.tie_strength, strict=True):
            pa, pb = int(position[a]), int(position[b])
            if pa >= 0 and pb >= 0:
                self.ties[pa][pb] = float(s)
                self.ties[pb][pa] = float(s)
        self.conflict = [0] * n
        for a, b in zip(pool.conflict_a, pool.conflict_b, strict=True):
            pa, pb = int(position[a]), int(position[b])
            if pa >= 0 and pb >= 0:
                self.conflict[pa] |= 1 << pb
                self.conflict[pb] |= 1 << pa
        # Suffix tables: what positions p.. could still bring at best.
        k = params.max_size
        self.suffix_or = [0] * (n + 1)
        self.suffix_inclusive = [False] * (n + 1)
        self.suffix_stakes: list[list[float]] = [[] for _ in range(n + 1)]
        self.suffix_bits: list[list[int]] = [[] for _ in range(n + 1)]
        # suffix_star[r][p]: the largest star an actor at p.. could reach when it has no tie
        # to the members chosen so far and r other places are left for its ties.
        self.suffix_star = [[0.0] * (n + 1) for _ in range(k)]
        for p in range(n - 1, -1, -1):
            self.suffix_or[p] = self.suffix_or[p + 1] | self.brings[p]
            self.suffix_inclusive[p] = self.suffix_inclusive[p + 1] or self.inclusive[p]
            self.suffix_stakes[p] = _top(self.suffix_stakes[p + 1] + [self.stake[p]], k)
            self.suffix_bits[p] = sorted(
                self.suffix_bits[p + 1] + [int(POPCOUNT[self.brings[p]])], reverse=True
            )[:k]
            for r in range(k):
                alone_star = min(r * self.tie_max[p], self.star_best[p])
                self.suffix_star[r][p] = max(self.suffix_star[r][p + 1], alone_star)
        self.suffix_stake_sums = [
            [sum(stakes_[:r]) for r in range(k + 1)] for stakes_ in self.suffix_stakes
        ]
        self.suffix_bit_sums = [[sum(bits[:r]) for r in range(k + 1)] for bits in self.suffix_bits]

    def best(
        self, earlier: list[set[int]], incumbent: Sequence[int] = ()
    ) -> tuple[int, ...] | None:
        """Pool indices of the best coalition respecting the sharing rule, or None.

        ``incumbent`` (pool indices of a coalition respecting the rule, e.g. the greedy's)
        starts the search with a value to beat, so that the bound prunes from the first node.
        """
        self.earlier = [
            sum(1 << int(self.position[i]) for i in group if self.position[i] >= 0)
            for group in earlier
        ]
        self.best_value = -1.0
        self.best_set: tuple[int, ...] | None = None
        if len(incumbent) and all(self.position[i] >= 0 for i in incumbent):
            self.best_value = evaluate(self.pool, incumbent, self.params).value
            self.best_set = tuple(int(self.position[i]) for i in incumbent)
        self._visit(0, [], 0, 0.0, 0, False, 0, [], [0] * len(self.earlier))
        if self.best_set is None:
            return None
        return tuple(sorted(int(self.order[p]) for p in self.best_set))

    def _smaller_ids(self, chosen: list[int]) -> bool:
        """Do ``chosen`` (positions) have smaller sorted stakeholder ids than the best so far?"""
        ids = self.pool.ids
        mine = sorted(int(ids[self.order[p]]) for p in chosen)
        theirs = sorted(int(ids[self.order[p]]) for p in self.best_set or ())
        return not theirs or mine < theirs

    def _visit(
        self, start, chosen, covered, stake_sum, kinds, has_inclusive, banned, stars, shared
    ):
        params = self.params
        size = len(chosen)
        if size >= params.min_size and has_inclusive:
            value = (
                self.weight_cov * int(POPCOUNT[covered])
                + self.weight_stake * stake_sum
                + self.weight_trust * max(stars)
            )
            if value > self.best_value + EPSILON or (
                value >= self.best_value - EPSILON and self._smaller_ids(chosen)
            ):
                self.best_value, self.best_set = value, tuple(chosen)
        if size == params.max_size:
            return
        room = params.max_size - size
        have_bits = int(POPCOUNT[covered])
        chosen_trust = max(
            (min(star + room * self.tie_max[b], self.star_best[b]) for b, star in zip(
                chosen, stars, strict=True
            )),
            default=0.0,
        )  # fmt: skip
        # A later actor q tied to chosen members could broker: its star is at most its ties to
        # them plus room - 1 ties to the others still to come.
        linked: dict[int, float] = {}
        for c in chosen:
            for q, strength in self.ties[c].items():
                if q >= start:
                    linked[q] = linked.get(q, 0.0) + strength
        linked_bounds = sorted(
            (q, min(total + (room - 1) * self.tie_max[q], self.star_best[q]))
            for q, total in linked.items()
        )
        linked_suffix = [0.0] * (len(linked_bounds) + 1)
        for i in range(len(linked_bounds) - 1, -1, -1):
            linked_suffix[i] = max(linked_suffix[i + 1], linked_bounds[i][1])
        next_linked = 0
        lone_star = self.suffix_star[room - 1]
        n = len(self.brings)
        for p in range(start, n):
            while next_linked < len(linked_bounds) and linked_bounds[next_linked][0] < p:
                next_linked += 1
            if size + (n - p) < params.min_size or not (has_inclusive or self.suffix_inclusive[p]):
                break
            bits = min(
                int(POPCOUNT[covered | self.suffix_or[p]]),
                have_bits + self.suffix_bit_sums[p][room],
            )
            optimistic = (
                self.weight_cov * bits
                + self.weight_stake * (stake_sum + self.suffix_stake_sums[p][room])
                + self.weight_trust * max(chosen_trust, lone_star[p], linked_suffix[next_linked])
            )
            if optimistic < self.best_value - EPSILON:
                break  # every table only shrinks as p grows: nothing further can do as well
            if kinds & self.kind_bit[p] or banned >> p & 1:
                continue
            if not has_inclusive and room == 1 and not self.inclusive[p]:
                continue
            if self.earlier:
                new_shared = [
                    count + (mask >> p & 1)
                    for count, mask in zip(shared, self.earlier, strict=True)
                ]
                if max(new_shared) > params.max_shared:
                    continue
            else:
                new_shared = shared
            ties = self.ties[p]
            new_stars = [star + ties.get(q, 0.0) for q, star in zip(chosen, stars, strict=True)]
            new_stars.append(sum(ties.get(q, 0.0) for q in chosen))
            self._visit(
                p + 1,
                [*chosen, p],
                covered | self.brings[p],
                stake_sum + self.stake[p],
                kinds | self.kind_bit[p],
                has_inclusive or self.inclusive[p],
                banned | self.conflict[p],
                new_stars,
                new_shared,
            )


def solve_exact(pool: Pool, params: Parameters | None = None) -> Solution:
    """The best coalitions by exhaustive branch and bound (see the module docstring)."""
    params = params or Parameters()
    started = time.perf_counter()
    reason = infeasibility(pool, params)
    if reason:
        return Solution([], SOLVER_NONE, pool.size, reason=reason)
    found: list[set[int]] = []
    coalitions = []
    untied = np.ones(pool.size, dtype=bool)
    untied[pool.tie_a] = untied[pool.tie_b] = False
    for _ in range(params.coalitions):
        chosen_before = np.zeros(pool.size, dtype=bool)
        chosen_before[[i for group in found for i in group]] = True
        # An actor without ties can be swapped for one that dominates it: never needed.
        redundant = untied & dominated(pool, params, dominators=~chosen_before)
        search = _Search(pool, params, np.flatnonzero(~redundant))
        # The greedy's answer under the same sharing rule is a value to beat from the start.
        incumbent, _flags = _greedy_best(pool, params, [_membership(pool, g) for g in found])
        members = search.best(found, incumbent=incumbent or ())
        if members is None:
            break
        found.append(set(members))
        coalitions.append(_coalition(pool, members, params, upper=None))
    return Solution(
        coalitions,
        SOLVER_EXACT,
        pool.size,
        upper_bound=coalitions[0].value if coalitions else None,
        guarantee=1.0,
        seconds=time.perf_counter() - started,
    )


# --- greedy ---------------------------------------------------------------------------------------


@dataclass
class _GreedyBatch:
    members: np.ndarray  # (rows, max_size) pool indices, -1 = empty
    feasible: np.ndarray  # bool (rows,)
    steered: np.ndarray  # bool (rows,): the inclusion rule changed a choice
    blocked: np.ndarray  # bool (rows,): an opposing tie stopped a pick


def _greedy_batch(
    pool: Pool,
    params: Parameters,
    seeds: np.ndarray,
    columns: np.ndarray,
    earlier: list[np.ndarray],
) -> _GreedyBatch:
    """The greedy of the module docstring for each seed at once (one row per seed; -1 = start
    empty, without a broker), choosing among the pool indices ``columns`` (which must hold every
    actor that can be the best pick: see :func:`solve_greedy`). ``earlier`` are membership masks
    (pool-sized booleans) of the coalitions already chosen."""
    rows = len(seeds)
    k = params.max_size
    row_index = np.arange(rows)
    brings = pool.brings[columns]
    kinds = pool.kinds[columns]
    inclusive = pool.inclusive[columns]
    kind_bits = np.left_shift(np.int64(1), pool.kinds)
    weight_cov = params.weight_coverage / pool.needed_count if pool.needed else 0.0
    static_gain = params.weight_stake * pool.stake[columns] / k
    trust_gain = np.zeros((rows, len(columns)))
    seeded = seeds >= 0
    if seeded.any():
        trust_gain[seeded] = pool.trust[seeds[seeded]][:, columns].toarray()
    trust_gain *= params.weight_trust / params.introductions
    column_kind_bits = kind_bits[columns]
    in_earlier = [mask[columns] for mask in earlier]

    members = np.full((rows, k), -1, dtype=np.int64)
    size = np.zeros(rows, dtype=np.int64)
    covered = np.zeros(rows, dtype=np.int64)
    kinds_used = np.zeros(rows, dtype=np.int64)
    not_inclusive = np.zeros(rows, dtype=np.int64)
    banned = np.zeros((rows, len(columns)), dtype=bool)
    shared = np.zeros((rows, len(earlier)), dtype=np.int64)
    steered = np.zeros(rows, dtype=bool)
    blocked = np.zeros(rows, dtype=bool)
    conflicts = pool.conflicts[:, columns].tocsr() if pool.conflicts.nnz else None

    def add(which: np.ndarray, picks: np.ndarray) -> None:  # picks: pool indices
        members[which, size[which]] = picks
        size[which] += 1
        covered[which] |= pool.brings[picks]
        kinds_used[which] |= kind_bits[picks]
        not_inclusive[which] += ~pool.inclusive[picks]
        if conflicts is not None:
            banned[which] |= conflicts[picks].toarray() > 0
        for c, mask in enumerate(earlier):
            shared[which, c] += mask[picks]

    if seeded.any():
        add(row_index[seeded], seeds[seeded])
    del kinds  # the kind rule reads the bits
    for _ in range(k):
        active = size < k
        if not active.any():
            break
        uncovered = pool.needed & ~covered
        gain = weight_cov * POPCOUNT[brings[None, :] & uncovered[:, None]]
        gain += static_gain[None, :]
        gain += trust_gain
        free = (kinds_used[:, None] & column_kind_bits[None, :]) == 0  # one member per kind
        for c, mask in enumerate(in_earlier):
            free &= ~(mask[None, :] & (shared[:, c] >= params.max_shared)[:, None])
        fits = free & ((not_inclusive < k - 1)[:, None] | inclusive[None, :])
        allowed = fits & ~banned
        best_free = np.where(free, gain, -np.inf).max(axis=1)
        best_fits = np.where(fits, gain, -np.inf).max(axis=1)
        choice = np.where(allowed, gain, -np.inf)
        picks = choice.argmax(axis=1)  # the first maximum: the smallest stakeholder id
        best = choice[row_index, picks]
        ok = active & np.isfinite(best)
        steered |= ok & (best_fits < best_free - EPSILON)
        stopped = ~np.isfinite(best) | (best < best_fits - EPSILON)
        blocked |= active & np.isfinite(best_fits) & stopped
        if not ok.any():
            break
        add(row_index[ok], columns[picks[ok]])
    has_inclusive = not_inclusive < size
    feasible = (size >= params.min_size) & has_inclusive
    return _GreedyBatch(members, feasible, steered, blocked)


def _batch_values(pool: Pool, params: Parameters, members: np.ndarray) -> np.ndarray:
    """Values of many member sets at once (rows of pool indices, -1 = empty), as
    :func:`evaluate` computes them up to rounding; used to rank, never reported."""
    rows, k = members.shape
    present = members >= 0
    safe = np.where(present, members, 0)
    covered = np.bitwise_or.reduce(np.where(present, pool.brings[safe], 0), axis=1)
    coverage = POPCOUNT[covered] / pool.needed_count if pool.needed else np.zeros(rows)
    stake = np.where(present, pool.stake[safe], 0.0).sum(axis=1) / params.max_size
    stars = np.zeros((rows, k))
    trust = pool.trust
    for a in range(k):
        for b in range(a + 1, k):
            both = present[:, a] & present[:, b]
            if not both.any():
                continue
            strength = np.zeros(rows)
            strength[both] = np.asarray(trust[safe[both, a], safe[both, b]]).ravel()
            stars[:, a] += strength
            stars[:, b] += strength
    return (
        params.weight_coverage * coverage
        + params.weight_stake * stake
        + params.weight_trust * stars.max(axis=1) / params.introductions
    )


def greedy_seeds(pool: Pool) -> np.ndarray:
    """Where the greedy starts: -1 (empty, no broker), every possible broker (each actor tied to
    another in the pool) and every inclusive actor (so that some start already satisfies the
    inclusion rule, which then never binds)."""
    tied = np.concatenate([pool.tie_a, pool.tie_b, np.flatnonzero(pool.inclusive)])
    return np.concatenate([np.array([-1], dtype=np.int64), np.unique(tied).astype(np.int64)])


def _greedy_best(
    pool: Pool, params: Parameters, found: list[np.ndarray], *, batch: int = 128
) -> tuple[list[int] | None, list]:
    """The best set the greedy reaches from any seed, sharing at most ``max_shared`` members with
    each of ``found`` (boolean membership masks): its pool indices (None if no start reaches a
    coalition), and each batch's per-seed flags for :func:`_greedy_guarantee`."""
    seeds = greedy_seeds(pool)
    trust = pool.trust
    best_key, best_members = None, None
    flags = []
    chosen_before = np.logical_or.reduce(found) if found else np.zeros(pool.size, bool)
    # The best pick is never an actor dominated by another that is not tied to the seed:
    # each batch chooses among the undominated ones and its seeds' neighbours.
    front = np.flatnonzero(~dominated(pool, params, dominators=~chosen_before))
    for start in range(0, len(seeds), batch):
        chunk = seeds[start : start + batch]
        neighbours = trust[chunk[chunk >= 0]].indices
        columns = np.union1d(front, neighbours) if len(neighbours) else front
        result = _greedy_batch(pool, params, chunk, columns, found)
        flags.append((chunk, result.feasible, result.steered, result.blocked))
        if not result.feasible.any():
            continue
        # Rows of sorted pool indices, empty places (n) last: they compare like sorted ids,
        # the pool being ordered by id.
        sets = result.members[result.feasible]
        sets = np.sort(np.where(sets >= 0, sets, pool.size), axis=1)
        values = _batch_values(pool, params, np.where(sets < pool.size, sets, -1))
        # The best value; among equal values the smallest sorted ids.
        row = np.lexsort((*sets.T[::-1], -np.round(values, 12)))[0]
        key = (-round(float(values[row]), 12), tuple(sets[row].tolist()))
        if best_key is None or key < best_key:
            best_key = key
            best_members = [int(i) for i in sets[row] if i < pool.size]
    return best_members, flags


def _membership(pool: Pool, members) -> np.ndarray:
    mask = np.zeros(pool.size, dtype=bool)
    mask[list(members)] = True
    return mask


def solve_greedy(pool: Pool, params: Parameters | None = None, *, batch: int = 128) -> Solution:
    """Coalitions by the seeded greedy of the module docstring, each with its certificate."""
    params = params or Parameters()
    started = time.perf_counter()
    reason = infeasibility(pool, params)
    if reason:
        return Solution([], SOLVER_NONE, pool.size, reason=reason)
    stars = star_bounds(pool, params)
    coverage_stake = coverage_stake_bound(pool, params)
    upper = coverage_stake + params.weight_trust * float(stars.max(initial=0.0))
    found: list[np.ndarray] = []
    coalitions: list[Coalition] = []
    guarantee = 0.0
    for number in range(params.coalitions):
        best_members, flags = _greedy_best(pool, params, found, batch=batch)
        if best_members is None:
            break
        coalition = _coalition(pool, best_members, params, upper=upper)
        if number == 0:
            guarantee = _greedy_guarantee(pool, params, flags, stars, coverage_stake, coalition)
        found.append(_membership(pool, best_members))
        coalitions.append(coalition)
    return Solution(
        coalitions,
        SOLVER_GREEDY,
        pool.size,
        upper_bound=upper,
        guarantee=guarantee,
        seconds=time.perf_counter() - started,
    )


def _greedy_guarantee(pool, params, flags, stars, coverage_stake, best: Coalition) -> float:
    """The a priori share of the optimum that ``best`` is sure to reach, or 0.

    The optimum ``S*`` is reached from one seed: its broker ``b*``, or, when its members have no
    tie, its inclusive member (the star of an untied seed is 0, so the seeded objective is the
    value itself). Started from that seed, the greedy is within 1/2 of ``S*`` (1/3 if the
    inclusion rule changed a pick) provided its set is a coalition and no "opposes" tie stopped
    a pick. ``S*`` is unknown, so this must hold for every seed that could be ``b*`` — every
    seed whose own bound (the best coverage and stake, plus its best star) reaches ``best`` —
    and for every inclusive seed. A seed started inclusive is never steered.
    """
    share = 1 / 2
    for chunk, feasible, steered, blocked in flags:
        for seed, ok, changed, stopped in zip(chunk, feasible, steered, blocked, strict=True):
            if seed < 0:
                continue  # the empty start is an extra try, not part of the argument
            own_bound = coverage_stake + params.weight_trust * float(stars[seed])
            if own_bound < best.value - 1e-9 and not pool.inclusive[seed]:
                continue  # cannot be the optimum's broker
            if not ok or stopped:
                return 0.0
            if changed:
                share = 1 / 3
    return share


# --- the certificate ------------------------------------------------------------------------------


def star_bounds(pool: Pool, params: Parameters) -> np.ndarray:
    """For each actor, the largest trust it could give as broker: its ``max_size − 1`` strongest
    ties, divided by ``max_size − 1``."""
    trust = pool.trust
    stars = np.zeros(pool.size)
    for i in range(pool.size):
        row = trust.data[trust.indptr[i] : trust.indptr[i + 1]]
        if len(row):
            stars[i] = sum(_top(row.tolist(), params.introductions)) / params.introductions
    return stars


def coverage_stake_bound(pool: Pool, params: Parameters) -> float:
    """The exact maximum of ``w_cov · coverage + w_stake · stake`` over sets with one member per
    kind, ``min_size``–``max_size`` members and an inclusive one (conflicts and the sharing rule
    left out, which can only raise it); 0 if there is no such set.

    Dynamic programming over the subsets of needed capabilities, one kind at a time:
    ``V[c, f, m]`` is the largest stake sum of ``c`` members, ``f`` saying whether one is
    inclusive, whose toolboxes cover *at least* the subset ``m``, so that adding a member that
    brings ``g`` reads ``V[c, f, m ∖ g]`` — a gather, with no two sources writing one target.
    """
    k = params.max_size
    compact, bits = compact_brings(pool)
    masks = np.arange(1 << bits, dtype=np.int64)
    values = np.full((k + 1, 2, len(masks)), -np.inf)
    values[0, 0, 0] = 0.0
    stakes = pool.stake
    for kind in np.unique(pool.kinds):
        of_kind = np.flatnonzero(pool.kinds == kind)
        # One candidate per (toolbox, inclusive): the largest stake among them.
        groups: dict[tuple[int, bool], float] = {}
        for i in of_kind:
            key = (int(compact[i]), bool(pool.inclusive[i]))
            groups[key] = max(groups.get(key, -1.0), float(stakes[i]))
        before = values
        values = before.copy()
        for (toolbox, inclusive), stake in groups.items():
            source = masks & ~toolbox
            for count in range(k):
                for flag in (0, 1):
                    target = values[count + 1, flag | int(inclusive)]
                    np.maximum(target, before[count, flag, source] + stake, out=target)
    coverage = POPCOUNT[masks] / bits if bits else np.zeros(1)
    best = -np.inf
    for count in range(params.min_size, k + 1):
        stake_sums = values[count, 1]
        reachable = np.isfinite(stake_sums)
        if reachable.any():
            candidate = (
                params.weight_coverage * coverage[reachable]
                + params.weight_stake * stake_sums[reachable] / k
            ).max()
            best = max(best, float(candidate))
    return best if math.isfinite(best) else 0.0


def upper_bound(pool: Pool, params: Parameters | None = None) -> float:
    """U ≥ the value of every coalition of the pool (the greedy's certificate): the exact best
    coverage and stake (:func:`coverage_stake_bound`) plus ``w_trust`` times the best star any
    actor could reach as broker."""
    params = params or Parameters()
    stars = star_bounds(pool, params)
    return coverage_stake_bound(pool, params) + params.weight_trust * float(stars.max(initial=0))
