"""A pure, streaming reader of IATI activity XML (versions 2.01–2.03 and 1.0x).

``activities_read(path)`` yields one ``Activity`` (or ``SkippedActivity``) per ``<iati-activity>``
and clears each element once read, so memory stays bounded whatever the file's size. It touches no
database: the importer (``services.iati_import``) and, later, the engagements of the index read
the same dataclasses.

What real files do that the standard's examples do not show, and what is done about it:
- 1.0x files put names in the element's text instead of ``<narrative>`` (titles: one element
  per language), spell roles as words in any case ("Funding", "IMPLEMENTING"), organisation
  types as words ("Government", "NGO": ``codelists.organisation_type_code``), activity-date types
  as words ("start-actual") with the date in the text when ``iso-date`` is missing, and sector
  and policy-marker vocabularies as "DAC": all are mapped to the 2.0x codes.
- Narratives carry ``xml:lang`` (or inherit the activity's): English is preferred.
- The d-portal export adds namespaced attributes (``dstore:dataset``): ignored.
- Organisation refs such as "N/A" or "-" are not identifiers: treated as no ref.
"""

import dataclasses
import datetime as dt
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .codelists import organisation_type_code

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# 1.0x spelled roles as words; 2.0x uses the OrganisationRole codes.
ROLE_CODES = {"funding": "1", "accountable": "2", "extending": "3", "implementing": "4"}
# 1.0x activity-date types as words → ActivityDateType codes of 2.0x.
DATE_TYPE_CODES = {"start-planned": "1", "start-actual": "2", "end-planned": "3", "end-actual": "4"}
# Refs that publishers write where they have none.
NOT_A_REF = {"", "n/a", "na", "none", "null", "-", "0", "unknown", "not applicable"}
# Sector vocabularies that mean OECD DAC 5-digit purpose codes (2.0x: "1"; 1.0x: "DAC").
DAC5_VOCABULARIES = {"1", "dac"}
GENDER_EQUALITY_MARKER = "1"
POLICY_MARKER_VOCABULARIES = {"1", "dac"}


