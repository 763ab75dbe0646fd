"""The demo scenario as plain data: read from the YAML files of demo/data/, completed with a seeded
generator of invented local actors, stakes and ties (no database; ``demo.load`` writes it).

The 144 anchor actors are real public institutions (states and their agencies, UN bodies, NGOs,
firms, foundations, media, think tanks), listed in ``data/anchors.yaml``. The ~130 local groups,
diaspora associations and grassroots movements are invented from the name parts of
``data/local_actors.yaml`` with a fixed random seed and say so in their description; the
restricted and confidential ones among them are the do-no-harm case of DESIGN.md. What is written
by hand (outcomes, anchors, the stakes and ties that are the point of the story) lives in the
files; what stays here is how the rest is drawn.
"""

import datetime
import functools
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django_countries import countries

from stakeholders.choices import (
    SYMMETRIC_TIE_KINDS,
    Capability,
    DigitalPresence,
    IdentifierScheme,
    Kind,
    Position,
    Scope,
    Sensitivity,
    Theme,
    TieKind,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
# libyaml's parser when PyYAML was built with it (the wheels are): several times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def data_file(name: str) -> dict:
    """One YAML file of demo/data/, parsed once per process."""
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SAFE_LOADER)


DEMO_SEED = 2026
INVENTED = "(Invented for the demo.)"

# --- vocabulary shorthands -----------------------------------------------------------------------

THEME_CODES = {
    "R": Theme.RECONSTRUCTION,
    "D": Theme.DISPLACEMENT,
    "C": Theme.CLIMATE_SECURITY,
    "X": Theme.VIOLENT_EXTREMISM,
    "I": Theme.DISINFORMATION,
    "W": Theme.WOMEN_PEACE_SECURITY,
    "H": Theme.HEALTH_SECURITY,
    "F": Theme.FOOD_SECURITY,
    "Y": Theme.CYBER,
    "G": Theme.GOVERNANCE,
}
CAPABILITY_CODES = {
    "f": Capability.FUNDING,
    "p": Capability.FIELD_PRESENCE,
    "t": Capability.TECHNOLOGY,
    "c": Capability.CONVENING,
    "l": Capability.LEGAL,
    "s": Capability.SECURITY,
    "m": Capability.MEDIA_REACH,
    "r": Capability.RESEARCH_DATA,
    "g": Capability.LOGISTICS,
    "k": Capability.COMMUNITY_TRUST,
}


def _themes(codes: str) -> tuple[str, ...]:
    return tuple(str(THEME_CODES[code]) for code in codes if code != " ")


def _capabilities(codes: str) -> int:
    value = Capability(0)
    for code in codes:
        if code != " ":
            value |= CAPABILITY_CODES[code]
    return int(value)


# --- sectors -------------------------------------------------------------------------------------

# OECD DAC 5-digit purpose codes named as in the IATI Sector codelist (data/sectors.yaml; a test
# checks them against iati/codelists/Sector.xml), and the sectors an actor working on a theme
# usually reports under, most typical first.
DEMO_SECTORS = tuple((row["code"], row["name"]) for row in data_file("sectors.yaml")["sectors"])
THEME_SECTORS = {
    Theme(theme): tuple(codes)
    for theme, codes in data_file("sectors.yaml")["theme_sectors"].items()
}


# --- the scenario as data ------------------------------------------------------------------------

StakeholderKey = tuple[str, str]  # (name, country)


@dataclass(frozen=True)
class StakeholderSpec:
    name: str
    kind: str
    country: str
    acronym: str = ""
    scope: str = Scope.NATIONAL
    parent: StakeholderKey | None = None
    capabilities: int = 0
    digital_presence: int = DigitalPresence.BASIC
    women_led: bool = False
    women_leadership_share: float | None = None
    sensitivity: str = Sensitivity.PUBLIC
    description: str = ""
    website: str = ""
    country_of_origin: str = ""
    sectors: tuple[str, ...] = ()
    external_ids: tuple[tuple[str, str], ...] = ()
    # Not stored: what the actor works on and where ("*" = anywhere); used to give it stakes.
    themes: tuple[str, ...] = ()
    works_in: tuple[str, ...] = ()

    @property
    def key(self) -> StakeholderKey:
        return (self.name, self.country)

    @property
    def works_anywhere(self) -> bool:
        return "*" in self.works_in


