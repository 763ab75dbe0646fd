"""Runs: one call, or one transaction per step of files (a job); the run's end writes stakes."""

import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import IdentifierScheme
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Stakeholder
from stakeholders.names import name_normalise
from stakeholders.signals import registry_bulk_changed

from ..models import (
    IatiActivity,
    IatiImportFile,
    IatiImportRun,
    IatiStagedOrg,
)
from ..parser import IatiFileError
from ..selectors import kind_override_table
from .collecting import _RunImporter
from .files import _validation_check, file_digest, files_expand
from .organisations import (
    _identifiers_visible,
    _imported_names_refresh,
    _stakeholder_new,
    _truncated_aliases_fold,
)
from .report import IatiImportError, ImportReport
from .sql import ANALYZE_AFTER_ROWS, BATCH_SIZE, FILLED_MODELS, _rows_update, _tables_analyze
from .staging import _run_staging_delete, publishers_with_overrides
from .stakes import _stakes_from_staging


def _run_finish(*, run: IatiImportRun, report: ImportReport, history: HistoryWriter) -> None:
    """Once every file of the run is in: the stakeholders the run created get the kind, scope,
    capabilities and description of the run's totals (and their history), matched ones the IATI
    ref they lack, and the stakes are written from the staged aggregates, a chunk of outcomes at
    a time — the same result as one pass over all the files."""
    user = run.user
    overrides = kind_override_table(user)
    counts, id_counts = report.counts["stakeholders"], report.counts["identifiers"]
    folded = _truncated_aliases_fold(run=run, report=report)
    matched: set[int] = set()
    gained: set[int] = set()
    renamed: set[int] = set()
    seen: set[int] = set()  # matched stakeholders whose spelling was compared
    last = 0
    while True:
        chunk = list(IatiStagedOrg.objects.filter(run=run, pk__gt=last).order_by("pk")[:BATCH_SIZE])
        if not chunk:
            break
        last = chunk[-1].pk
        updated = []
        chunk = [org for org in chunk if org.pk not in folded]
        renamed |= _imported_names_refresh(chunk, history=history, seen=seen)
        publishers = publishers_with_overrides(
            run,
            [org.pk for org in chunk if org.created_here],
            {publisher for publisher, _ in overrides.by_publisher},
        )
        for org in chunk:
            org.role_set = set(org.roles)
            if not org.created_here:
                matched.add(org.stakeholder_id)
                continue
            kind, note = overrides.kind_for(
                ref=org.ref, org_type=org.type, publishers=publishers.get(org.pk, [])
            )
            if note:
                report.note(note, org.name)
            row = _stakeholder_new(org, kind)
            row.pk = org.stakeholder_id
            updated.append(row)
        # The name too: a later file may have given the full narrative of a name cut short.
        _rows_update(
            Stakeholder,
            ["kind", "scope", "capabilities", "description", "name", "recorded_name", "acronym",
             "normalised_name"],
            [
                (row.pk, row.kind, row.scope, int(row.capabilities), row.description, row.name,
                 row.recorded_name, row.acronym, name_normalise(row.name)[:300])
                for row in updated
            ],
        )  # fmt: skip
        history.record(Stakeholder, [row.pk for row in updated], history_type="+")
        by_ref = _identifiers_visible([org.ref for org in chunk if org.ref], user=user)
        identifiers = [
            ExternalIdentifier(
                stakeholder_id=org.stakeholder_id,
                scheme=IdentifierScheme.IATI_ORG,
                value=org.ref[:200],
            )
            for org in chunk
            if org.ref and org.ref not in by_ref
        ]
        batch = ExternalIdentifier.objects.bulk_create(identifiers)
        history.record(ExternalIdentifier, [row.pk for row in batch], history_type="+")
        id_counts.created += len(identifiers)
        id_counts.unchanged += sum(1 for org in chunk if org.ref and org.ref in by_ref)
        gained.update(
            org.stakeholder_id
            for org in chunk
            if not org.created_here and org.ref and org.ref not in by_ref
        )
    counts.updated += len(gained | renamed)
    counts.unchanged += len(matched - gained - renamed)
    _stakes_from_staging(run=run, report=report, history=history)
    _bulk_change_announce(report)


