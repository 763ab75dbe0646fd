"""What an overlap run computes (:class:`Parameters`) and the audiences a pair is chosen for.

Pure: no Django, no database. The formulas the parameters enter are in :mod:`.compute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from partnerships.bounded_parameters import BoundedParameters

# Which audiences chose a pair (``Selection.audiences``, ``Candidate.audiences``): bit flags.
PUBLIC_SET = 1
CLEARED_SET = 2
BOTH_SETS = PUBLIC_SET | CLEARED_SET


@dataclass(frozen=True)
class Parameters(BoundedParameters):
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

    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {
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

    def errors(self) -> dict[str, str]:
        """Problems with these parameters, by field name, each naming the allowed range."""
        problems = self.range_errors()
        if not problems and self.shortlist < self.top_k:
            problems["shortlist"] = f"Must be at least top_k ({self.top_k})."
        return problems

    def k_of(self, degrees: np.ndarray) -> np.ndarray:
        """``K_s = top_k + ⌊top_k_growth · log2(outcomes_s)⌋`` for each number of outcomes held."""
        grown = self.top_k_growth * np.log2(np.maximum(np.asarray(degrees, dtype=np.float64), 1))
        return self.top_k + np.floor(grown + 1e-9).astype(np.int64)