@dataclass(frozen=True)
class OutcomeSpec:
    slug: str
    title: str
    theme: str
    geography: str
    countries: tuple[str, ...]
    needed_capabilities: int
    description: str
    # Other themes the outcome touches: actors working on them hold weaker stakes in it.
    related_themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StakeSpec:
    stakeholder: StakeholderKey
    outcome: str  # title
    interest: float
    influence: float
    position: str
    notes: str = ""
    source: str = ""


@dataclass(frozen=True)
class TieSpec:
    from_stakeholder: StakeholderKey
    to_stakeholder: StakeholderKey
    kind: str
    strength: float
    start_date: datetime.date | None
    end_date: datetime.date | None
    source: str
    notes: str = ""


@dataclass(frozen=True)
class Scenario:
    sectors: tuple[tuple[str, str], ...]
    stakeholders: tuple[StakeholderSpec, ...]
    outcomes: tuple[OutcomeSpec, ...]
    stakes: tuple[StakeSpec, ...]
    ties: tuple[TieSpec, ...]
    stakeholder_index: dict = field(default_factory=dict, compare=False, repr=False)


# --- outcomes ------------------------------------------------------------------------------------

OUTCOMES = tuple(
    OutcomeSpec(
        row["slug"],
        row["title"],
        Theme(row["theme"]),
        row["geography"],
        tuple(row["countries"]),
        _capabilities(row["needs"]),
        row["description"],
        _themes(row.get("related_themes", "")),
    )
    for row in data_file("outcomes.yaml")["outcomes"]
)


# --- anchor actors (real, public) ----------------------------------------------------------------


def _anchor(
    name: str,
    acronym: str,
    kind: str,
    country: str,
    scope: str,
    capabilities: str,
    themes: str,
    works_in: str,
    *,
    parent: str | None = None,
    digital: int | None = None,
    website: str = "",
    iati: str = "",
    crs: str = "",
    description: str = "",
    origin: str = "",
    women_led: bool = False,
) -> dict:
    theme_values = _themes(themes)
    return {
        "name": name,
        "acronym": acronym,
        "kind": kind,
        "country": country,
        "scope": scope,
        "parent_name": parent,
        "capabilities": _capabilities(capabilities),
        "digital_presence": digital,
        "women_led": women_led,
        "description": description,
        "website": website,
        "country_of_origin": origin,
        "external_ids": tuple(
            (scheme, value)
            for scheme, value in (
                (IdentifierScheme.IATI_ORG, iati),
                (IdentifierScheme.CRS_CHANNEL, crs),
            )
            if value
        ),
        "themes": theme_values,
        "works_in": tuple(works_in.split()),
    }


S, IGO, NGO, FIRM = Kind.STATE, Kind.IGO, Kind.NGO, Kind.FIRM
DIA, WG, ACA, MED = Kind.DIASPORA, Kind.WOMENS_GROUP, Kind.ACADEMIC, Kind.MEDIA
FAITH, GRASS, FOUND = Kind.FAITH_BASED, Kind.GRASSROOTS, Kind.FOUNDATION
GLOBAL, REGIONAL, NATIONAL, LOCAL = Scope.GLOBAL, Scope.REGIONAL, Scope.NATIONAL, Scope.LOCAL
ANCHOR_OPTIONS = (
    "parent",
    "digital",
    "website",
    "iati",
    "crs",
    "description",
    "origin",
    "women_led",
)

