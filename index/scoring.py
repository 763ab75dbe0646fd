"""The Smart Diplomacy Index as a pure computation (no Django).

Input: an engagement's facts (:class:`EngagementFacts`, with its participants as
:class:`ParticipantFacts`) and a methodology as a plain dict (the ``Methodology`` row's data).
Output: a :class:`ScoreResult` with the three pillars, the composite, completeness and, for every
indicator, its raw value, normalised value and contribution.

The rules, exactly:

* Each indicator's raw value is read from the facts (see ``INDICATOR_VALUES``); ``None`` means the
  fact is unknown. Unknown is never read as zero.
* Normalisation against the methodology's fixed goalposts ``(low, high)``:
  ``n = clamp((value - low) / (high - low), 0, 1)``. Goalposts are published with the version and
  never depend on other engagements, so a score does not move when data is added elsewhere.
* A pillar's score is ``100 * sum(w_i * n_i) / sum(w_i)`` over the pillar's indicators whose value
  is known (the weights of the known indicators are re-normalised to sum to one). An indicator's
  contribution is its term ``100 * w_i * n_i / sum(w_i)``, so the contributions of a pillar add up
  to its score. A pillar with no known indicator has no score (``None``).
* Completeness is the share of all the methodology's indicators whose value is known (a plain
  count, 0–1), so a score resting on half the facts says so.
* The composite aggregates the pillars that have a score, their weights re-normalised the same way:
  arithmetic ``sum(W_p * S_p) / sum(W_p)``, or geometric ``prod(S_p ** (W_p / sum(W_p)))`` (which
  is 0 if any pillar is 0: imbalance is penalised). No pillar scored → no composite.

Everything is deterministic: same inputs, same floats (indicators and pillars are iterated in the
methodology's order).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache

PILLARS = ("digital", "multi_stakeholder", "feminist")

# Kinds standing for states (and their agencies or their clubs) in the state / non-state balance.
STATE_KINDS = frozenset({"state", "igo"})
LEADING_ROLES = ("convener", "funder", "implementer")
# Indicators read from the participants' kinds, scopes and roles (not from recorded facts).
PARTICIPANT_INDICATORS = frozenset({"M1", "M2", "M3", "M4", "M5", "M6", "F3"})


@dataclass(frozen=True)
class ParticipantFacts:
    kind: str  # stakeholders.choices.Kind value
    scope: str  # stakeholders.choices.Scope value
    role: str  # index.choices.ParticipantRole value


@dataclass(frozen=True)
class EngagementFacts:
    """What the indicators read. ``None`` is "unknown", which is not the same as zero or False."""

    digital_channels: int | None = None
    realtime_reporting: bool | None = None
    marginalised_reach: int | None = None  # ReachLevel 0–3
    disinformation_safeguards: bool | None = None
    data_protection: bool | None = None
    participants_total: int | None = None
    participants_women: int | None = None
    leaders_total: int | None = None
    leaders_women: int | None = None
    gbv_safeguards: bool | None = None
    unscr1325_participation: bool | None = None
    unscr1325_protection: bool | None = None
    unscr1325_prevention: bool | None = None
    unscr1325_relief_recovery: bool | None = None
    results_by_sex: bool | None = None
    dac_gender_marker: int | None = None
    participants: Sequence[ParticipantFacts] = field(default_factory=tuple)


# The engagement's facts the indicators read, by the names the model, its form, its services and
# the scores' stored inputs share: listed once, here (issue 13: they were listed three times).
FACT_FIELDS: tuple[str, ...] = tuple(
    item.name for item in fields(EngagementFacts) if item.name != "participants"
)


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    pillar: str
    value: float | None
    normalised: float | None
    contribution: float | None

    @property
    def missing(self) -> bool:
        return self.value is None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "pillar": self.pillar,
            "value": self.value,
            "normalised": self.normalised,
            "contribution": self.contribution,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class ScoreResult:
    pillars: dict[str, float | None]
    composite: float | None
    completeness: float
    indicators: tuple[IndicatorResult, ...]

    @property
    def digital(self) -> float | None:
        return self.pillars.get("digital")

    @property
    def multi_stakeholder(self) -> float | None:
        return self.pillars.get("multi_stakeholder")

    @property
    def feminist(self) -> float | None:
        return self.pillars.get("feminist")


# --- raw indicator values -----------------------------------------------------------------------


def _flag(value: bool | None) -> float | None:
    return None if value is None else float(bool(value))


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return part / whole


def _needs_participants(compute: Callable[[Sequence[ParticipantFacts]], float]):
    """Participant-based indicators are unknown when no participant is recorded."""

    def read(facts: EngagementFacts) -> float | None:
        return compute(facts.participants) if facts.participants else None

    return read


def kind_evenness(kinds: Sequence[str]) -> float:
    """Pielou's evenness of the kinds: Shannon H / ln k (k distinct kinds); 0 when k is 1."""
    counts = Counter(kinds)
    k = len(counts)
    if k < 2:
        return 0.0
    total = sum(counts.values())
    # Sorted so that the float sum is the same whatever the participants' order.
    shares = sorted(count / total for count in counts.values())
    entropy = -math.fsum(share * math.log(share) for share in shares)
    return entropy / math.log(k)


