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

One row read into organisations, an outcome and dates is ``rows``; writing the batches is
``writing``.
"""

import time
from collections.abc import Callable
from pathlib import Path

from django.db import IntegrityError, connection, transaction

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder, Tie
from stakeholders.signals import registry_bulk_changed

from . import rules
from .models import ThreeWRow, ThreeWSource
from .reading import FileProblem, sheet_open
from .rows import BATCH_SIZE, ImportReport, ThreeWImportError, _Parsed, _row_parse
from .writing import _Writer


def threew_source_get_or_create(*, name: str) -> ThreeWSource:
    name = rules.clean_text(name)
    if not name:
        raise ApplicationError("Name the source of the file (e.g. 'OCHA Nigeria 3W').", "source")
    if len(name) > (ThreeWSource._meta.get_field("name").max_length or 0):
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
    on_progress: Callable[[int], object] | None = None,
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
                columns = _sheet_columns(
                    sheet,
                    report=report,
                    file_name=file_name,
                    remembered_for=source_name if remembered and not mapping else "",
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


def _sheet_columns(sheet, *, report: ImportReport, file_name: str, remembered_for: str):
    """The sheet's columns, described in the report; ``ThreeWImportError`` when none names the
    organisation. ``remembered_for``: the source whose remembered mapping was used, if one was."""
    columns = sheet.columns
    if remembered_for and not sheet.tagged:
        columns.how = columns.how.replace(
            "the mapping given", f"the mapping remembered for '{remembered_for}'"
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
    return columns


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