# Parents come before their agencies and country offices (data/anchors.yaml).
ANCHORS = tuple(
    _anchor(
        row["name"],
        row["acronym"],
        Kind(row["kind"]),
        row["country"],
        Scope(row["scope"]),
        row["capabilities"],
        row["themes"],
        row["works_in"],
        **{key: value for key, value in row.items() if key in ANCHOR_OPTIONS},
    )
    for row in data_file("anchors.yaml")["anchors"]
)


# --- generated local actors (invented) ------------------------------------------------------------


@dataclass(frozen=True)
class CountryProfile:
    code: str
    places: tuple[str, ...]
    themes: str
    conflict: bool
    faith: str  # which faith-based templates fit: muslim, christian, orthodox, mixed
    kinds: tuple[tuple[str, int], ...]  # (kind, how many local actors of it)
    also_works_in: tuple[str, ...] = ()  # refugee hosts: the displaced community's country


_LOCAL = data_file("local_actors.yaml")
COUNTRY_PROFILES = tuple(
    CountryProfile(
        row["code"],
        tuple(row["places"]),
        row["themes"],
        row["conflict"],
        row["faith"],
        tuple((Kind(kind), count) for kind, count in row["kinds"].items()),
        tuple(row.get("also_works_in", ())),
    )
    for row in _LOCAL["country_profiles"]
)

ANY = "any"


def _template_key(key: str):
    return key if key == ANY or key not in Theme.values else Theme(key)


LOCAL_NAME_TEMPLATES = {
    Kind(kind): {_template_key(key): tuple(names) for key, names in by_theme.items()}
    for kind, by_theme in _LOCAL["name_templates"].items()
}
LEAD_INS = {Kind(kind): text for kind, text in _LOCAL["lead_ins"].items()}
ACTIVITIES = {Theme(theme): tuple(texts) for theme, texts in _LOCAL["activities"].items()}

# Diaspora associations: (host country, host city, country of origin, adjective, form).
DIASPORA_GROUPS = tuple(
    (row["host"], row["city"], row["origin"], row["adjective"], row["form"])
    for row in _LOCAL["diaspora_groups"]
)
CONFLICT_ORIGINS = frozenset({"YE", "SY", "SS", "MM", "SD", "ML", "BF"})
PROFILE_THEMES = {profile.code: profile.themes for profile in COUNTRY_PROFILES}


def _round(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 2)


def _sectors_for(kind: str, themes: tuple[str, ...], limit: int = 5) -> tuple[str, ...]:
    codes: list[str] = []
    if kind == WG:
        codes += ["15170", "15180"]
    if kind == MED:
        codes.append("15153")
    for theme in themes:
        for code in THEME_SECTORS[Theme(theme)][:2]:
            if code not in codes:
                codes.append(code)
    return tuple(sorted(codes[:limit]))


def _local_capabilities(rng: random.Random, kind: str, theme: str) -> int:
    base = {
        WG: "pk",
        GRASS: "pk",
        NGO: "p",
        FAITH: "kc",
        MED: "m",
        ACA: "r",
        DIA: "ck",
    }[kind]
    extras = {
        WG: (("c", 0.5), ("l", 0.2), ("r", 0.2), ("m", 0.2)),
        GRASS: (("c", 0.3), ("m", 0.3), ("t", 0.15)),
        NGO: (("k", 0.6), ("g", 0.3), ("l", 0.3), ("r", 0.3)),
        FAITH: (("p", 0.6), ("g", 0.3)),
        MED: (("r", 0.4), ("k", 0.5), ("t", 0.3)),
        ACA: (("c", 0.5), ("t", 0.2)),
        DIA: (("f", 0.5), ("m", 0.4), ("l", 0.2)),
    }[kind]
    codes = base + "".join(code for code, p in extras if rng.random() < p)
    if theme == Theme.DISINFORMATION and rng.random() < 0.5:
        codes += "t"
    return _capabilities(codes)