def state_balance(kinds: Sequence[str]) -> float:
    """1 when states and non-states are half and half, 0 when only one side takes part."""
    state_share = sum(kind in STATE_KINDS for kind in kinds) / len(kinds)
    return 2 * min(state_share, 1 - state_share)


def unscr1325_pillars_addressed(facts: EngagementFacts) -> float | None:
    """How many of UNSCR 1325's four pillars an engagement addresses (F6).

    Unknown when nothing is known of any pillar; once one is known, a pillar left unknown counts
    as not addressed (a record says which pillars it serves, not each one it does not).
    """
    flags = (
        facts.unscr1325_participation,
        facts.unscr1325_protection,
        facts.unscr1325_prevention,
        facts.unscr1325_relief_recovery,
    )
    if all(flag is None for flag in flags):
        return None
    return float(sum(flag is True for flag in flags))


INDICATOR_VALUES: dict[str, Callable[[EngagementFacts], float | None]] = {
    "D1": lambda f: None if f.digital_channels is None else float(f.digital_channels),
    "D2": lambda f: _flag(f.realtime_reporting),
    "D3": lambda f: None if f.marginalised_reach is None else float(f.marginalised_reach),
    "D4": lambda f: _flag(f.disinformation_safeguards),
    "D5": lambda f: _flag(f.data_protection),
    "M1": _needs_participants(lambda ps: float(len(ps))),
    "M2": _needs_participants(lambda ps: float(len({p.kind for p in ps}))),
    "M3": _needs_participants(lambda ps: kind_evenness([p.kind for p in ps])),
    "M4": _needs_participants(lambda ps: state_balance([p.kind for p in ps])),
    "M5": _needs_participants(
        lambda ps: sum(p.scope == "local" or p.kind == "diaspora" for p in ps) / len(ps)
    ),
    "M6": _needs_participants(lambda ps: float(len({p.role for p in ps} & set(LEADING_ROLES)))),
    "F1": lambda f: _share(f.participants_women, f.participants_total),
    "F2": lambda f: _share(f.leaders_women, f.leaders_total),
    "F3": _needs_participants(lambda ps: float(sum(p.kind == "womens_group" for p in ps))),
    "F4": lambda f: _flag(f.gbv_safeguards),
    "F5": lambda f: None if f.dac_gender_marker is None else float(f.dac_gender_marker),
    "F6": lambda f: unscr1325_pillars_addressed(f),
    "F7": lambda f: _flag(f.results_by_sex),
}


def normalise(value: float, low: float, high: float) -> float:
    """Place ``value`` between fixed goalposts, clamped to 0–1."""
    if high == low:
        return 1.0 if value >= high else 0.0
    return min(1.0, max(0.0, (value - low) / (high - low)))


def aggregate(pillars: dict[str, float | None], weights: dict[str, float], how: str):
    """The composite of the pillars that have a score (weights re-normalised); None if none."""
    present = [(name, score) for name, score in pillars.items() if score is not None]
    total = math.fsum(float(weights.get(name, 0)) for name, _ in present)
    if not present or total <= 0:
        return None
    if how == "geometric":
        if any(score <= 0 for _, score in present):
            return 0.0
        return math.exp(
            math.fsum(
                float(weights.get(name, 0)) / total * math.log(score) for name, score in present
            )
        )
    return math.fsum(float(weights.get(name, 0)) * score for name, score in present) / total


LEADING_ROLE_SET = frozenset(LEADING_ROLES)


@lru_cache(maxsize=4096)
def _evenness_of_counts(counts: tuple[int, ...]) -> float:
    # Evenness depends only on the sorted counts of the kinds: computed once per shape, the very
    # same float as kind_evenness (same expression, same order).
    total = sum(counts)
    shares = sorted(count / total for count in counts)
    entropy = -math.fsum(share * math.log(share) for share in shares)
    return entropy / math.log(len(counts))


