"""Importing a 3W / 4W file ("who does what where", tagged with HXL or mapped by hand).

``threew_import`` streams the file (``reading``) a batch of ``BATCH_SIZE`` rows at a time and
writes each batch before reading the next, so memory holds one batch plus the names of the
registry's visible stakeholders (to match by name) — never the whole file. Policy: **one
transaction per file**. Rows that cannot be used are skipped and reported (row number and
reason) while the rest is imported; a file that cannot be read at all (binary junk, not UTF-8,
a damaged workbook, no organisation column) or in which no row could be imported is refused as
a whole, with nothing written. A dry run does all the work and rolls it back.

Per row (``rules`` holds the tables):
- organisations (``#org``, ``#org+impl``, ``#org+funder``, ``#org+partner``) → stakeholders,
  matched among those the importer may see by external identifier (``#org+code``, any scheme),
  then by normalised name (``rules.name_normalised``); otherwise created, the kind read from the
  organisation-type column (``rules.kind_for_org_type``; NGO when blank or unknown, noted), the
  code kept as an ``ExternalIdentifier(scheme="other")``. Existing stakeholders are never
  overwritten; they only gain a missing code. An uncleared importer never matches a restricted
  stakeholder (nor learns that one exists): a new public one is created, for the merge review;
- sector × area (``#adm1``, else ``#country``) → the outcome "<sector> in <area>", created when
  no outcome in use has that title;
- each organisation of the row → a stake in that outcome (``rules.STAKE_BY_ROLE``);
- every two organisations of the row → a tie "partners with", its source "3W <source> row N".

Each row's mapped values are digested (SHA-256); a digest already recorded for the source
(``ThreeWRow``) means the row was imported before and it is counted unchanged, so re-importing
a file changes nothing. Writes are bulk, their history written in bulk (``HistoryWriter``);
after commit the filled tables are analysed and one ``registry_bulk_changed`` is sent.
"""

import dataclasses
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Capability, IdentifierScheme, Origin, Sensitivity, TieKind
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder, Tie
from stakeholders.names import name_display
from stakeholders.selectors import stakeholder_visible_to
from stakeholders.signals import registry_bulk_changed

from . import hxl, rules
from .models import ThreeWRow, ThreeWSource
from .reading import FileProblem, Row, sheet_open

BATCH_SIZE = 1000
DETAILS_KEPT = 100  # skipped rows listed one by one in the report; the rest only counted
SOURCE_PREFIX = "3W "
IDENTIFIER_SCHEMES = (IdentifierScheme.OTHER, IdentifierScheme.IATI_ORG)
NAME_MAX = Stakeholder._meta.get_field("name").max_length
TITLE_MAX = Outcome._meta.get_field("title").max_length


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
    start: object
    end: object


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