def iati_import(
    *,
    paths: Iterable[str | Path],
    user=None,
    on_progress: Callable[[str, int, int | None], None] | None = None,
    validation: str = "report",
) -> ImportReport:
    """Import IATI activity files (or folders of ``*.xml``) into the registry, all or nothing.

    ``validation``: "report" (default) checks each file against the official schema of its
    version (``validation.file_problems``) and lists each problem with its line in the report,
    importing every activity the parser can still use; "strict" refuses the whole import when a
    file has any schema problem; "off" does not validate.

    ``user`` is recorded in the change history and decides which existing stakeholders the
    import may match by name (``stakeholder_visible_to``); without a user (the command line run
    by an administrator) every stakeholder is matched. Raises ``IatiImportError`` — with the DB
    unchanged — for a missing path, a file that is not XML, is truncated or is not IATI.

    Memory is bounded by a batch (``FLUSH_ACTIVITIES``), not by the import: the registry is
    written every batch, and what stakes need across the files is kept in staging tables, deleted
    before the transaction commits. ``iati_run_create`` + ``iati_run_step`` do the same as a job
    of one transaction per step of files.
    """
    _validation_check(validation)
    started = time.perf_counter()
    files = files_expand(paths)
    report = ImportReport(files=[str(path) for path in files])
    progress = on_progress or (lambda phase, done, total: None)
    try:
        with transaction.atomic():
            run = IatiImportRun.objects.create(
                token=secrets.token_hex(16), user=user, validation=validation
            )
            history = HistoryWriter(user=user, reason="IATI import")
            importer = _RunImporter(run, report, history=history)
            for position, path in enumerate(files, start=1):
                importer.file_import(path, progress=progress, last=position == len(files))
            progress("writing", report.activities_read, report.activities_read)
            _run_finish(run=run, report=report, history=history)
            _run_staging_delete(run)
            run.delete()
    except IatiFileError as error:
        raise IatiImportError(f"Nothing was imported: {error.path}: {error.reason}.") from None
    if report.changed >= ANALYZE_AFTER_ROWS:
        _tables_analyze(FILLED_MODELS)
    report.seconds = time.perf_counter() - started
    return report


def iati_run_create(
    *, paths: Iterable[str | Path], user=None, validation: str = "report"
) -> IatiImportRun:
    """A run of several files, imported a step of files (``STEP_BYTES`` of XML) per transaction
    by ``iati_run_step`` (one Celery task per step, ``iati.jobs``), with progress per file. Raises
    ``IatiImportError`` for a missing path."""
    _validation_check(validation)
    files = files_expand(paths)
    with transaction.atomic():
        run = IatiImportRun.objects.create(
            token=secrets.token_hex(16),
            user=user,
            validation=validation,
            # Names only: the report is shown on the job's page, the server's folders are not.
            report=ImportReport(files=[path.name for path in files]).as_json(),
        )
        IatiImportFile.objects.bulk_create(
            [
                IatiImportFile(run=run, position=position, path=str(path))
                for position, path in enumerate(files)
            ]
        )
    return run


STEP_BYTES = 4 * 1024 * 1024  # XML a job reads per step: one Celery task, one transaction


def _step_files(pending: list[IatiImportFile]) -> list[IatiImportFile]:
    """The run's next step: the first waiting file, and those after it while their sizes add up
    to at most ``STEP_BYTES``. On the registry's layout (thousands of files of a few hundred
    activities) a task and a transaction per file cost more than the file: the run, its report,
    the kind overrides and the registry's names loaded again, and a batch written per file."""
    step, size = [], 0
    for file in pending:
        path = Path(file.path)
        bytes_ = path.stat().st_size if path.is_file() else 0
        if step and size + bytes_ > STEP_BYTES:
            break
        step.append(file)
        size += bytes_
    return step