def _local_sensitivity(rng: random.Random, kind: str, conflict: bool, refugee_led: bool) -> str:
    """Local women's, grassroots and refugee-led groups in conflict zones are the ones at risk."""
    if kind in (WG, GRASS) and conflict:
        p_restricted, p_confidential = 0.38, 0.12
    elif refugee_led or (kind == DIA and conflict):
        p_restricted, p_confidential = 0.3, 0.05
    elif conflict and kind in (NGO, MED):
        p_restricted, p_confidential = 0.08, 0.0
    else:
        return Sensitivity.PUBLIC
    draw = rng.random()
    if draw < p_confidential:
        return Sensitivity.CONFIDENTIAL
    if draw < p_confidential + p_restricted:
        return Sensitivity.RESTRICTED
    return Sensitivity.PUBLIC


def _women_leadership(rng: random.Random, kind: str) -> tuple[bool, float | None]:
    if kind == WG:
        return True, _round(rng.uniform(0.75, 1.0))
    if rng.random() < 0.2:
        return True, _round(rng.uniform(0.5, 0.9))
    if rng.random() < 0.35:
        return False, None
    return False, _round(rng.uniform(0.05, 0.45))


def _local_actor(
    rng: random.Random,
    *,
    kind: str,
    name: str,
    country: str,
    where: str,
    theme: str,
    themes: tuple[str, ...],
    works_in: tuple[str, ...],
    conflict: bool,
    refugee_led: bool = False,
    origin: str = "",
    adjective: str = "",
) -> StakeholderSpec:
    activity = rng.choice(ACTIVITIES[Theme(theme)])
    lead_in = LEAD_INS[kind].format(where=where, adjective=adjective)
    women_led, share = _women_leadership(rng, kind)
    if kind in (MED, ACA):
        digital = rng.choice(
            (DigitalPresence.BASIC, DigitalPresence.ACTIVE, DigitalPresence.STRONG)
        )
    else:
        digital = rng.choice(
            (
                DigitalPresence.NONE,
                DigitalPresence.BASIC,
                DigitalPresence.BASIC,
                DigitalPresence.ACTIVE,
            )
        )
    scope = Scope.NATIONAL if kind == ACA else Scope.LOCAL
    return StakeholderSpec(
        name=name,
        kind=kind,
        country=country,
        scope=scope,
        capabilities=_local_capabilities(rng, kind, theme),
        digital_presence=int(digital),
        women_led=women_led,
        women_leadership_share=share,
        sensitivity=_local_sensitivity(rng, kind, conflict, refugee_led),
        description=f"{lead_in} {activity}. {INVENTED}",
        country_of_origin=origin,
        sectors=_sectors_for(kind, themes),
        themes=themes,
        works_in=works_in,
    )


def _generated_actors(rng: random.Random, taken: set[StakeholderKey]) -> list[StakeholderSpec]:
    actors = []
    for profile in COUNTRY_PROFILES:
        country_name = countries.name(profile.code)
        theme_values = _themes(profile.themes)
        for kind, how_many in profile.kinds:
            for _ in range(how_many):
                theme = rng.choice(theme_values)
                templates = LOCAL_NAME_TEMPLATES[kind]
                if kind == FAITH:
                    options = templates[profile.faith]
                else:
                    options = templates.get(theme, ()) + templates[ANY]
                # Draw until the name is new; the draws are seeded, so the result is fixed.
                for _attempt in range(50):
                    place = rng.choice(profile.places)
                    name = rng.choice(options).format(place=place)
                    if (name, profile.code) not in taken:
                        break
                else:  # pragma: no cover - the name parts are ample
                    raise RuntimeError(f"no free demo name for {kind} in {profile.code}")
                taken.add((name, profile.code))
                # Groups in refugee-hosting places are often led by the displaced themselves.
                refugee_led = bool(profile.also_works_in) and rng.random() < 0.5
                extra = tuple(t for t in theme_values if t != theme and rng.random() < 0.5)
                actors.append(
                    _local_actor(
                        rng,
                        kind=kind,
                        name=name,
                        country=profile.code,
                        where=f"{place}, {country_name}",
                        theme=theme,
                        themes=(theme, *extra),
                        works_in=(profile.code, *profile.also_works_in),
                        conflict=profile.conflict or refugee_led,
                        refugee_led=refugee_led,
                    )
                )
    for host, city, origin, adjective, form in DIASPORA_GROUPS:
        name = f"{adjective} {form} of {city}"
        taken.add((name, host))
        themes = _themes(PROFILE_THEMES.get(origin, "G"))
        theme = rng.choice(themes)
        actors.append(
            _local_actor(
                rng,
                kind=DIA,
                name=name,
                country=host,
                where=f"{city}, {countries.name(host)}",
                theme=theme,
                themes=themes,
                works_in=(origin,),
                conflict=origin in CONFLICT_ORIGINS,
                origin=origin,
                adjective=adjective,
            )
        )
    return actors


