"""Actors dominated by another of their kind, left out of every pick they cannot win."""

from __future__ import annotations

import numpy as np

from partnerships.coalitions.core.pool import CAPABILITY_BITS, Parameters, Pool


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
