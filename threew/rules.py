"""How a 3W row becomes registry rows: kinds, themes, stakes. Tables and small pure functions.

Stakes (one per organisation × outcome of its row) take their values from the role the
organisation plays in the row, the strongest role winning where it plays several:

========= ======== ========= ================================================================
role      interest influence why
========= ======== ========= ================================================================
impl      0.8      0.6       it does the work on the ground: the outcome is its mission there
org       0.7      0.5       the reporting (lead) organisation: involved, usually implementing
partner   0.6      0.4       a partner named beside the others: involved, a smaller part
funder    0.5      0.8       it pays: the money gives it a say, the outcome is one of many
========= ======== ========= ================================================================

A stake is only ever raised by a 3W import (the larger of the stored and the new value), so that
importing several files in any order gives the same stakes; a stake recorded another way (by
hand, a CSV import, IATI) is left as it is. 3W data says who works where, not how much: these
are documented defaults, to be corrected on the stake's page.
"""

import datetime as dt
import functools

from django_countries import countries

from stakeholders.choices import Capability, Kind, Theme
from stakeholders.names import name_key

STAKE_BY_ROLE: dict[str, tuple[float, float]] = {
    "impl": (0.8, 0.6),
    "org": (0.7, 0.5),
    "partner": (0.6, 0.4),
    "funder": (0.5, 0.8),
}
CAPABILITY_BY_ROLE: dict[str, Capability] = {
    "impl": Capability.FIELD_PRESENCE,
    "org": Capability.FIELD_PRESENCE,
    "partner": Capability(0),
    "funder": Capability.FUNDING,
}
DEFAULT_KIND = Kind.NGO
TIE_STRENGTH = 0.5

# Organisation types as 3W files write them (OCHA's lists, free text), by the words they hold;
# the first rule whose words all appear wins. Matched on the normalised text.
KIND_RULES: list[tuple[tuple[str, ...], str]] = [
    (("red", "cross"), Kind.NGO),
    (("red", "crescent"), Kind.NGO),
    (("un",), Kind.IGO),
    (("united", "nations"), Kind.IGO),
    (("intergovernmental",), Kind.IGO),
    (("multilateral",), Kind.IGO),
    (("igo",), Kind.IGO),
    (("government",), Kind.STATE),
    (("gov",), Kind.STATE),
    (("ministry",), Kind.STATE),
    (("state",), Kind.STATE),
    (("bilateral",), Kind.STATE),
    (("donor",), Kind.STATE),
    (("women",), Kind.WOMENS_GROUP),
    (("womens",), Kind.WOMENS_GROUP),
    (("diaspora",), Kind.DIASPORA),
    (("faith",), Kind.FAITH_BASED),
    (("religious",), Kind.FAITH_BASED),
    (("church",), Kind.FAITH_BASED),
    (("fbo",), Kind.FAITH_BASED),
    (("cbo",), Kind.GRASSROOTS),
    (("community",), Kind.GRASSROOTS),
    (("grassroots",), Kind.GRASSROOTS),
    (("private",), Kind.FIRM),
    (("company",), Kind.FIRM),
    (("firm",), Kind.FIRM),
    (("business",), Kind.FIRM),
    (("foundation",), Kind.FOUNDATION),
    (("academic",), Kind.ACADEMIC),
    (("university",), Kind.ACADEMIC),
    (("research",), Kind.ACADEMIC),
    (("media",), Kind.MEDIA),
    (("ngo",), Kind.NGO),
    (("ingo",), Kind.NGO),
    (("nngo",), Kind.NGO),
    (("lngo",), Kind.NGO),
    (("non", "governmental"), Kind.NGO),
    (("nongovernmental",), Kind.NGO),
    (("civil", "society"), Kind.NGO),
    (("cso",), Kind.NGO),
]

# Sectors / clusters (the IASC cluster names and their usual short forms) → outcome theme.
THEME_RULES: list[tuple[str, str]] = [
    ("gender based violence", Theme.WOMEN_PEACE_SECURITY),
    ("gbv", Theme.WOMEN_PEACE_SECURITY),
    ("protection", Theme.DISPLACEMENT),
    ("shelter", Theme.DISPLACEMENT),
    ("nfi", Theme.DISPLACEMENT),
    ("camp", Theme.DISPLACEMENT),
    ("cccm", Theme.DISPLACEMENT),
    ("displace", Theme.DISPLACEMENT),
    ("refugee", Theme.DISPLACEMENT),
    ("health", Theme.HEALTH_SECURITY),
    ("nutrition", Theme.FOOD_SECURITY),
    ("food", Theme.FOOD_SECURITY),
    ("agricultur", Theme.FOOD_SECURITY),
    ("livelihood", Theme.FOOD_SECURITY),
    ("telecom", Theme.CYBER),
    ("climate", Theme.CLIMATE_SECURITY),
    ("environment", Theme.CLIMATE_SECURITY),
    ("peace", Theme.RECONSTRUCTION),
    ("recovery", Theme.RECONSTRUCTION),
    ("education", Theme.RECONSTRUCTION),
    ("wash", Theme.RECONSTRUCTION),
    ("water", Theme.RECONSTRUCTION),
    ("logistic", Theme.RECONSTRUCTION),
    ("coordination", Theme.GOVERNANCE),
]
DEFAULT_THEME = Theme.RECONSTRUCTION

name_normalised = name_key  # the registry's importer matching rule (stakeholders.names)


def kind_for_org_type(text: str) -> tuple[str, bool]:
    """The kind for an organisation-type cell; (kind, True) when it was understood, and
    (``DEFAULT_KIND``, False) for a blank or unknown type."""
    words = set(name_normalised(text).replace("'", " ").split())
    if not words:
        return DEFAULT_KIND, False
    for needed, kind in KIND_RULES:
        if all(word in words for word in needed):
            return kind, True
    return DEFAULT_KIND, False


def theme_for_sector(sector: str) -> str:
    text = " " + name_normalised(sector).replace("-", " ") + " "
    for needle, theme in THEME_RULES:
        if needle in text:
            return theme
    return DEFAULT_THEME


def clean_text(text: str) -> str:
    return " ".join(str(text or "").split())


@functools.lru_cache(maxsize=4096)  # django-countries looks a name up through every translation
def country_code(*, name: str = "", code: str = "") -> str:
    """The ISO 3166-1 alpha-2 code for a country cell (ISO3, ISO2 or a name); "" if unknown."""
    if code:
        found = countries.alpha2(code.strip().upper())
        if found:
            return found
    if name:
        return countries.by_name(name.strip()) or countries.alpha2(name.strip().upper()) or ""
    return ""


@functools.lru_cache(maxsize=512)
def country_label(code: str) -> str:
    return str(dict(countries).get(code, "")) if code else ""


def date_parse(text: str) -> dt.date | None:
    """ISO dates (2024-03-01, or with a time), and 01/03/2024 read day first; None otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for pattern in ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
