"""Synthetic engagements for benchmarks: ``synthetic_engagements_create(engagements=N, seed=S)``.

Engagements are generated with NumPy over the synthetic registry (``stakeholders.synthetic``,
``manage.py seed_demo --stakeholders N``) and written in bulk (COPY on PostgreSQL,
``executemany`` elsewhere) without model validation, change history or scoring: they exist to
measure bulk rescoring and the index pages at scale, not to be edited. Every synthetic engagement
is recognisable by its title ("Synthetic engagement 0000123", SYNTHETIC_TITLE_REGEX); a new set
replaces the previous one and never touches any other engagement.

What the generator imitates from real engagement records:
- kinds and formats in realistic proportions; conferences gather more actors than meetings;
- 2–12 participating actors, drawn from the registry with skewed (log-normal) activity, so some
  actors take part in many engagements; the first actor convenes, states, IGOs and foundations
  often fund, others take part or implement;
- facts that vary and correlate (virtual and hybrid engagements use more online channels), with
  each fact unknown in a realistic share of records, so completeness varies between engagements;
- head counts of women among participants and among leaders always within their totals.
"""

import datetime
import time
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django_countries import countries

# The registry generator's bulk-writing helpers: one home for COPY, cascading raw deletes and
# insert-order ids, shared by every synthetic data set.
from stakeholders.synthetic.generation import COUNTRY_POOL, SyntheticSizeError
from stakeholders.synthetic.storage import (
    _db_datetime,
    _ids_in_insert_order,
    _insert,
    _raw_delete,
    _Timer,
    synthetic_outcomes,
    synthetic_stakeholders,
)

from .choices import EngagementFormat, EngagementKind, ParticipantRole
from .models import Engagement, EngagementParticipant

TITLE_PREFIX = "Synthetic engagement "
# Prefix *and* digits only, so that a real engagement whose title merely starts with the words is
# never taken for a synthetic one.
SYNTHETIC_TITLE_REGEX = r"^Synthetic engagement [0-9]+$"
TITLE_WIDTH = 7

MAX_ENGAGEMENTS = 5_000_000
MIN_PARTICIPANTS = 2
MAX_PARTICIPANTS = 12

KIND_SHARES = (
    (EngagementKind.MEETING, 0.35),
    (EngagementKind.CONSULTATION, 0.20),
    (EngagementKind.PROGRAMME, 0.20),
    (EngagementKind.CAMPAIGN, 0.10),
    (EngagementKind.CONFERENCE, 0.15),
)
# Expected share of the 10 extra seats (beyond the minimum of two actors) taken, by kind.
EXTRA_SEATS_BY_KIND = {
    EngagementKind.MEETING: 0.12,
    EngagementKind.CONSULTATION: 0.30,
    EngagementKind.PROGRAMME: 0.25,
    EngagementKind.CAMPAIGN: 0.35,
    EngagementKind.CONFERENCE: 0.60,
}
FORMAT_SHARES = (
    (EngagementFormat.IN_PERSON, 0.50),
    (EngagementFormat.HYBRID, 0.30),
    (EngagementFormat.VIRTUAL, 0.20),
)
FUNDING_KINDS = ("state", "igo", "foundation")
FIRST_DAY = datetime.date(2018, 1, 1)
DAYS_SPAN = 9 * 365
DURATIONS = (0, 1, 2, 4, 30, 90, 180, 365)
DURATION_SHARES = (0.35, 0.2, 0.12, 0.08, 0.08, 0.07, 0.06, 0.04)


@dataclass
class SyntheticEngagements:
    """Columns of the rows to insert, index-aligned; participants refer to row positions."""

    engagements: dict[str, list]
    participant_engagement: np.ndarray  # row position of the engagement
    participant_actor: np.ndarray  # position among the registry's actors
    participant_role: np.ndarray
    outcome_engagement: np.ndarray
    outcome_position: np.ndarray  # position among the registry's outcomes


