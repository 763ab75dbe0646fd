"""HXL hashtags and plain headers → the fields a 3W row is read into. Pure Python, no Django.

HXL (the Humanitarian Exchange Language, hxlstandard.org) adds a row of hashtags under a table's
human headers: ``#org``, ``#org+impl``, ``#sector+cluster``, ``#adm1+name``… A tag is matched
case-insensitively, with its attributes in any order and spaces allowed around them (``#ORG +impl``
is ``#org+impl``). Unknown tags and attributes are ignored, as the standard asks of a reader.

A *field* is this importer's name for what a column holds: ``impl.name`` (the implementing
organisation's name), ``funder.code``, ``sector``, ``adm1``, ``country.code``, ``date.start``…
(``FIELDS``). Organisations play one of four roles in a row: ``org`` (the reporting or lead
organisation, plain ``#org``), ``impl`` (``+impl``), ``funder`` (``+funder`` or ``+donor``) and
``partner`` (``+partner``); each has a name, a code and a type.
"""

import re
from dataclasses import dataclass, field

ROLES = ("org", "impl", "funder", "partner")
ROLE_LABELS = {
    "org": "organisation",
    "impl": "implementing partner",
    "funder": "funder",
    "partner": "partner",
}
ORG_FIELDS = tuple(f"{role}.{part}" for role in ROLES for part in ("name", "code", "type"))
OTHER_FIELDS = (
    "sector",
    "sector.code",
    "adm1",
    "adm1.code",
    "adm2",
    "country",
    "country.code",
    "status",
    "date",
    "date.start",
    "date.end",
    "activity",
)
FIELDS = ORG_FIELDS + OTHER_FIELDS

# The hashtag that stands for each field (what the mapping form offers and ``--map`` accepts;
# any spelling ``field_for_tag`` reads as the same field is accepted too).
TAG_OF_FIELD = {
    "org.name": "#org",
    "org.code": "#org+code",
    "org.type": "#org+type",
    "impl.name": "#org+impl",
    "impl.code": "#org+impl+code",
    "impl.type": "#org+impl+type",
    "funder.name": "#org+funder",
    "funder.code": "#org+funder+code",
    "funder.type": "#org+funder+type",
    "partner.name": "#org+partner",
    "partner.code": "#org+partner+code",
    "partner.type": "#org+partner+type",
    "sector": "#sector",
    "sector.code": "#sector+code",
    "adm1": "#adm1",
    "adm1.code": "#adm1+code",
    "adm2": "#adm2",
    "country": "#country",
    "country.code": "#country+code",
    "status": "#status",
    "date": "#date",
    "date.start": "#date+start",
    "date.end": "#date+end",
    "activity": "#activity",
}

# How many rows from the top are searched for the hashtag row (HXL files put one or more human
# header rows above it).
HASHTAG_ROW_SEARCH = 25

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Plain headers (normalised: lower case, spaces → "_") a person would give each field.
HEADER_GUESSES: dict[str, str] = {}
for _field, _headers in {
    "org.name": "organisation organization org org_name organisation_name organization_name "
    "agency agency_name reporting_organisation reporting_organization lead_organisation "
    "lead_organization",
    "org.code": "org_code organisation_code organization_code org_id organisation_id "
    "organization_id org_ref iati_identifier iati_org_id",
    "org.type": "org_type organisation_type organization_type type_of_organisation "
    "type_of_organization agency_type",
    "impl.name": "implementing_partner implementing_organisation implementing_organization "
    "implementer implementing_agency implementing_partners",
    "funder.name": "donor funder funding_organisation funding_organization donor_name "
    "funding_agency",
    "partner.name": "partner partner_name partners partner_organisation partner_organization",
    "sector": "sector cluster sector_cluster cluster_sector sector_name cluster_name",
    "adm1": "region province state admin1 adm1 governorate department admin_1 region_name "
    "province_name state_name",
    "adm2": "district admin2 adm2 county lga admin_2 district_name municipality",
    "country": "country country_name",
    "country.code": "country_code iso3 iso_3 country_iso3 iso_code",
    "status": "status activity_status project_status",
    "date": "date reporting_date",
    "date.start": "start_date start date_start start_of_activity",
    "date.end": "end_date end date_end end_of_activity",
    "activity": "activity activity_name project project_title project_name activity_title "
    "activity_description activities",
}.items():
    for _header in _headers.split():
        HEADER_GUESSES[_header] = _field


def tag_parse(text: str) -> tuple[str, frozenset[str]] | None:
    """``"#Org +IMPL+name"`` → ``("org", {"impl", "name"})``; None if it is not a hashtag."""
    text = str(text or "").strip().lower()
    if not text.startswith("#"):
        return None
    parts = [part.strip() for part in text[1:].split("+")]
    tag, attributes = parts[0], [part for part in parts[1:] if part]
    if not _NAME.match(tag) or not all(_NAME.match(part) for part in attributes):
        return None
    return tag, frozenset(attributes)


def field_for_tag(text: str) -> str | None:
    """The field a hashtag stands for, or None for a tag this importer does not read."""
    parsed = tag_parse(text)
    if parsed is None:
        return None
    tag, attributes = parsed
    coded = bool(attributes & {"code", "id"})
    if tag == "org":
        if attributes & {"funder", "donor"}:
            role = "funder"
        elif attributes & {"impl", "implementer", "implementing"}:
            role = "impl"
        elif "partner" in attributes:
            role = "partner"
        else:
            role = "org"
        if coded:
            return f"{role}.code"
        if "type" in attributes:
            return f"{role}.type"
        if attributes & {"acronym", "abbrev"}:
            return None
        return f"{role}.name"
    if tag == "sector":
        return "sector.code" if coded else "sector"
    if tag == "adm1":
        return "adm1.code" if coded else "adm1"
    if tag == "adm2":
        return None if coded else "adm2"
    if tag == "country":
        return "country.code" if coded else "country"
    if tag == "status":
        return "status"
    if tag == "date":
        if "start" in attributes:
            return "date.start"
        if "end" in attributes:
            return "date.end"
        return "date"
    if tag == "activity":
        return None if coded else "activity"
    return None