def _participant_values(participants: Sequence[ParticipantFacts]) -> dict[str, float]:
    """M1–M6 and F3 in one pass over the participants: the same floats as INDICATOR_VALUES."""
    count = len(participants)
    kinds = [p.kind for p in participants]
    by_kind = Counter(kinds)
    states = sum(by_kind[kind] for kind in STATE_KINDS)
    state_share = states / count
    return {
        "M1": float(count),
        "M2": float(len(by_kind)),
        "M3": _evenness_of_counts(tuple(sorted(by_kind.values()))) if len(by_kind) > 1 else 0.0,
        "M4": 2 * min(state_share, 1 - state_share),
        "M5": sum(p.scope == "local" or p.kind == "diaspora" for p in participants) / count,
        "M6": float(len({p.role for p in participants} & LEADING_ROLE_SET)),
        "F3": float(by_kind["womens_group"]),
    }


def _fact_values(facts: EngagementFacts) -> dict[str, float | None]:
    """Every indicator of INDICATOR_VALUES read at once (one call instead of eighteen)."""

    def flag(value):
        return None if value is None else float(bool(value))

    values = {
        "D1": None if facts.digital_channels is None else float(facts.digital_channels),
        "D2": flag(facts.realtime_reporting),
        "D3": None if facts.marginalised_reach is None else float(facts.marginalised_reach),
        "D4": flag(facts.disinformation_safeguards),
        "D5": flag(facts.data_protection),
        "F1": _share(facts.participants_women, facts.participants_total),
        "F2": _share(facts.leaders_women, facts.leaders_total),
        "F4": flag(facts.gbv_safeguards),
        "F5": None if facts.dac_gender_marker is None else float(facts.dac_gender_marker),
        "F6": unscr1325_pillars_addressed(facts),
        "F7": flag(facts.results_by_sex),
    }
    if facts.participants:
        values.update(_participant_values(facts.participants))
    else:
        values.update(dict.fromkeys(PARTICIPANT_INDICATORS))
    return values


def score_engagement(facts: EngagementFacts, methodology: dict) -> ScoreResult:
    """Score one engagement under one methodology (see the module docstring for the rules)."""
    indicators = methodology["indicators"]
    # Bulk rescoring calls this 100,000 times: the facts are read in one call and each pillar's
    # indicators gathered in one pass; the arithmetic (and so every float) is unchanged.
    read = _fact_values(facts)
    raw = {}
    by_pillar: dict[str, list] = {pillar: [] for pillar in PILLARS}
    known_weights: dict[str, list[float]] = {pillar: [] for pillar in PILLARS}
    for spec in indicators:
        code = spec["code"]
        if code in read:
            value = read[code]
        else:
            reader = INDICATOR_VALUES.get(code)
            if reader is None:
                raise ValueError(f"Indicator {code} has no rule to read its value.")
            value = reader(facts)
        raw[code] = value
        pillar = spec["pillar"]
        if pillar in by_pillar:
            by_pillar[pillar].append(spec)
    for pillar, specs in by_pillar.items():
        known_weights[pillar] = [float(s["weight"]) for s in specs if raw[s["code"]] is not None]

    results: list[IndicatorResult] = []
    pillars: dict[str, float | None] = {}
    for pillar in PILLARS:
        known_weight = math.fsum(known_weights[pillar])
        terms = []
        for spec in by_pillar[pillar]:
            code = spec["code"]
            value = raw[code]
            if value is None:
                results.append(IndicatorResult(code, pillar, None, None, None))
                continue
            low, high = spec["goalposts"]
            norm = normalise(value, float(low), float(high))
            contribution = (
                100.0 * float(spec["weight"]) * norm / known_weight if known_weight > 0 else 0.0
            )
            terms.append(contribution)
            results.append(IndicatorResult(code, pillar, value, norm, contribution))
        pillars[pillar] = math.fsum(terms) if known_weight > 0 else None

    known = sum(value is not None for value in raw.values())
    completeness = known / len(raw) if raw else 0.0
    composite = aggregate(
        pillars, methodology.get("pillar_weights", {}), methodology.get("aggregation", "arithmetic")
    )
    order = {spec["code"]: i for i, spec in enumerate(indicators)}
    results.sort(key=lambda r: order[r.code])
    return ScoreResult(pillars, composite, completeness, tuple(results))