def iati_run_step(*, run_id: int, check: Callable[[], None] | None = None) -> str | None:
    """Import the run's next step of waiting files (``_step_files``: about ``STEP_BYTES`` of
    XML, at least one file) in one transaction, or finish the run when none is left; returns
    "file", "done", "failed" or None (nothing to do: finished or gone).

    Safe to repeat and to resume after a killed worker: the files of a step are marked done in
    the transaction that imports them, each with its own activities and seconds, so a step cut
    short is rolled back and read again; a file with the content (SHA-256) of one already done
    in the run (or earlier in the step) is skipped.

    ``check()`` is called before each file: an exception it raises (the job was cancelled) rolls
    the step back and goes on up; the steps done before it stay.
    """
    try:
        with transaction.atomic():
            run = IatiImportRun.objects.select_for_update().filter(pk=run_id).first()
            if run is None or run.status != IatiImportRun.Status.RUNNING:
                return None
            report = ImportReport.from_json(run.report)
            history = HistoryWriter(user=run.user, reason="IATI import")
            pending = list(
                run.files.filter(status=IatiImportFile.Status.PENDING).order_by("position")
            )
            if not pending:
                return _run_end(run=run, report=report, history=history)
            done = set(
                run.files.filter(status=IatiImportFile.Status.DONE).values_list("digest", flat=True)
            )
            importer = _RunImporter(run, report, history=history)
            step = _step_files(pending)
            for file in step:
                if check is not None:
                    check()
                started = time.perf_counter()
                path = Path(file.path)
                if not path.is_file():
                    raise IatiImportError(f"Nothing more was imported: {path} is gone.")
                file.digest = file_digest(path)
                if file.digest in done:
                    file.status = IatiImportFile.Status.SKIPPED
                else:
                    file.activities = importer.file_import(path, last=False)
                    file.status = IatiImportFile.Status.DONE
                    done.add(file.digest)
                file.seconds = time.perf_counter() - started
            started = time.perf_counter()
            importer.reading_end()  # the step's last batch: the time of its last file read
            read = [file for file in step if file.status == IatiImportFile.Status.DONE]
            if read:
                read[-1].seconds += time.perf_counter() - started
            _rows_update(
                IatiImportFile,
                ["digest", "status", "activities", "seconds"],
                [
                    (file.pk, file.digest, file.status, file.activities, round(file.seconds, 2))
                    for file in step
                ],
            )
            run.report = report.as_json()
            run.save(update_fields=["report"])
            return "file"
    except (IatiFileError, IatiImportError) as error:
        message = (
            f"{error.path}: {error.reason}." if isinstance(error, IatiFileError) else str(error)
        )
        # The step's transaction is rolled back; the steps done before it stay, and so does
        # their staging: the run can be resumed once the file is fixed.
        IatiImportRun.objects.filter(pk=run_id).update(
            status=IatiImportRun.Status.FAILED, error=message
        )
        return "failed"


def _run_end(*, run: IatiImportRun, report: ImportReport, history: HistoryWriter) -> str:
    """The run's last step: the stakes written from staging, the run done (or failed)."""
    _run_finish(run=run, report=report, history=history)
    _run_staging_delete(run)
    run.status = IatiImportRun.Status.FAILED if report.failure else IatiImportRun.Status.DONE
    run.error = report.failure or ""
    run.report, run.finished_at = report.as_json(), timezone.now()
    run.save(update_fields=["status", "error", "report", "finished_at"])
    if report.changed >= ANALYZE_AFTER_ROWS:
        _tables_analyze(FILLED_MODELS)
    return run.status


def iati_run_stop(*, run_id: int, error: str, wait: bool = True) -> int:
    """End a running run as cancelled (its job was), with ``error`` saying so: its steps stop;
    the files done stay, and the run can be resumed. ``wait=False`` (the cancel itself): a run
    whose step is at work (holding its row) is left to that step, which stops at its next file
    and ends the run so."""
    with transaction.atomic():
        running = IatiImportRun.objects.filter(pk=run_id, status=IatiImportRun.Status.RUNNING)
        if not wait and not running.select_for_update(skip_locked=True).exists():
            return 0
        return running.update(status=IatiImportRun.Status.CANCELLED, error=error)


def iati_run_resume(*, run: IatiImportRun) -> IatiImportRun:
    """A failed or interrupted run, set to go on from its first file not done."""
    if run.status == IatiImportRun.Status.DONE:
        raise ApplicationError("This import is finished; there is nothing to resume.", "token")
    IatiImportRun.objects.filter(pk=run.pk).update(status=IatiImportRun.Status.RUNNING, error="")
    run.refresh_from_db()
    return run


def _bulk_change_announce(report: ImportReport) -> None:
    """Once committed, one signal: the overlap engine starts one full run (not one per stake).

    Stakeholders are announced first when they changed: the graph refreshes its snapshot for
    them (it ignores stakes), and the overlap engine starts its run for either kind.
    """
    counts = report.counts
    stakes = counts["stakes"].created + counts["stakes"].updated
    stakeholders = counts["stakeholders"].created + counts["stakeholders"].updated
    if stakeholders:
        kind, count = "stakeholders", stakeholders
    elif stakes:
        kind, count = "stakes", stakes
    else:
        return
    transaction.on_commit(
        lambda: registry_bulk_changed.send(sender=IatiActivity, kind=kind, count=count)
    )