def _anchor_specs() -> list[StakeholderSpec]:
    specs: list[StakeholderSpec] = []
    by_name: dict[str, StakeholderSpec] = {}
    for anchor in ANCHORS:
        parent_name = anchor["parent_name"]
        parent = by_name[parent_name].key if parent_name else None
        digital = anchor["digital_presence"]
        if digital is None:
            digital = (
                DigitalPresence.STRONG
                if anchor["scope"] == GLOBAL or anchor["kind"] in (FIRM, MED)
                else DigitalPresence.ACTIVE
            )
        spec = StakeholderSpec(
            name=anchor["name"],
            kind=anchor["kind"],
            country=anchor["country"],
            acronym=anchor["acronym"],
            scope=anchor["scope"],
            parent=parent,
            capabilities=anchor["capabilities"],
            digital_presence=int(digital),
            women_led=anchor["women_led"],
            description=anchor["description"],
            website=anchor["website"],
            country_of_origin=anchor["country_of_origin"],
            sectors=_sectors_for(anchor["kind"], anchor["themes"]),
            external_ids=anchor["external_ids"],
            themes=anchor["themes"],
            works_in=anchor["works_in"],
        )
        specs.append(spec)
        by_name[spec.name] = spec
    return specs


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

    # Donors fund implementers that work towards the same outcomes.
    donors = [a for a in actors if a.kind in DONOR_KINDS and a.capabilities & Capability.FUNDING]
    for donor in donors:
        recipients = [
            a
            for a in actors
            if a.kind not in (S,) and a.key != donor.key and shares_outcome(donor, a)
        ]
        for recipient in rng.sample(recipients, min(len(recipients), rng.randint(3, 7))):
            add(donor, recipient, TieKind.FUNDS)
    # Tech firms fund fact-checkers and counter-extremism work.
    for firm in (a for a in actors if a.kind == FIRM and a.capabilities & Capability.FUNDING):
        recipients = [a for a in actors if a.kind in (MED, NGO, ACA) and shares_outcome(firm, a)]
        for recipient in rng.sample(recipients, min(len(recipients), 3)):
            add(firm, recipient, TieKind.FUNDS)

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


# --- the scenario --------------------------------------------------------------------------------


@functools.cache
def demo_scenario() -> Scenario:
    """The whole demo scenario as plain data. Deterministic: a fixed seed, lists in fixed order."""
    rng = random.Random(DEMO_SEED)
    actors = _anchor_specs()
    taken = {actor.key for actor in actors}
    actors += _generated_actors(rng, taken)
    keys = [actor.key for actor in actors]
    if len(set(keys)) != len(keys):  # pragma: no cover - guarded by the name draw
        raise RuntimeError("demo stakeholder names must be unique per country")
    stakes = _stakes(rng, actors, OUTCOMES)
    ties = _ties(rng, actors, stakes)
    return Scenario(
        sectors=DEMO_SECTORS,
        stakeholders=tuple(actors),
        outcomes=OUTCOMES,
        stakes=tuple(stakes),
        ties=tuple(ties),
        stakeholder_index={actor.key: actor for actor in actors},
    )