class _Writer:
    """Writes batches of parsed rows; keeps the lookups that later batches reuse."""

    def __init__(self, *, source: ThreeWSource, file_name: str, user, report: ImportReport):
        self.source, self.file_name, self.report = source, file_name, report
        self.user = user
        self.history = HistoryWriter(user=user, reason=f"3W import: {source.name}"[:100])
        visible = Stakeholder.objects.all() if user is None else stakeholder_visible_to(user)
        self.visible = visible
        # normalised name → (id, restricted); the lowest id wins (a later duplicate is to merge).
        self.by_name: dict[str, tuple[int, bool]] = {}
        for pk, name, recorded, sensitivity in (
            visible.order_by("id")
            .values_list("id", "name", "recorded_name", "sensitivity")
            .iterator(2000)
        ):
            for known in (name, recorded) if recorded else (name,):
                self.by_name.setdefault(
                    rules.name_normalised(known), (pk, sensitivity != Sensitivity.PUBLIC)
                )
        self.by_code: dict[str, tuple[int, bool]] = {}  # code → (id, restricted)
        self.outcome_ids: dict[str, int] = {}
        self.stake_source = f"{SOURCE_PREFIX}{source.name}"

    # --- one batch ------------------------------------------------------------------------

    def write(self, batch: list[_Parsed]) -> None:
        known = set(
            ThreeWRow.objects.filter(
                source=self.source, digest__in=[row.digest for row in batch]
            ).values_list("digest", flat=True)
        )
        fresh: list[_Parsed] = []
        for row in batch:
            if row.digest in known:
                self.report.rows_unchanged += 1
            else:
                known.add(row.digest)  # the same row twice in one batch is imported once
                fresh.append(row)
        if not fresh:
            return
        org_ids = self._stakeholders(fresh)
        outcome_ids = self._outcomes(fresh)
        self._stakes(fresh, org_ids, outcome_ids)
        self._ties(fresh, org_ids)
        ThreeWRow.objects.bulk_create(
            [
                ThreeWRow(
                    source=self.source,
                    digest=row.digest,
                    row_number=row.number,
                    file_name=self.file_name[:255],
                )
                for row in fresh
            ]
        )
        self.report.rows_imported += len(fresh)

    def _stakeholders(self, rows: list[_Parsed]) -> dict[tuple[int, int], int]:
        """(row number, org position) → stakeholder id, creating what is missing."""
        report = self.report
        codes = {org.code for row in rows for org in row.orgs if org.code} - set(self.by_code)
        codes_list = sorted(codes)
        for start in range(0, len(codes_list), BATCH_SIZE):
            for value, pk, sensitivity in (
                ExternalIdentifier.objects.filter(
                    scheme__in=IDENTIFIER_SCHEMES,
                    value__in=codes_list[start : start + BATCH_SIZE],
                    stakeholder__in=self.visible,
                )
                .order_by("-stakeholder_id")
                .values_list("value", "stakeholder_id", "stakeholder__sensitivity")
            ):
                self.by_code[value] = (pk, sensitivity != Sensitivity.PUBLIC)
        result: dict[tuple[int, int], int] = {}
        new: dict[str, tuple[Stakeholder, _Org]] = {}  # normalised name → to create
        pending: list[tuple[tuple[int, int], str]] = []
        identifiers: dict[str, str] = {}  # code → normalised name, for stakeholders lacking it
        restricted_ids: set[int] = set()
        for row in rows:
            for position, org in enumerate(row.orgs):
                key = (row.number, position)
                # A code seen earlier in this batch names the organisation it named there.
                normalised = identifiers.get(org.code) or rules.name_normalised(
                    org.name or org.code
                )
                found = self.by_code.get(org.code) if org.code else None
                if found is None:
                    found = self.by_name.get(normalised)
                if found is not None:
                    result[key] = found[0]
                    report.matched += 1
                    if found[1]:
                        restricted_ids.add(found[0])
                    if org.code and org.code not in self.by_code:
                        identifiers.setdefault(org.code, normalised)
                    continue
                if org.code:
                    identifiers.setdefault(org.code, normalised)
                if normalised not in new:
                    kind, understood = rules.kind_for_org_type(org.type)
                    if not understood and not org.type and org.name:
                        # No type given: the name often says it ("… Foundation", "Ministry of …").
                        kind, understood = rules.kind_for_org_type(org.name)
                        if understood:
                            report.notes["no organisation type: kind read from the name"] += 1
                    if not understood:
                        report.notes[
                            "organisation type blank or not understood: recorded as NGO"
                            if not org.type
                            else f"organisation type '{org.type[:40]}' not understood: "
                            "recorded as NGO"
                        ] += 1
                    if not org.name:
                        report.notes["organisation given by its code only: named by it"] += 1
                    recorded = org.name or org.code
                    display, acronym = name_display(recorded)
                    new[normalised] = (
                        Stakeholder(
                            name=display[:NAME_MAX],
                            recorded_name=recorded[:500],
                            acronym=acronym[:40],
                            origin=Origin.THREEW,
                            source=f"{self.stake_source} row {row.number}"[:300],
                            kind=kind,
                            capabilities=rules.CAPABILITY_BY_ROLE.get(org.role, Capability(0)),
                            description=(
                                f"Imported from 3W data ({self.source.name}, row {row.number}"
                                f"{'; type ' + org.type if org.type else ''})."
                            ),
                        ),
                        org,
                    )
                pending.append((key, normalised))
        report.involves_restricted |= bool(restricted_ids)
        created = list(new.items())
        for start in range(0, len(created), BATCH_SIZE):
            chunk = [stakeholder for _, (stakeholder, _) in created[start : start + BATCH_SIZE]]
            Stakeholder.objects.bulk_create(chunk)
            self.history.record(Stakeholder, [row.pk for row in chunk], history_type="+")
        for normalised, (stakeholder, _) in created:
            self.by_name[normalised] = (stakeholder.pk, False)
        report.created["stakeholders"] += len(created)
        for key, normalised in pending:
            result[key] = self.by_name[normalised][0]
        # Codes become identifiers of the stakeholder they name, when it lacks them.
        rows_to_add = []
        for code, normalised in identifiers.items():
            if code in self.by_code:
                continue
            pk = self.by_name[normalised][0]
            self.by_code[code] = self.by_name[normalised]
            rows_to_add.append(
                ExternalIdentifier(stakeholder_id=pk, scheme=IdentifierScheme.OTHER, value=code)
            )
        ExternalIdentifier.objects.bulk_create(rows_to_add)
        self.history.record(ExternalIdentifier, [row.pk for row in rows_to_add], history_type="+")
        report.created["identifiers"] += len(rows_to_add)
        return result

    def _outcomes(self, rows: list[_Parsed]) -> dict[str, int]:
        wanted: dict[str, _Parsed] = {}
        for row in rows:
            if row.outcome is not None and row.outcome[0] not in self.outcome_ids:
                wanted.setdefault(row.outcome[0], row)
        if wanted:
            self.outcome_ids.update(
                Outcome.objects.filter(title__in=list(wanted)).values_list("title", "id")
            )
        new = []
        for title, row in wanted.items():
            if title in self.outcome_ids:
                continue
            _, sector, area = row.outcome
            new.append(
                Outcome(
                    title=title,
                    theme=rules.theme_for_sector(sector),
                    geography=area[:200],
                    countries=[row.country] if row.country else [],
                    origin=Origin.THREEW,
                    source=f"{self.stake_source} row {row.number}"[:300],
                    description=(
                        f"Actors working on {sector} in {area}, as 3W (who does what where) data "
                        f"from {self.source.name} shows. Made by the 3W import."
                    ),
                )
            )
        Outcome.objects.bulk_create(new)
        self.history.record(Outcome, [outcome.pk for outcome in new], history_type="+")
        self.outcome_ids.update({outcome.title: outcome.pk for outcome in new})
        self.report.created["outcomes"] += len(new)
        return self.outcome_ids

    def _stakes(self, rows, org_ids, outcome_ids) -> None:
        wanted: dict[tuple[int, int], tuple[float, float, int]] = {}
        for row in rows:
            if row.outcome is None:
                continue
            outcome_id = outcome_ids[row.outcome[0]]
            for position, org in enumerate(row.orgs):
                interest, influence = rules.STAKE_BY_ROLE[org.role]
                pair = (org_ids[(row.number, position)], outcome_id)
                old = wanted.get(pair)
                if old is not None:
                    interest, influence = max(old[0], interest), max(old[1], influence)
                wanted[pair] = (interest, influence, old[2] if old else row.number)
        if not wanted:
            return
        existing = {
            (stakeholder_id, outcome_id): Stake(
                pk=pk,
                stakeholder_id=stakeholder_id,
                outcome_id=outcome_id,
                interest=interest,
                influence=influence,
                source=source,
            )
            for pk, stakeholder_id, outcome_id, interest, influence, source in _rows_of_pairs(
                Stake,
                ("id", "stakeholder_id", "outcome_id", "interest", "influence", "source"),
                ("stakeholder_id", "outcome_id"),
                list(wanted),
            )
        }
        creates, updates, now = [], [], timezone.now()
        for (stakeholder_id, outcome_id), (interest, influence, number) in sorted(wanted.items()):
            stake = existing.get((stakeholder_id, outcome_id))
            if stake is None:
                creates.append(
                    Stake(
                        stakeholder_id=stakeholder_id,
                        outcome_id=outcome_id,
                        interest=interest,
                        influence=influence,
                        source=f"{self.stake_source} row {number}"[:300],
                        origin=Origin.THREEW,
                    )
                )
            elif not stake.source.startswith(SOURCE_PREFIX):
                self.report.notes["a stake recorded another way already exists: left as it is"] += 1
            elif interest > stake.interest or influence > stake.influence:
                stake.interest = max(stake.interest, interest)
                stake.influence = max(stake.influence, influence)
                stake.updated_at = now
                updates.append(stake)
        Stake.objects.bulk_create(creates)
        self.history.record(Stake, [stake.pk for stake in creates], history_type="+")
        Stake.objects.bulk_update(updates, ["interest", "influence", "updated_at"])
        self.history.record(Stake, [stake.pk for stake in updates], history_type="~")
        self.report.created["stakes"] += len(creates)
        self.report.updated["stakes"] += len(updates)

    def _ties(self, rows, org_ids) -> None:
        wanted: dict[tuple[int, int], _Parsed] = {}
        for row in rows:
            ids = sorted({org_ids[(row.number, position)] for position in range(len(row.orgs))})
            for i, first in enumerate(ids):
                for second in ids[i + 1 :]:
                    wanted.setdefault((first, second), row)
        if not wanted:
            return
        # Either direction: "partners with" reads both ways.
        pairs = [*wanted, *((second, first) for first, second in wanted)]
        existing = {
            tuple(sorted(pair))
            for pair in _rows_of_pairs(
                Tie,
                ("from_stakeholder_id", "to_stakeholder_id"),
                ("from_stakeholder_id", "to_stakeholder_id"),
                pairs,
                kind=TieKind.PARTNERS_WITH,
            )
        }
        creates = [
            Tie(
                from_stakeholder_id=first,
                to_stakeholder_id=second,
                kind=TieKind.PARTNERS_WITH,
                strength=rules.TIE_STRENGTH,
                start_date=row.start,
                end_date=row.end,
                source=f"{self.stake_source} row {row.number}"[:300],
                origin=Origin.THREEW,
            )
            for (first, second), row in sorted(wanted.items())
            if (first, second) not in existing
        ]
        Tie.objects.bulk_create(creates)
        self.history.record(Tie, [tie.pk for tie in creates], history_type="+")
        self.report.created["ties"] += len(creates)