class IatiFileError(Exception):
    """The file cannot be read as IATI activity XML at all; the whole import is refused."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclasses.dataclass(frozen=True)
class Organisation:
    """A participating or reporting organisation as the activity names it."""

    ref: str  # "" when the publisher gave no usable identifier
    type: str  # OrganisationType code, "" when missing
    role: str  # OrganisationRole code ("1"–"4"), "" for the reporting organisation or unknown
    name: str  # the English name if there is one, else the first


@dataclasses.dataclass(frozen=True)
class Activity:
    identifier: str
    last_updated: dt.datetime | None
    version: str
    default_currency: str
    reporting_org: Organisation | None
    participating_orgs: tuple[Organisation, ...]
    title: str
    dates: dict[str, dt.date]  # ActivityDateType code → date (1/2 start planned/actual, 3/4 end)
    recipient_countries: tuple[tuple[str, float | None], ...]  # (ISO code, percentage)
    # (Region vocabulary, code, percentage): vocabulary "1" is the OECD DAC region codelist.
    recipient_regions: tuple[tuple[str, str, float | None], ...]
    sectors: tuple[tuple[str, float | None], ...]  # DAC 5-digit (code, percentage)
    other_sector_count: int  # sectors in other vocabularies, not used for outcomes
    gender_marker: int | None  # significance 0/1/2 of policy marker 1 (gender equality)
    budget_total: float | None  # sum of <budget><value>, in the values' currencies as published

    def payload(self) -> dict:
        """A JSON-able form of the activity (kept on ``IatiActivity`` for later use; its digest
        tells versions apart). The same dict ``dataclasses.asdict`` gives, built field by field:
        ``asdict`` deep-copies every value, which cost half a millisecond per activity."""
        reporting = self.reporting_org
        return {
            "identifier": self.identifier,
            "last_updated": self.last_updated.isoformat() if self.last_updated else None,
            "version": self.version,
            "default_currency": self.default_currency,
            "reporting_org": dict(vars(reporting)) if reporting is not None else None,
            "participating_orgs": tuple(dict(vars(org)) for org in self.participating_orgs),
            "title": self.title,
            "dates": {key: value.isoformat() for key, value in self.dates.items()},
            # Tuples of strings and numbers: immutable, shared rather than copied.
            "recipient_countries": self.recipient_countries,
            "recipient_regions": self.recipient_regions,
            "sectors": self.sectors,
            "other_sector_count": self.other_sector_count,
            "gender_marker": self.gender_marker,
            "budget_total": self.budget_total,
        }


@dataclasses.dataclass(frozen=True)
class SkippedActivity:
    """An ``<iati-activity>`` that cannot be used, with why (e.g. no iati-identifier)."""

    position: int  # 1-based among the file's activities
    identifier: str
    reason: str


def activities_read(source: str | Path | IO[bytes]) -> Iterator[Activity | SkippedActivity]:
    """Yield the activities of an IATI activity file, one at a time, in bounded memory.

    Raises ``IatiFileError`` for a file that is not XML, is truncated, or whose root is not an
    un-namespaced ``<iati-activities>`` of version 1.x or 2.x; activities already yielded before a
    truncation was found must then be discarded by the caller (the importer rolls back).
    """
    label = str(source) if isinstance(source, str | Path) else getattr(source, "name", "<stream>")
    events = ET.iterparse(source, events=("start", "end"))
    root = None
    version = ""
    depth = 0
    position = 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                    version = _root_check(label, element)
                continue
            depth -= 1
            if depth == 1 and element.tag == "iati-activity":
                position += 1
                yield _activity_read(element, version=version, position=position)
                # Drop what was read: the element's children and the root's reference to it.
                element.clear()
                root.clear()
    except ET.ParseError as error:
        line, column = getattr(error, "position", (None, None))
        if root is None:
            raise IatiFileError(label, f"not an XML file ({error.msg})") from None
        raise IatiFileError(
            label, f"broken or truncated XML at line {line}, column {column} ({error.msg})"
        ) from None
    if root is None:
        raise IatiFileError(label, "empty file")


def _root_check(label: str, root: ET.Element) -> str:
    if root.tag.startswith("{"):
        namespace = root.tag[1:].split("}")[0]
        raise IatiFileError(
            label,
            f"the root element is in namespace {namespace!r}; IATI activity files have no "
            "namespace on <iati-activities>",
        )
    if root.tag != "iati-activities":
        raise IatiFileError(label, f"the root element is <{root.tag}>, not <iati-activities>")
    version = (root.get("version") or "").strip()
    if version and version.split(".")[0] not in {"1", "2"}:
        raise IatiFileError(label, f"IATI version {version!r} is not supported (1.0x, 2.0x)")
    return version or "2.03"


def _activity_read(element: ET.Element, *, version: str, position: int):
    identifier = " ".join((element.findtext("iati-identifier") or "").split())
    if not identifier:
        return SkippedActivity(position, "", "no iati-identifier")
    activity_version = element.get("version") or version
    # Element-level versions win over the root's (d-portal mixes publishers in one file).
    for key, value in element.attrib.items():
        if key.endswith("}version") and value:
            activity_version = value
    lang = (element.get(XML_LANG) or "en").lower()
    reporting = element.find("reporting-org")
    return Activity(
        identifier=identifier,
        last_updated=_datetime(element.get("last-updated-datetime")),
        version=activity_version,
        default_currency=element.get("default-currency") or "",
        reporting_org=_organisation(reporting, lang=lang, role="")
        if reporting is not None
        else None,
        participating_orgs=tuple(
            org
            for org in (
                _organisation(child, lang=lang, role=_role(child.get("role")))
                for child in element.findall("participating-org")
            )
            if org.ref or org.name
        ),
        title=_text_of(element.findall("title"), lang=lang),
        dates=_dates(element),
        recipient_countries=tuple(
            (code.upper(), _number(child.get("percentage")))
            for child in element.findall("recipient-country")
            if (code := (child.get("code") or "").strip())
        ),
        recipient_regions=tuple(
            (
                (child.get("vocabulary") or "1").strip(),
                code,
                _number(child.get("percentage")),
            )
            for child in element.findall("recipient-region")
            if (code := (child.get("code") or "").strip())
        ),
        sectors=tuple(
            (code, _number(child.get("percentage")))
            for child in element.findall("sector")
            if _is_dac5(child) and (code := (child.get("code") or "").strip())
        ),
        other_sector_count=sum(1 for child in element.findall("sector") if not _is_dac5(child)),
        gender_marker=_gender_marker(element),
        budget_total=_budget_total(element),
    )


def _organisation(element: ET.Element, *, lang: str, role: str) -> Organisation:
    ref = " ".join((element.get("ref") or "").split())
    if ref.casefold() in NOT_A_REF:
        ref = ""
    return Organisation(
        ref=ref,
        type=organisation_type_code(element.get("type") or ""),
        role=role,
        name=_text(element, lang=lang),
    )


def _role(value: str | None) -> str:
    value = (value or "").strip()
    return ROLE_CODES.get(value.casefold(), value)


def _text(element: ET.Element | None, *, lang: str) -> str:
    """The English narrative if any, else the first; 1.0x: the element's own text."""
    if element is None:
        return ""
    narratives = [
        (child.get(XML_LANG, lang).lower(), " ".join((child.text or "").split()))
        for child in element.findall("narrative")
    ]
    narratives = [(language, text) for language, text in narratives if text]
    if narratives:
        english = [text for language, text in narratives if language == "en"]
        return (english or [narratives[0][1]])[0]
    return " ".join((element.text or "").split())


