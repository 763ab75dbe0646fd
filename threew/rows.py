"""One row of a 3W file read for the import (its organisations, outcome, country and dates, and
its digest), the import's report of what it did with each row, and its one error type.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from collections import Counter

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import IdentifierScheme
from stakeholders.models import Outcome, Stakeholder

from . import hxl, rules
from .reading import Row

BATCH_SIZE = 1000
DETAILS_KEPT = 100  # skipped rows listed one by one in the report; the rest only counted
SOURCE_PREFIX = "3W "
IDENTIFIER_SCHEMES = (IdentifierScheme.OTHER, IdentifierScheme.IATI_ORG)
# Both are CharFields, which always have a max_length.
NAME_MAX: int = Stakeholder._meta.get_field("name").max_length or 0
TITLE_MAX: int = Outcome._meta.get_field("title").max_length or 0


class ThreeWImportError(ApplicationError):
    """The file was refused as a whole: nothing was written. ``report`` says what was read."""

    def __init__(self, message: str, *, report: "ImportReport | None" = None):
        super().__init__(message, "file")
        self.report = report


@dataclasses.dataclass
class ImportReport:
    """What one import did: rows imported, unchanged and skipped (why), and rows written."""

    file: str = ""
    source: str = ""
    dry_run: bool = False
    columns: list[str] = dataclasses.field(default_factory=list)
    rows_read: int = 0
    rows_imported: int = 0
    rows_unchanged: int = 0
    rows_skipped: int = 0
    created: Counter = dataclasses.field(default_factory=Counter)
    updated: Counter = dataclasses.field(default_factory=Counter)
    matched: int = 0  # organisations found in the registry
    reasons: Counter = dataclasses.field(default_factory=Counter)  # why rows were skipped
    notes: Counter = dataclasses.field(default_factory=Counter)  # what was assumed
    skipped: list[str] = dataclasses.field(default_factory=list)
    involves_restricted: bool = False  # matched a restricted stakeholder: cleared eyes only
    seconds: float = 0.0

    def skip(self, number: int, reason: str) -> None:
        self.rows_skipped += 1
        self.reasons[reason] += 1
        if len(self.skipped) < DETAILS_KEPT:
            self.skipped.append(f"row {number}: {reason}")

    @property
    def nothing_imported(self) -> bool:
        return self.rows_imported == 0 and self.rows_unchanged == 0

    def lines(self) -> list[str]:
        out = [f"File: {self.file} (source: {self.source})"]
        if self.dry_run:
            out.append("Dry run: nothing was written.")
        out.append("Columns read:")
        out.extend(f"  {line}" for line in self.columns)
        out.append(
            f"Rows read {self.rows_read:,}: imported {self.rows_imported:,}, unchanged (imported "
            f"before) {self.rows_unchanged:,}, skipped {self.rows_skipped:,}"
        )
        for name in ("stakeholders", "identifiers", "outcomes", "stakes", "ties"):
            out.append(
                f"  {name:<12} created {self.created[name]:>7,}  updated {self.updated[name]:>7,}"
            )
        out.append(f"  organisations found in the registry: {self.matched:,}")
        if self.reasons:
            out.append("Rows skipped, commonest reasons first:")
            out.extend(f"  {count:>7,} × {reason}" for reason, count in self.reasons.most_common())
        if self.notes:
            out.append("Notes (what was assumed):")
            out.extend(f"  {count:>7,} × {reason}" for reason, count in self.notes.most_common())
        if self.skipped:
            out.append(f"Skipped rows (first {DETAILS_KEPT}):")
            out.extend(f"  {line}" for line in self.skipped)
        return out


@dataclasses.dataclass
class _Org:
    role: str
    name: str
    code: str
    type: str


@dataclasses.dataclass
class _Parsed:
    """One usable row, as read through the columns."""

    number: int
    digest: str
    orgs: list[_Org]
    outcome: tuple[str, str, str] | None  # (title, sector, area) or None
    country: str
    start: dt.date | None
    end: dt.date | None


def _value(row: Row, columns: hxl.Columns, name: str) -> str:
    return rules.clean_text(row.cell(columns.fields.get(name)))


def _row_parse(row: Row, columns: hxl.Columns, report: ImportReport) -> _Parsed | None:
    """The row as the importer reads it, or None (skipped, with the reason in the report)."""
    if row.problem:
        report.skip(row.number, f"the row {row.problem}")
        return None
    orgs: list[_Org] = []
    seen: set[str] = set()
    for role in hxl.ROLES:
        name = _value(row, columns, f"{role}.name")
        code = _value(row, columns, f"{role}.code")
        if not name and not code:
            continue
        if len(name) > NAME_MAX:
            report.notes[f"organisation name longer than {NAME_MAX} characters: cut"] += 1
            name = name[:NAME_MAX]
        key = code.casefold() or rules.name_normalised(name)
        if key in seen:
            continue
        seen.add(key)
        orgs.append(_Org(role, name, code[:200], _value(row, columns, f"{role}.type")))
    if not orgs:
        report.skip(row.number, "no organisation named (the organisation cells are blank)")
        return None
    sector = _value(row, columns, "sector") or _value(row, columns, "sector.code")
    country_name = _value(row, columns, "country")
    country = rules.country_code(name=country_name, code=_value(row, columns, "country.code"))
    country_text = country_name or rules.country_label(country)
    adm1 = _value(row, columns, "adm1") or _value(row, columns, "adm1.code")
    area = f"{adm1}, {country_text}" if adm1 and country_text else (adm1 or country_text)
    outcome = None
    if not sector:
        report.notes["no sector: the row's organisations get no stake"] += 1
    elif not area:
        report.notes["no area (#adm1 or #country): the row's organisations get no stake"] += 1
    else:
        outcome = (f"{sector} in {area}"[:TITLE_MAX], sector, area)
    start = rules.date_parse(_value(row, columns, "date.start"))
    end = rules.date_parse(_value(row, columns, "date.end"))
    if start and end and end < start:
        report.notes["end date before start date: dates left out of the tie"] += 1
        start = end = None
    values = {name: _value(row, columns, name) for name in sorted(columns.fields)}
    digest = hashlib.sha256(
        json.dumps(values, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    return _Parsed(row.number, digest, orgs, outcome, country, start, end)