def _rows_of_pairs(model, columns, key, pairs, *, kind: str | None = None) -> list[tuple]:
    """``columns`` of the rows of ``model`` whose two ``key`` columns are one of ``pairs`` —
    exactly those rows, a few hundred pairs per query (row values: PostgreSQL and SQLite)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    selected = ", ".join(quote(column) for column in columns)
    first, second = (quote(column) for column in key)
    found: list[tuple] = []
    step = 400
    for start in range(0, len(pairs), step):
        chunk = pairs[start : start + step]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        sql = f"SELECT {selected} FROM {table} WHERE ({first}, {second}) IN (VALUES {values})"
        params = [value for pair in chunk for value in pair]
        if kind is not None:
            sql += f" AND {quote('kind')} = %s"
            params.append(kind)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found.extend(cursor.fetchall())
    return found


def threew_source_get_or_create(*, name: str) -> ThreeWSource:
    name = rules.clean_text(name)
    if not name:
        raise ApplicationError("Name the source of the file (e.g. 'OCHA Nigeria 3W').", "source")
    if len(name) > ThreeWSource._meta.get_field("name").max_length:
        raise ApplicationError("The source's name is longer than 200 characters.", "source")
    source, _ = ThreeWSource.objects.get_or_create(name=name)
    return source


def threew_source_mapping(*, name: str) -> dict[str, str]:
    """The column mapping remembered for a source (empty for a new source)."""
    source = ThreeWSource.objects.filter(name=rules.clean_text(name)).first()
    return dict(source.column_map) if source else {}


def threew_import(
    *,
    path: str | Path,
    source_name: str = "",
    file_name: str = "",
    user=None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one 3W file (CSV or XLSX) as ``user``, in one transaction; returns the report.

    ``mapping`` (plain header → hashtag) is for a file without a hashtag row; without it the
    source's remembered mapping is used, and the rest guessed from the headers. A mapping given
    is remembered for the source. ``user`` decides which stakeholders may be matched
    (``stakeholder_visible_to``); None (the command line) matches all. Raises
    ``ThreeWImportError``, with nothing written, when the file cannot be read, has no
    organisation column or has no row that could be imported.
    """
    started = time.perf_counter()
    path = Path(path)
    file_name = file_name or path.name
    source_name = rules.clean_text(source_name) or Path(file_name).stem
    report = ImportReport(file=file_name, source=source_name, dry_run=dry_run)
    progress = on_progress or (lambda rows: None)
    remembered = threew_source_mapping(name=source_name)
    try:
        with transaction.atomic():
            source = threew_source_get_or_create(name=source_name)
            with sheet_open(path, mapping=mapping or remembered) as sheet:
                columns = sheet.columns
                if remembered and not mapping and not sheet.tagged:
                    columns.how = columns.how.replace(
                        "the mapping given", f"the mapping remembered for '{source_name}'"
                    )
                report.columns = columns.describe(sheet.headers) + columns.ignored
                report.columns.insert(0, f"(read from {columns.how})")
                if not columns.has_organisation:
                    raise ThreeWImportError(
                        f"Nothing was imported: {file_name} has no organisation column"
                        + (
                            " (no #org hashtag)."
                            if sheet.tagged
                            else ": it has no HXL hashtag row, and no column was mapped to #org "
                            "(map one, e.g. --map 'Organisation=#org')."
                        ),
                        report=report,
                    )
                if mapping and not sheet.tagged and mapping != source.column_map:
                    source.column_map = mapping
                    source.save(update_fields=["column_map", "updated_at"])
                writer = _Writer(source=source, file_name=file_name, user=user, report=report)
                batch: list[_Parsed] = []
                for row in sheet.rows():
                    report.rows_read += 1
                    parsed = _row_parse(row, columns, report)
                    if parsed is not None:
                        batch.append(parsed)
                    if len(batch) >= BATCH_SIZE:
                        writer.write(batch)
                        batch = []
                        progress(report.rows_read)
                writer.write(batch)
            if report.nothing_imported:
                raise ThreeWImportError(
                    f"Nothing was imported: no row of {file_name} could be used"
                    + (
                        f" (commonest reason: {report.reasons.most_common(1)[0][0]})."
                        if report.reasons
                        else " (it has no data rows)."
                    ),
                    report=report,
                )
            _announce(report)
            if dry_run:
                transaction.set_rollback(True)
    except FileProblem as problem:
        raise ThreeWImportError(
            f"Nothing was imported: {file_name}: {problem.message}", report=report
        ) from None
    except IntegrityError:
        # Two imports of one source at once: the second to commit finds the first's rows.
        raise ThreeWImportError(
            f"Nothing was imported: another import of the source '{source_name}' ran at the "
            "same time. Import the file again: rows the other import wrote are left unchanged.",
            report=report,
        ) from None
    if not dry_run and report.rows_imported:
        _analyze()
    report.seconds = time.perf_counter() - started
    return report


def _announce(report: ImportReport) -> None:
    """Once committed, one signal for the whole file (the overlap engine starts one run)."""
    for kind in ("stakeholders", "stakes", "ties"):
        count = report.created[kind] + report.updated[kind]
        if count:
            break
    else:
        return
    transaction.on_commit(
        lambda: registry_bulk_changed.send(sender=ThreeWRow, kind=kind, count=count)
    )


def _analyze() -> None:
    """Fresh planner statistics for the tables an import fills (PostgreSQL; SQLite: skipped)."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (Stakeholder, ExternalIdentifier, Outcome, Stake, Tie, ThreeWRow)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
