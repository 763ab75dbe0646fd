"""The demo scenario as plain data: read from the YAML files of demo/data/, completed with a seeded
generator of invented local actors, stakes and ties (no database; ``demo.load`` writes it).

The 144 anchor actors are real public institutions (states and their agencies, UN bodies, NGOs,
firms, foundations, media, think tanks), listed in ``data/anchors.yaml``. The ~130 local groups,
diaspora associations and grassroots movements are invented from the name parts of
``data/local_actors.yaml`` with a fixed random seed and say so in their description; the
restricted and confidential ones among them are the do-no-harm case of DESIGN.md. What is written
by hand (outcomes, anchors, the stakes and ties that are the point of the story) lives in the
files; what stays here is how the invented actors are drawn (stakes and ties: demo.relations;
the specs and codes: demo.vocabulary).
"""

import functools
import random
from dataclasses import dataclass

from django_countries import countries

from stakeholders.choices import (
    DigitalPresence,
    IdentifierScheme,
    Kind,
    Scope,
    Sensitivity,
    Theme,
)

from .relations import _stakes, _ties
from .vocabulary import (
    ACA,
    DEMO_SEED,
    DIA,
    FAITH,
    FIRM,
    GLOBAL,
    GRASS,
    INVENTED,
    MED,
    NGO,
    WG,
    OutcomeSpec,
    Scenario,
    StakeholderKey,
    StakeholderSpec,
    _capabilities,
    _round,
    _themes,
    data_file,
    demo_place,
)

# --- sectors -------------------------------------------------------------------------------------

# OECD DAC 5-digit purpose codes named as in the IATI Sector codelist (data/sectors.yaml; a test
# checks them against iati/codelists/Sector.xml), and the sectors an actor working on a theme
# usually reports under, most typical first.
DEMO_SECTORS = tuple((row["code"], row["name"]) for row in data_file("sectors.yaml")["sectors"])
THEME_SECTORS = {
    Theme(theme): tuple(codes)
    for theme, codes in data_file("sectors.yaml")["theme_sectors"].items()
}


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
    place: str = "",
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
        **demo_place(country, place),
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
                        place=place,
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
                place=city,
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
