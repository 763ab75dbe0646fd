"""The demo's stakes and ties: those the story needs (data/relations.yaml), and the rest drawn
with the scenario's seeded generator from who works on what and where."""

import datetime
import random

from stakeholders.choices import SYMMETRIC_TIE_KINDS, Capability, Position, Scope, Theme, TieKind

from .vocabulary import (
    ACA,
    DIA,
    FAITH,
    FIRM,
    FOUND,
    GRASS,
    IGO,
    MED,
    NGO,
    WG,
    OutcomeSpec,
    S,
    StakeholderKey,
    StakeholderSpec,
    StakeSpec,
    TieSpec,
    _round,
    data_file,
)

# --- stakes --------------------------------------------------------------------------------------

# How much say each kind of actor usually has over an outcome (before noise).
BASE_INFLUENCE = {
    S: 0.72,
    IGO: 0.68,
    FOUND: 0.55,
    FIRM: 0.45,
    NGO: 0.45,
    WG: 0.3,
    GRASS: 0.2,
    DIA: 0.25,
    MED: 0.4,
    ACA: 0.32,
    FAITH: 0.4,
}
# Chances of a neutral or opposing position by kind; everyone else mostly supports.
POSITION_ODDS = {S: (0.18, 0.06), FIRM: (0.25, 0.07), MED: (0.1, 0.03), FAITH: (0.1, 0.0)}
_RELATIONS = data_file("relations.yaml")
STAKE_SOURCES = tuple(_RELATIONS["stake_sources"])

# Positions that are the point of the scenario rather than chance: (actor, outcome) → values.
EXPLICIT_STAKES = {
    (row["stakeholder"], row["outcome"]): (
        row["interest"],
        row["influence"],
        Position(row["position"]),
        row["notes"],
    )
    for row in _RELATIONS["explicit_stakes"]
}


def _stake_match(actor: StakeholderSpec, outcome: OutcomeSpec) -> str | None:
    """How an actor relates to an outcome: 'home' (it works there on the theme), 'local' (it works
    there), 'theme' (a global actor on the theme), 'related' (on a neighbouring theme), or None."""
    here = not outcome.countries or actor.works_anywhere
    local = bool(set(actor.works_in) & set(outcome.countries))
    if not (here or local):
        return None
    on_theme = outcome.theme in actor.themes
    related = bool(set(outcome.related_themes) & set(actor.themes))
    if local and on_theme:
        return "home"
    if local:
        return "local" if actor.scope in (Scope.LOCAL, Scope.NATIONAL) or related else None
    if on_theme:
        return "theme"
    if related:
        return "related"
    return None


# (chance of a stake, interest range) per kind of match.
STAKE_ODDS = {
    "home": (0.95, (0.7, 1.0)),
    "local": (0.6, (0.3, 0.6)),
    "theme": (0.85, (0.5, 0.9)),
    "related": (0.35, (0.3, 0.6)),
}


def _stakes(
    rng: random.Random, actors: list[StakeholderSpec], outcomes: tuple[OutcomeSpec, ...]
) -> list[StakeSpec]:
    by_name = {actor.name: actor for actor in actors}
    by_acronym = {actor.acronym: actor for actor in actors if actor.acronym}
    explicit = {}
    for (who, slug), values in EXPLICIT_STAKES.items():
        actor = by_name.get(who) or by_acronym[who]
        explicit[(actor.key, slug)] = values
    stakes = []
    for actor in actors:
        mine = []
        fallback = None
        for outcome in outcomes:
            values = explicit.get((actor.key, outcome.slug))
            if values:
                interest, influence, position, notes = values
                mine.append(
                    StakeSpec(actor.key, outcome.title, interest, influence, position, notes,
                              rng.choice(STAKE_SOURCES))
                )  # fmt: skip
                continue
            match = _stake_match(actor, outcome)
            if match is None:
                continue
            chance, (low, high) = STAKE_ODDS[match]
            draw = rng.random()
            spec = _random_stake(rng, actor, outcome, match, low, high)
            if draw < chance:
                mine.append(spec)
            elif fallback is None:
                fallback = spec
        if not mine and fallback is not None:
            # Every actor in the scenario holds at least one stake.
            mine.append(fallback)
        stakes.extend(mine)
    return stakes


def _random_stake(
    rng: random.Random,
    actor: StakeholderSpec,
    outcome: OutcomeSpec,
    match: str,
    low: float,
    high: float,
) -> StakeSpec:
    interest = _round(rng.uniform(low, high))
    influence = BASE_INFLUENCE[actor.kind] + rng.uniform(-0.15, 0.15)
    if actor.kind == S and match in ("home", "local") and actor.country in outcome.countries:
        influence += 0.15  # a state decides most at home
    if actor.kind == FIRM and outcome.theme in (Theme.DISINFORMATION, Theme.VIOLENT_EXTREMISM):
        influence += 0.25  # platforms control the channels
    if actor.scope == Scope.GLOBAL and actor.capabilities & Capability.FUNDING:
        influence += 0.08
    influence = _round(min(max(influence, 0.05), 0.97))
    neutral, opposes = POSITION_ODDS.get(actor.kind, (0.05, 0.0))
    if actor.kind == S and actor.country not in outcome.countries:
        opposes = 0.0  # distant donors seldom oppose; they stay out or stay neutral
    draw = rng.random()
    if draw < opposes:
        position = Position.OPPOSES
    elif draw < opposes + neutral:
        position = Position.NEUTRAL
    else:
        position = Position.SUPPORTS
    return StakeSpec(
        actor.key, outcome.title, interest, influence, position, "", rng.choice(STAKE_SOURCES)
    )


# --- ties ----------------------------------------------------------------------------------------