def is_hashtag_row(cells: list[str]) -> bool:
    """A row of hashtags: at least one, and at least half of its non-blank cells are hashtags."""
    filled = [cell for cell in cells if str(cell).strip()]
    tags = sum(1 for cell in filled if tag_parse(cell) is not None)
    return tags > 0 and 2 * tags >= len(filled)


def header_key(text: str) -> str:
    """'Org type ' → 'org_type': plain headers are matched case- and space-blind."""
    text = str(text or "").replace("\ufeff", "").strip().lower()
    text = re.sub(r"[\s\-./()]+", "_", text)
    return text.strip("_")


def field_guess(header: str) -> str | None:
    """The field a plain header most likely holds ('Organisation' → org.name), or None."""
    return HEADER_GUESSES.get(header_key(header))


class MappingError(ValueError):
    """A ``--map`` text or a form's mapping that cannot be read; the message says which part."""


def mapping_parse(text: str) -> dict[str, str]:
    """``"Organisation=#org, Region=#adm1"`` → ``{"Organisation": "#org", "Region": "#adm1"}``.

    A column mapped to "" or "-" is ignored. Raises ``MappingError`` naming the bad part.
    """
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        header, equals, tag = part.partition("=")
        header, tag = header.strip(), tag.strip()
        if not equals or not header:
            raise MappingError(
                f"'{part.strip()}' is not of the form Header=#tag (e.g. Organisation=#org)."
            )
        if tag not in ("", "-") and field_for_tag(tag) is None:
            raise MappingError(
                f"'{tag}' (for column '{header}') is not a hashtag this importer reads; "
                f"use one of {', '.join(TAG_OF_FIELD.values())}."
            )
        mapping[header] = "" if tag == "-" else tag
    return mapping


@dataclass
class Columns:
    """Which column holds which field, and where that was read from."""

    fields: dict[str, int] = field(default_factory=dict)  # field → column index (0-based)
    how: str = ""  # "hashtags in row N", "the mapping given", "guessed from the headers"
    hashtag_row: int | None = None
    ignored: list[str] = field(default_factory=list)  # columns read as nothing, for the report

    @property
    def has_organisation(self) -> bool:
        return any(f"{role}.name" in self.fields or f"{role}.code" in self.fields for role in ROLES)

    def attach_orphans(self) -> None:
        """A plain ``#org+type`` or ``#org+code`` column in a table without a plain ``#org``
        belongs to the organisation column nearest to its left ("Org type" just after
        "Implementing partner"), or the first one if none is to its left."""
        if "org.name" in self.fields:
            return
        named = sorted(
            (self.fields[f"{role}.name"], role) for role in ROLES if f"{role}.name" in self.fields
        )
        if not named:
            return
        for part in ("type", "code"):
            index = self.fields.get(f"org.{part}")
            if index is None:
                continue
            left = [role for position, role in named if position < index]
            role = left[-1] if left else named[0][1]
            if f"{role}.{part}" not in self.fields:
                self.fields[f"{role}.{part}"] = self.fields.pop(f"org.{part}")

    def describe(self, headers: list[str]) -> list[str]:
        lines = []
        for name, index in sorted(self.fields.items(), key=lambda item: item[1]):
            header = headers[index] if index < len(headers) and headers[index] else "(no header)"
            lines.append(f"column {index + 1} '{header}' → {TAG_OF_FIELD[name]}")
        return lines


def columns_from_tags(cells: list[str], *, row_number: int) -> Columns:
    """The columns of a hashtag row: the first column of each field wins, later ones ignored."""
    columns = Columns(how=f"HXL hashtags in row {row_number}", hashtag_row=row_number)
    for index, cell in enumerate(cells):
        name = field_for_tag(cell)
        if name is None:
            if str(cell).strip():
                columns.ignored.append(f"column {index + 1} ({cell.strip()}): not read")
            continue
        if name in columns.fields:
            columns.ignored.append(
                f"column {index + 1} ({cell.strip()}): a second {TAG_OF_FIELD[name]}, not read"
            )
            continue
        columns.fields[name] = index
    columns.attach_orphans()
    return columns


def columns_from_headers(
    headers: list[str], *, mapping: dict[str, str] | None = None, guess: bool = True
) -> Columns:
    """The columns of a file without hashtags: ``mapping`` (header → hashtag, matched case- and
    space-blind) first, then, for the headers it does not name, a guess from the header's words."""
    by_key = {header_key(header): tag for header, tag in (mapping or {}).items()}
    columns = Columns(how="the mapping given" if mapping else "guessed from the headers")
    for index, header in enumerate(headers):
        key = header_key(header)
        if key in by_key:
            name = field_for_tag(by_key[key]) if by_key[key] else None
        elif guess:
            name = field_guess(header)
            if name is not None and mapping:
                columns.how = "the mapping given, the rest guessed from the headers"
        else:
            name = None
        if name is None or name in columns.fields:
            if header.strip():
                columns.ignored.append(f"column {index + 1} ({header.strip()}): not read")
            continue
        columns.fields[name] = index
    columns.attach_orphans()
    return columns
