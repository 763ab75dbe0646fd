"""IATI codelists (code → English name), read from the XML files shipped in ``codelists/``."""

import functools
import xml.etree.ElementTree as ET
from pathlib import Path

CODELIST_DIR = Path(__file__).resolve().parent / "codelists"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@functools.cache
def codelist(name: str) -> dict[str, str]:
    """``{code: English name}`` of the codelist ``name`` (e.g. "Sector"); cached per process.

    A narrative without ``xml:lang`` is English (the codelist's default); another language is used
    only when an item has no English name.
    """
    root = ET.parse(CODELIST_DIR / f"{name}.xml").getroot()
    names: dict[str, str] = {}
    for item in root.iter("codelist-item"):
        code = (item.findtext("code") or "").strip()
        if not code:
            continue
        narratives = item.findall("name/narrative")
        english = [n for n in narratives if n.get(XML_LANG, "en").lower() == "en"]
        chosen = (english or narratives or [None])[0]
        names[code] = " ".join((chosen.text or "").split()) if chosen is not None else code
    return names


def sector_name(code: str) -> str | None:
    """The DAC 5-digit sector's name, or None for a code the codelist does not know."""
    return codelist("Sector").get(code)


def country_name(code: str) -> str | None:
    """The country's name for titles ("Yemen", "the Philippines"), or None for an unknown code."""
    name = codelist("Country").get(code.upper())
    # ISO short names put the article last ("Philippines (the)"); titles read it first.
    if name and name.endswith(" (the)"):
        name = "the " + name.removesuffix(" (the)")
    return name


# 1.0x publishers (pilot data of 2009–2011 above all) wrote organisation types as words — the
# codelist's names ("Government", "Multilateral", "International NGO") or their own shorthand —
# where 2.0x requires the code. The codes themselves (10–90) are the same in every version.
ORGANISATION_TYPE_ALIASES: dict[str, str] = {
    "ngo": "22",  # no scope said: a national NGO, the default scope of imported actors
    "ingo": "21",
    "international non-governmental organisation": "21",
    "non-governmental organisation": "22",
    "civil society organisation": "22",
    "cso": "22",
    "gov": "10",
    "governmental": "10",
    "bilateral": "10",
    "donor government": "10",
    "public sector": "15",
    "ppp": "30",
    "multilateral organisation": "40",
    "igo": "40",
    "private": "70",
    "private company": "70",
    "academic": "80",
    "research": "80",
    "university": "80",
}


def _type_key(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


@functools.cache
def _organisation_types_by_name() -> dict[str, str]:
    names = {_type_key(name): code for code, name in codelist("OrganisationType").items()}
    return {
        **names,
        **{_type_key(alias): code for alias, code in ORGANISATION_TYPE_ALIASES.items()},
    }


def organisation_type_code(value: str) -> str:
    """The OrganisationType code of a type as published: a code ("21", also " 21 " or "021")
    stays a code; a name of any case ("Government", "INTERNATIONAL NGO", "NGO") becomes its code;
    anything else is returned as written, so that the import report names it."""
    value = (value or "").strip()
    if value.isdigit():
        return str(int(value))
    return _organisation_types_by_name().get(_type_key(value), value)