TIE_SOURCES = {TieKind(kind): tuple(sources) for kind, sources in _RELATIONS["tie_sources"].items()}
TIE_STRENGTH = {
    TieKind.FUNDS: (0.4, 0.95),
    TieKind.PARTNERS_WITH: (0.3, 0.9),
    TieKind.MEMBER_OF: (0.5, 0.9),
    TieKind.COMMUNICATES_WITH: (0.1, 0.6),
    TieKind.OPPOSES: (0.3, 0.9),
}
SCENARIO_END = datetime.date(2025, 12, 31)

EXPLICIT_TIES = tuple(
    (row["from"], row["to"], TieKind(row["kind"])) for row in _RELATIONS["explicit_ties"]
)

DONOR_KINDS = (S, IGO, FOUND)
INTERNATIONAL_PARTNER_KINDS = (IGO, NGO, FAITH, MED, ACA, WG)


def _tie_dates(rng: random.Random) -> tuple[datetime.date | None, datetime.date | None]:
    if rng.random() < 0.1:
        return None, None
    start = datetime.date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28))
    if rng.random() < 0.25:
        end = min(start + datetime.timedelta(days=rng.randint(180, 1500)), SCENARIO_END)
        return start, end
    return start, None


def _funding_ties(rng: random.Random, actors: list[StakeholderSpec], *, add, shares_outcome):
    """Donors fund implementers that work towards the same outcomes; tech firms fund
    fact-checkers and counter-extremism work."""
    donors = [a for a in actors if a.kind in DONOR_KINDS and a.capabilities & Capability.FUNDING]
    for donor in donors:
        recipients = [
            a
            for a in actors
            if a.kind not in (S,) and a.key != donor.key and shares_outcome(donor, a)
        ]
        for recipient in rng.sample(recipients, min(len(recipients), rng.randint(3, 7))):
            add(donor, recipient, TieKind.FUNDS)
    for firm in (a for a in actors if a.kind == FIRM and a.capabilities & Capability.FUNDING):
        recipients = [a for a in actors if a.kind in (MED, NGO, ACA) and shares_outcome(firm, a)]
        for recipient in rng.sample(recipients, min(len(recipients), 3)):
            add(firm, recipient, TieKind.FUNDS)


def _ties(
    rng: random.Random, actors: list[StakeholderSpec], stakes: list[StakeSpec]
) -> list[TieSpec]:
    by_name = {actor.name: actor for actor in actors}
    by_acronym = {actor.acronym: actor for actor in actors if actor.acronym}
    outcomes_of: dict[StakeholderKey, set[str]] = {actor.key: set() for actor in actors}
    for stake in stakes:
        outcomes_of[stake.stakeholder].add(stake.outcome)

    ties: list[TieSpec] = []
    seen: set[tuple] = set()

    def add(source: StakeholderSpec, target: StakeholderSpec, kind: str, notes: str = "") -> bool:
        if source.key == target.key:
            return False
        key = (source.key, target.key, kind)
        if kind in SYMMETRIC_TIE_KINDS:
            key = (*sorted((source.key, target.key)), kind)
        if key in seen:
            return False
        seen.add(key)
        low, high = TIE_STRENGTH[kind]
        start, end = _tie_dates(rng)
        ties.append(
            TieSpec(source.key, target.key, kind, _round(rng.uniform(low, high)), start, end,
                    rng.choice(TIE_SOURCES[kind]), notes)
        )  # fmt: skip
        return True

    def shares_outcome(a: StakeholderSpec, b: StakeholderSpec) -> bool:
        return bool(outcomes_of[a.key] & outcomes_of[b.key])

    for source_name, target_name, kind in EXPLICIT_TIES:
        source = by_name.get(source_name) or by_acronym[source_name]
        target = by_name.get(target_name) or by_acronym[target_name]
        add(source, target, kind)

    _funding_ties(rng, actors, add=add, shares_outcome=shares_outcome)

    internationals = [
        a for a in actors if a.kind in INTERNATIONAL_PARTNER_KINDS and a.works_anywhere
    ]
    locals_ = [a for a in actors if not a.works_anywhere and a.kind not in (S,)]
    for local in locals_:
        # Local actors partner with one or two international organisations on a shared outcome.
        partners = [a for a in internationals if shares_outcome(local, a)]
        for partner in rng.sample(partners, min(len(partners), rng.randint(1, 2))):
            add(partner, local, TieKind.PARTNERS_WITH)
        # ... and talk to other actors working in the same country.
        neighbours = [a for a in locals_ if a.key != local.key and a.country == local.country]
        if neighbours and rng.random() < 0.6:
            add(local, rng.choice(neighbours), TieKind.COMMUNICATES_WITH)
        if local.kind in (WG, GRASS, NGO) and rng.random() < 0.3:
            network = rng.choice(
                [by_acronym["GNWP"], by_acronym["WILPF"]] if local.kind == WG
                else [by_acronym["ICAN"], by_name["Search for Common Ground"]]
            )  # fmt: skip
            add(local, network, TieKind.MEMBER_OF)
    # Women's groups in Africa join FemWise-Africa's national chapters.
    femwise = by_name["FemWise-Africa"]
    for local in locals_:
        if local.kind == WG and local.country in femwise.works_in and rng.random() < 0.4:
            add(local, femwise, TieKind.MEMBER_OF)
    # Governments of the focus countries coordinate with the UN agencies present.
    for state in (a for a in actors if a.kind == S and not a.works_anywhere):
        agencies = [a for a in actors if a.kind == IGO and shares_outcome(state, a)]
        for agency in rng.sample(agencies, min(len(agencies), 2)):
            add(state, agency, TieKind.COMMUNICATES_WITH)
    return ties
