"""The demo scenario's vocabulary: its data files, the letter codes they use, the specs the
scenario is made of, and shorthands shared by the generators (``demo.scenario``,
``demo.relations``)."""

import datetime
import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stakeholders.choices import (
    Capability,
    DigitalPresence,
    Kind,
    Scope,
    Sensitivity,
    Theme,
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
    # Where on the map (data/places.yaml), when the place is known.
    subnational_area: str = ""
    latitude: float | None = None
    longitude: float | None = None
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


# --- shorthands for the generators ----------------------------------------------------------------

S, IGO, NGO, FIRM = Kind.STATE, Kind.IGO, Kind.NGO, Kind.FIRM
DIA, WG, ACA, MED = Kind.DIASPORA, Kind.WOMENS_GROUP, Kind.ACADEMIC, Kind.MEDIA
FAITH, GRASS, FOUND = Kind.FAITH_BASED, Kind.GRASSROOTS, Kind.FOUNDATION
GLOBAL, REGIONAL, NATIONAL, LOCAL = Scope.GLOBAL, Scope.REGIONAL, Scope.NATIONAL, Scope.LOCAL


def _round(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 2)


_PLACES = data_file("places.yaml")


def demo_place(country: str, place: str | None = None) -> dict:
    """``subnational_area``, ``latitude`` and ``longitude`` of ``place`` in ``country`` (the
    country's first listed place when ``place`` is None) from data/places.yaml; empty when the
    place is not listed."""
    places = _PLACES.get(country) or {}
    if place is None:
        place = next(iter(places), None)
    found = places.get(place) if place else None
    if not found:
        return {}
    area, latitude, longitude = found
    return {"subnational_area": area, "latitude": latitude, "longitude": longitude}