def synthetic_engagement_sizes_check(*, engagements, stakeholders: int) -> int:
    """The number of engagements to generate, or SyntheticSizeError naming the option at fault.

    ``stakeholders`` is how many synthetic actors the registry holds: at least two are needed.
    """
    if not isinstance(engagements, int) or isinstance(engagements, bool):
        raise SyntheticSizeError("engagements", f"must be a whole number, not {engagements!r}.")
    if engagements < 1:
        raise SyntheticSizeError("engagements", f"must be at least 1, not {engagements}.")
    if engagements > MAX_ENGAGEMENTS:
        raise SyntheticSizeError(
            "engagements", f"must be at most {MAX_ENGAGEMENTS:,}, not {engagements:,}."
        )
    if stakeholders < MIN_PARTICIPANTS:
        raise SyntheticSizeError(
            "stakeholders",
            f"synthetic engagements need at least {MIN_PARTICIPANTS} synthetic stakeholders to "
            f"take part; the registry has {stakeholders}. Generate one first "
            "(manage.py seed_demo --stakeholders N).",
        )
    return engagements


def _shares(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    values = np.array([str(value) for value, _ in shares], dtype=object)
    p = np.array([share for _, share in shares])
    return values[rng.choice(len(values), size=size, p=p / p.sum())]


def _unknown(rng: np.random.Generator, values: list, share: float) -> list:
    """``values`` with about ``share`` of them replaced by None (unknown, not zero)."""
    hidden = rng.random(len(values)) < share
    return [None if h else v for v, h in zip(values, hidden.tolist(), strict=True)]


def _distinct_actors(rng, owner: np.ndarray, actors: np.ndarray, population: int) -> np.ndarray:
    """Redraw actors (uniformly) until no engagement lists the same actor twice."""
    actors = actors.copy()
    while True:
        order = np.lexsort((actors, owner))
        same = (owner[order][1:] == owner[order][:-1]) & (actors[order][1:] == actors[order][:-1])
        repeated = order[1:][same]
        if repeated.size == 0:
            return actors
        actors[repeated] = rng.integers(0, population, repeated.size)


def _people(rng: np.random.Generator, kinds: np.ndarray, population: int):
    """Seats (actors taking part: 2–12, never more than the registry holds, more at
    conferences) and head counts: log-normal crowds (at least one person per actor), women drawn
    within them; leaders, and women among them."""
    n = kinds.size
    extra_share = np.array([EXTRA_SEATS_BY_KIND[kind] for kind in kinds])
    seats = MIN_PARTICIPANTS + rng.binomial(MAX_PARTICIPANTS - MIN_PARTICIPANTS, extra_share)
    seats = np.minimum(seats, population)
    total = np.clip(np.rint(rng.lognormal(3.4, 0.9, n)), 2, 5000).astype(np.int64)
    total = np.maximum(total, seats)
    women = rng.binomial(total, rng.beta(2.0, 2.6, n))
    leaders = 1 + rng.poisson(3.0, n)
    women_leaders = rng.binomial(leaders, rng.beta(1.5, 3.0, n))
    return seats, total, women, leaders, women_leaders


def _participants(rng: np.random.Generator, seats: np.ndarray, actor_kinds: np.ndarray):
    """Participants: actors drawn by log-normal activity, then made distinct within an
    engagement; the first convenes, funders fund, some implement. (engagement, actor, role)
    columns."""
    population = actor_kinds.size
    owner = np.repeat(np.arange(seats.size), seats)
    activity = rng.lognormal(0.0, 0.75, population)
    actors = rng.choice(population, size=owner.size, p=activity / activity.sum())
    actors = _distinct_actors(rng, owner, actors, population)
    first = np.ones(owner.size, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    funding = np.isin(actor_kinds[actors], FUNDING_KINDS) & (rng.random(owner.size) < 0.5)
    implementing = rng.random(owner.size) < 0.3
    roles = np.where(
        first,
        ParticipantRole.CONVENER.value,
        np.where(
            funding,
            ParticipantRole.FUNDER.value,
            np.where(
                implementing, ParticipantRole.IMPLEMENTER.value, ParticipantRole.PARTICIPANT.value
            ),
        ),
    ).astype(object)
    return owner, actors, roles


def _outcomes_served(rng: np.random.Generator, n: int, outcomes: int):
    """Outcomes served: one for most engagements, when the registry has outcomes (engagement
    and outcome positions)."""
    if not outcomes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    served = np.flatnonzero(rng.random(n) < 0.85)
    return served, rng.integers(0, outcomes, served.size)


def synthetic_engagements_generate(
    *, engagements: int, actor_kinds: np.ndarray, outcomes: int, seed: int = 0
) -> SyntheticEngagements:
    """Generate the engagements' columns (pure NumPy, deterministic for a seed).

    ``actor_kinds`` holds the kind of each registry actor (by position); ``outcomes`` is how many
    registry outcomes engagements may serve (0: none).
    """
    rng = np.random.default_rng(seed)
    n, population = engagements, actor_kinds.size
    kinds = _shares(rng, KIND_SHARES, n)
    formats = _shares(rng, FORMAT_SHARES, n)
    start_offsets = rng.integers(0, DAYS_SPAN, n)
    durations = np.array(DURATIONS)[rng.choice(len(DURATIONS), size=n, p=DURATION_SHARES)]
    end_known = rng.random(n) >= 0.1
    country_codes = np.array(COUNTRY_POOL, dtype=object)[rng.integers(0, len(COUNTRY_POOL), n)]
    names = {code: countries.name(code) for code in set(COUNTRY_POOL)}

    # Digital facts: online channels depend on the format.
    online = np.isin(formats, [EngagementFormat.HYBRID, EngagementFormat.VIRTUAL])
    channels = np.minimum(np.where(online, 1, 0) + rng.poisson(np.where(online, 1.6, 0.6)), 8)
    reach = rng.choice(4, size=n, p=[0.35, 0.3, 0.2, 0.15])
    seats, total, women, leaders, women_leaders = _people(rng, kinds, population)
    total_known = rng.random(n) >= 0.1
    leaders_known = rng.random(n) >= 0.15

    columns = {
        "title": [f"{TITLE_PREFIX}{i:0{TITLE_WIDTH}d}" for i in range(1, n + 1)],
        "kind": kinds.tolist(),
        "start_date": [FIRST_DAY + datetime.timedelta(days=d) for d in start_offsets.tolist()],
        "format": formats.tolist(),
        "country": country_codes.tolist(),
        "place": [names[code] for code in country_codes.tolist()],
        "digital_channels": _unknown(rng, channels.tolist(), 0.2),
        "realtime_reporting": _unknown(rng, (rng.random(n) < 0.45).tolist(), 0.2),
        "marginalised_reach": _unknown(rng, reach.tolist(), 0.25),
        "disinformation_safeguards": _unknown(rng, (rng.random(n) < 0.35).tolist(), 0.35),
        "data_protection": _unknown(rng, (rng.random(n) < 0.6).tolist(), 0.2),
        "participants_total": [
            t if k else None for t, k in zip(total.tolist(), total_known, strict=True)
        ],
        "participants_women": _unknown(
            rng, [w if k else None for w, k in zip(women.tolist(), total_known, strict=True)], 0.2
        ),
        "leaders_total": [
            t if k else None for t, k in zip(leaders.tolist(), leaders_known, strict=True)
        ],
        "leaders_women": _unknown(
            rng,
            [w if k else None for w, k in zip(women_leaders.tolist(), leaders_known, strict=True)],
            0.25,
        ),
        "gbv_safeguards": _unknown(rng, (rng.random(n) < 0.45).tolist(), 0.3),
        "unscr1325_participation": (rng.random(n) < 0.55).tolist(),
        "unscr1325_protection": (rng.random(n) < 0.45).tolist(),
        "unscr1325_prevention": (rng.random(n) < 0.35).tolist(),
        "unscr1325_relief_recovery": (rng.random(n) < 0.3).tolist(),
        "results_by_sex": _unknown(rng, (rng.random(n) < 0.4).tolist(), 0.4),
        "dac_gender_marker": _unknown(
            rng, rng.choice(3, size=n, p=[0.45, 0.4, 0.15]).tolist(), 0.3
        ),
    }
    columns["end_date"] = [
        (start + datetime.timedelta(days=days)).isoformat() if known else None
        for start, days, known in zip(
            columns["start_date"], durations.tolist(), end_known.tolist(), strict=True
        )
    ]
    columns["start_date"] = [start.isoformat() for start in columns["start_date"]]
    owner, actors, roles = _participants(rng, seats, actor_kinds)

    served, outcome_position = _outcomes_served(rng, n, outcomes)
    return SyntheticEngagements(
        engagements=columns,
        participant_engagement=owner,
        participant_actor=actors,
        participant_role=roles,
        outcome_engagement=served,
        outcome_position=outcome_position,
    )


# --- database -------------------------------------------------------------------------------------


def synthetic_engagements():
    return Engagement.objects.filter(title__regex=SYNTHETIC_TITLE_REGEX)


def synthetic_engagements_delete() -> int:
    """Delete every synthetic engagement with its participants, scores and outcome links."""
    with transaction.atomic():
        return _raw_delete(Engagement, synthetic_engagements())


ENGAGEMENT_COLUMNS = (
    "title", "kind", "start_date", "end_date", "place", "country", "format",
    "digital_channels", "realtime_reporting", "marginalised_reach", "disinformation_safeguards",
    "data_protection", "participants_total", "participants_women", "leaders_total",
    "leaders_women", "gbv_safeguards", "unscr1325_participation", "unscr1325_protection",
    "unscr1325_prevention", "unscr1325_relief_recovery", "results_by_sex", "dac_gender_marker",
)  # fmt: skip


def synthetic_engagements_create(*, engagements: int, seed: int = 0) -> dict:
    """Replace the synthetic engagements with ``engagements`` new ones, in one transaction.

    Participants are drawn from the synthetic registry, which must exist (SyntheticSizeError,
    nothing written, otherwise). Other engagements, and every stakeholder, are left alone. No
    change history and no scores are written. Returns the counts and the seconds per phase.
    """
    from .generation import scores_changed

    timer = _Timer()
    started = time.perf_counter()
    actor_rows = list(synthetic_stakeholders().order_by("id").values_list("id", "kind"))
    synthetic_engagement_sizes_check(engagements=engagements, stakeholders=len(actor_rows))
    actor_ids = np.array([pk for pk, _ in actor_rows], dtype=np.int64)
    actor_kinds = np.array([kind for _, kind in actor_rows], dtype=object)
    outcome_ids = np.fromiter(
        synthetic_outcomes().order_by("id").values_list("id", flat=True), dtype=np.int64
    )
    with timer.phase("generate"):
        data = synthetic_engagements_generate(
            engagements=engagements,
            actor_kinds=actor_kinds,
            outcomes=outcome_ids.size,
            seed=seed,
        )
    now = _db_datetime(timezone.now())
    with transaction.atomic():
        scores_changed()  # COPY and raw deletes send no signal
        with timer.phase("delete_previous"):
            deleted = synthetic_engagements_delete()
        with timer.phase("insert_engagements"):
            c = data.engagements
            rows = zip(*(c[name] for name in ENGAGEMENT_COLUMNS), strict=True)
            _insert(
                Engagement,
                (*ENGAGEMENT_COLUMNS, "created_at", "updated_at"),
                ((*row, now, now) for row in rows),
            )
            engagement_ids = _ids_in_insert_order(synthetic_engagements(), engagements)
        with timer.phase("insert_participants"):
            _insert(
                EngagementParticipant,
                ("engagement", "stakeholder", "role"),
                zip(
                    engagement_ids[data.participant_engagement].tolist(),
                    actor_ids[data.participant_actor].tolist(),
                    data.participant_role.tolist(),
                    strict=True,
                ),
            )
        with timer.phase("insert_outcomes"):
            _insert(
                Engagement.outcomes.through,
                ("engagement", "outcome"),
                zip(
                    engagement_ids[data.outcome_engagement].tolist(),
                    outcome_ids[data.outcome_position].tolist(),
                    strict=True,
                ),
            )
        commit_started = time.perf_counter()
    timer.seconds["commit"] = round(time.perf_counter() - commit_started, 3)
    if connection.vendor == "postgresql":
        with timer.phase("analyze"), connection.cursor() as cursor:
            tables = (Engagement, EngagementParticipant, Engagement.outcomes.through)
            cursor.execute(
                "ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
            )
    return {
        "engagements": engagements,
        "participants": int(data.participant_engagement.size),
        "outcome_links": int(data.outcome_engagement.size),
        "seed": seed,
        "deleted_previous": deleted,
        "database": connection.vendor,
        "seconds": timer.seconds,
        "total_seconds": round(time.perf_counter() - started, 3),
    }