def _text_of(elements: list[ET.Element], *, lang: str) -> str:
    """Of several elements that each hold one language (1.0x titles), the English text; one
    element with narratives (2.0x) is read by ``_text``."""
    texts = [((child.get(XML_LANG) or lang).lower(), _text(child, lang=lang)) for child in elements]
    texts = [(language, text) for language, text in texts if text]
    if not texts:
        return ""
    english = [text for language, text in texts if language == "en"]
    return (english or [texts[0][1]])[0]


def _dates(element: ET.Element) -> dict[str, dt.date]:
    dates = {}
    for child in element.findall("activity-date"):
        kind = (child.get("type") or "").strip()
        kind = DATE_TYPE_CODES.get(kind.casefold(), kind)
        # 1.0x: iso-date is optional and the text may hold the date ("2010-04-01").
        value = _date(child.get("iso-date")) or _date(child.text)
        if kind and value:
            dates[kind] = value
    return dates


def _is_dac5(sector: ET.Element) -> bool:
    vocabulary = (sector.get("vocabulary") or "1").strip().casefold()
    code = (sector.get("code") or "").strip()
    return vocabulary in DAC5_VOCABULARIES and len(code) == 5 and code.isdigit()


def _gender_marker(element: ET.Element) -> int | None:
    for marker in element.findall("policy-marker"):
        vocabulary = (marker.get("vocabulary") or "1").strip().casefold()
        code = (marker.get("code") or "").strip().lstrip("0")
        if vocabulary in POLICY_MARKER_VOCABULARIES and code == GENDER_EQUALITY_MARKER:
            significance = (marker.get("significance") or "").strip()
            if significance.isdigit():
                return int(significance)
    return None


def _budget_total(element: ET.Element) -> float | None:
    values = [_number(budget.findtext("value")) for budget in element.findall("budget")]
    values = [value for value in values if value is not None]
    return sum(values) if values else None


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip().replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _datetime(text: str | None) -> dt.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # IATI datetimes without an offset are read as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
