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
