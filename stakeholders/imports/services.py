"""Writes of registry imports: upload, dry run, then the import itself, all or nothing.

The life of a job: uploaded -> validating -> validated (ready) or invalid -> importing -> done or
failed. The dry run writes nothing to the registry. The import runs only for a job whose dry run
found no error, checks the whole file again inside one transaction and writes it in batches with
their audit history; any error rolls everything back, so the registry is as it was.
"""

import logging
from collections.abc import Callable
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from smartdiplomacy.jobs.live import side_connection_open
from smartdiplomacy.jobs.services import JobCancelled
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import IdentifierScheme, Origin
from stakeholders.models import ExternalIdentifier, ImportJob, Outcome, Stake, Stakeholder, Tie
from stakeholders.signals import registry_bulk_changed

from .jobs import (
    import_job_cancel_check,
    import_job_enqueue,
    import_job_follow,
    import_job_live_report,
    import_job_progress,
    import_job_task_sent,
)
from .planning.base import CREATE, UPDATE, PlannedRow
from .planning.files import PlanResult, plan_file
from .selectors import user_can_import

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_EXTENSIONS = (".csv", ".xlsx")
WRITE_BATCH_SIZE = 1000

Status = ImportJob.Status


class ImportRejected(Exception):
    """The file failed its checks at import time (the registry changed since the dry run)."""

    def __init__(self, result: PlanResult):
        super().__init__("the file no longer passes its checks")
        self.result = result


# --- upload -----------------------------------------------------------------------------------


def _check_upload(uploaded_file) -> None:
    name = getattr(uploaded_file, "name", "") or ""
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            {"file": f"'{name}' is not a .csv or .xlsx file: upload a CSV (UTF-8) or an XLSX file."}
        )
    size = getattr(uploaded_file, "size", 0) or 0
    if size == 0:
        raise ValidationError({"file": f"'{name}' is empty."})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": f"'{name}' is {size / 1024 / 1024:.1f} MB; the largest file accepted is "
                f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Split it into several files."
            }
        )


def import_job_create(*, user, kind: str, uploaded_file) -> ImportJob:
    """Store an uploaded file as a new job and queue its dry run (after commit).

    Raises ``PermissionDenied`` if ``user`` may not import ``kind``, and ``ValidationError``
    naming ``kind`` or ``file`` for a wrong kind, extension or size.
    """
    if kind not in ImportJob.Kind.values:
        raise ValidationError(
            {"kind": f"'{kind}' is not a kind of import: {', '.join(ImportJob.Kind.values)}."}
        )
    if user is not None and not user_can_import(user, kind):
        raise PermissionDenied(f"You may not import {kind}.")
    _check_upload(uploaded_file)
    original = PurePath(uploaded_file.name).name
    with transaction.atomic():
        job = ImportJob(kind=kind, original_filename=original[:255], created_by=user)
        job.file.save(get_valid_filename(original) or f"import{PurePath(original).suffix}",
                      uploaded_file, save=False)  # fmt: skip
        job.save()
        import_job_enqueue(job)
        from .tasks import import_job_validate

        # Parsed by the job, never in the upload request (a thread in the embedded default).
        enqueue_on_commit(
            import_job_validate, job.pk, background=True, sent=import_job_task_sent(job.pk)
        )
    return job


# --- dry run ----------------------------------------------------------------------------------


def import_job_dry_run(*, job: ImportJob) -> ImportJob:
    """Read and check the job's file as its uploader, record the report; writes no registry row.

    Safe to repeat: a job already past validation is returned as it is.
    """
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=[Status.UPLOADED, Status.VALIDATING]
    ).update(status=Status.VALIDATING, rows_processed=0, updated_at=timezone.now())
    job.refresh_from_db()
    if not claimed:
        return job
    import_job_follow(job.pk, phase="checking")

    def progress(rows: int, total: int | None) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            rows_processed=rows,
            rows_total=max(total or 0, rows) or None,
            updated_at=timezone.now(),
        )
        import_job_progress(job_id=job.pk, done=rows, total=max(total or 0, rows) or None)

    try:
        result = plan_file(
            path=job.file.path, kind=job.kind, user=job.created_by, on_progress=progress
        )
    except OperationalError:
        raise  # the database is away: the task retries, the job stays "checking"
    except JobCancelled:
        return _cancelled(job)
    except Exception as error:
        logger.exception("import job %s: dry run failed", job.pk)
        return _finish(job, status=Status.FAILED, error_message=f"The check stopped: {error}")
    try:
        with transaction.atomic():
            # Under the job's lock: a cancel that came first wins; one that comes now waits.
            import_job_cancel_check(job.pk, lock=True)
            _record_result(job, result)
            job.status = Status.VALIDATED if result.error_count == 0 else Status.INVALID
            job.error_message = result.file_problem
            job.validated_at = timezone.now()
            job.save()
            import_job_follow(job.pk)
    except JobCancelled:
        return _cancelled(job)
    return job


CANCELLED_MESSAGE = "Cancelled{by}: nothing was imported."


def import_job_cancelled(key: str, by: str = "") -> int:
    """The import's job was cancelled (registered as the registry imports' ``on_cancel``; ``by``
    says by whom): the import ends cancelled, as its job does, saying so. One being written
    stops at its next batch and rolls back."""
    return ImportJob.objects.filter(
        pk=int(key), status__in=[Status.UPLOADED, Status.VALIDATING, Status.IMPORTING]
    ).update(
        status=Status.CANCELLED,
        error_message=CANCELLED_MESSAGE.format(by=by),
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _cancelled(job: ImportJob) -> ImportJob:
    import_job_cancelled(str(job.pk))  # unless the cancel's own hook already said by whom
    job.refresh_from_db()
    return job


def _record_result(job: ImportJob, result: PlanResult) -> None:
    job.rows_total = result.rows_read
    job.rows_processed = result.rows_read
    job.create_count = result.counts[CREATE]
    job.update_count = result.counts[UPDATE]
    job.unchanged_count = result.counts["unchanged"]
    job.error_count = result.error_count
    job.involves_restricted = job.involves_restricted or result.involves_restricted
    job.report = result.report()


def _finish(job: ImportJob, *, status: str, error_message: str = "") -> ImportJob:
    job.status = status
    job.error_message = error_message
    job.finished_at = timezone.now()
    job.save()
    import_job_follow(job.pk)
    return job


# --- import -----------------------------------------------------------------------------------


def import_job_queue_apply(*, job: ImportJob, user) -> ImportJob:
    """The uploader asks for the import of a checked job: mark it importing and queue the work."""
    if job.created_by_id != getattr(user, "pk", None) or not user_can_import(user, job.kind):
        raise PermissionDenied("Only the person who uploaded the file may import it.")
    with transaction.atomic():
        queued = ImportJob.objects.filter(pk=job.pk, status=Status.VALIDATED, error_count=0).update(
            status=Status.IMPORTING,
            rows_processed=0,
            rows_total=None,
            updated_at=timezone.now(),
        )
        if not queued:
            job.refresh_from_db()
            raise ValidationError(
                f"This file cannot be imported now: it is '{job.get_status_display()}'."
            )
        import_job_follow(job.pk, phase="queued")
        from .tasks import import_job_import

        enqueue_on_commit(
            import_job_import, job.pk, background=True, sent=import_job_task_sent(job.pk)
        )
    job.refresh_from_db()
    return job


class ImportProgress:
    """Progress of the import, which runs inside one long transaction.

    Updates to the import's row and its job's made in that transaction would stay invisible
    until it commits, so on PostgreSQL they go through a second connection in autocommit and the
    import's page and the Jobs page read them live (done / total, each batch). SQLite allows one
    writer at a time, so there the page shows an 'importing' state without numbers. The import
    transaction itself touches neither row before its last statements, so the two connections
    never wait on each other. Each report raises ``JobCancelled`` if the job was cancelled.
    """

    SQL = "UPDATE {table} SET rows_processed = %s, rows_total = %s WHERE id = %s AND status = %s"

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.side = side_connection_open()
        self.job = import_job_live_report(job_id, side=self.side)
        self.sql = self.SQL.format(table=connection.ops.quote_name(ImportJob._meta.db_table))

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if self.side is None:
            return
        try:
            with self.side.cursor() as cursor:
                cursor.execute("SET statement_timeout = 5000")
                cursor.execute(self.sql, [done, total, self.job_id, Status.IMPORTING])
        except DatabaseError:
            logger.warning("import job %s: progress not recorded", self.job_id, exc_info=True)
            self.close()
            return
        self.job.progress(done=done, total=total, phase=phase)

    def close(self) -> None:
        self.job.close()
        if self.side is not None:
            self.side.close()
            self.side = None


def _mark_done(job: ImportJob) -> None:
    """The transaction's last statement: the job is done with the counts recorded on ``job``,
    unless another run finished it first (then the transaction rolls back)."""
    finished = ImportJob.objects.filter(pk=job.pk, status=Status.IMPORTING).update(
        status=Status.DONE,
        rows_total=job.rows_total,
        rows_processed=job.rows_processed,
        create_count=job.create_count,
        update_count=job.update_count,
        unchanged_count=job.unchanged_count,
        error_count=0,
        involves_restricted=job.involves_restricted,
        report=job.report,
        error_message="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not finished:
        raise RuntimeError("another run of this import finished first")


def import_job_apply(*, job: ImportJob) -> ImportJob:
    """Check the file again and write it, all or nothing; the job ends done or failed.

    Runs as the uploader (what they may see and change). Safe to repeat: only a job that is
    'importing' is worked on, and the last statement of the transaction marks it done.
    """
    job.refresh_from_db()
    if job.status != Status.IMPORTING:
        return job
    progress = ImportProgress(job.pk)
    reason = f"Import #{job.pk}: {job.original_filename}"[:100]
    try:
        with transaction.atomic():
            result = plan_file(
                path=job.file.path,
                kind=job.kind,
                user=job.created_by,
                keep_plans=True,
                on_progress=lambda rows, total: progress("checking", rows, total),
            )
            if result.error_count:
                raise ImportRejected(result)
            _write_plans(
                kind=job.kind,
                plans=result.plans,
                user=job.created_by,
                reason=reason,
                on_progress=lambda done, total: progress("writing", done, total),
            )
            progress.close()
            # Under the job's lock: a cancel that came first rolls the import back; one that
            # comes now waits for the commit and finds the import done.
            import_job_cancel_check(job.pk, lock=True)
            _record_result(job, result)
            _mark_done(job)
            import_job_follow(job.pk)
            changed = job.create_count + job.update_count
            if changed:
                transaction.on_commit(
                    lambda: registry_bulk_changed.send(
                        sender=ImportJob, kind=job.kind, count=changed
                    )
                )
    except ImportRejected as rejected:
        job.refresh_from_db()
        _record_result(job, rejected.result)
        first = rejected.result.errors[0] if rejected.result.errors else None
        where = (
            f" The first: row {first.row}, {first.column or 'row'}: {first.message}"
            if first
            else ""
        )
        return _finish(
            job,
            status=Status.FAILED,
            error_message=(
                "Nothing was imported: the registry changed since the check, and "
                f"{rejected.result.error_count} row(s) now have errors.{where}"
            ),
        )
    except OperationalError:
        raise  # rolled back; the task retries while the job stays "importing"
    except JobCancelled:
        return _cancelled(job)
    except Exception as error:
        logger.exception("import job %s: import failed and was rolled back", job.pk)
        job.refresh_from_db()
        return _finish(
            job,
            status=Status.FAILED,
            error_message=f"Nothing was imported: the import failed and was rolled back ({error}).",
        )
    finally:
        progress.close()
    job.refresh_from_db()
    return job


# --- writing a plan -------------------------------------------------------------------------


def _write_plans(
    *,
    kind: str,
    plans: list[PlannedRow],
    user,
    reason: str,
    on_progress: Callable[[int, int], None],
) -> None:
    """Write creates then updates in batches, each batch with its history records."""
    write_creates, write_updates = WRITERS[kind]
    creates = [plan for plan in plans if plan.action == CREATE]
    updates = [plan for plan in plans if plan.action == UPDATE]
    for plan in creates:  # provenance: what this import made ("Import #N: file")
        plan.instance.origin = Origin.CSV
        if isinstance(plan.instance, Stakeholder | Outcome):  # stakes and ties: the file's column
            plan.instance.source = reason[:300]
    history = HistoryWriter(user=user, reason=reason)
    total, done = len(creates) + len(updates), 0
    for write, todo in ((write_creates, creates), (write_updates, updates)):
        for start in range(0, len(todo), WRITE_BATCH_SIZE):
            batch = todo[start : start + WRITE_BATCH_SIZE]
            write(batch, history=history)
            done += len(batch)
            on_progress(done, total)


class HistoryWriter:
    """The audit history of bulk writes: the records ``save()`` would have made, in bulk.

    Each record is a snapshot of the row as it now stands in the database, copied by one
    ``INSERT ... SELECT`` per batch, with the importing user, the time and "Import #N: file" as
    the reason. simple_history's ``bulk_create_with_history`` builds a Python object per record
    instead, which made history the slowest part of a 100,000-row import (and it leaves out
    many-to-many fields, which ``sectors`` of stakeholders are).
    """

    def __init__(self, *, user, reason: str):
        self.user_id = getattr(user, "pk", None)
        self.reason = reason
        self.date = connection.ops.adapt_datetimefield_value(timezone.now())
        self.quote = connection.ops.quote_name

    def record(self, model, pks: list[int], *, history_type: str) -> list[int]:
        """History records of ``model`` rows ``pks``; returns their history ids."""
        if not pks:
            return []
        history = model.history.model
        tracked = ", ".join(self.quote(field.column) for field in history.tracked_fields)
        extra = ", ".join(
            self.quote(history._meta.get_field(name).column)
            for name in ("history_date", "history_change_reason", "history_type", "history_user")
        )
        history_id = self.quote(history._meta.pk.column)
        sql = (
            f"INSERT INTO {self.quote(history._meta.db_table)} ({tracked}, {extra}) "
            f"SELECT {tracked}, %s, %s, %s, %s FROM {self.quote(model._meta.db_table)} "
            f"WHERE {self.quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(pks))}) "
            f"RETURNING {history_id}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.date, self.reason, history_type, self.user_id, *pks])
            return [row[0] for row in cursor.fetchall()]

    def record_sectors(self, history_ids: list[int]) -> None:
        """The sectors each stakeholder record had, as simple_history keeps them for m2m fields."""
        if not history_ids:
            return
        through = Stakeholder.sectors.through
        history = Stakeholder.history.model
        sector_history = history.sectors.model
        columns = {
            name: self.quote(sector_history._meta.get_field(name).column)
            for name in ("id", "stakeholder", "sector", "history")
        }
        source = {
            name: self.quote(through._meta.get_field(name).column)
            for name in ("id", "stakeholder", "sector")
        }
        sql = (
            f"INSERT INTO {self.quote(sector_history._meta.db_table)} "
            f"({', '.join(columns.values())}) "
            f"SELECT t.{source['id']}, t.{source['stakeholder']}, t.{source['sector']}, "
            f"h.{self.quote(history._meta.pk.column)} "
            f"FROM {self.quote(through._meta.db_table)} t "
            f"JOIN {self.quote(history._meta.db_table)} h "
            f"ON h.{self.quote(history._meta.get_field('id').column)} = t.{source['stakeholder']} "
            f"WHERE h.{self.quote(history._meta.pk.column)} "
            f"IN ({', '.join(['%s'] * len(history_ids))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, history_ids)


def _changed_fields(model, batch: list[PlannedRow], *, skip=()) -> list[str]:
    names = {column for plan in batch for column, _, _ in plan.changes if column not in skip}
    fields = {model._meta.get_field(name).name for name in names}
    if any(field.name == "updated_at" for field in model._meta.fields):
        fields.add("updated_at")
    return sorted(fields)


def _update_rows(model, objs: list, field_names: list[str]) -> None:
    """Save ``field_names`` of each object: one ``UPDATE ... WHERE id = %s``, sent in bulk.

    Django's ``bulk_update`` builds a CASE expression per field with a branch per row; at
    100,000 rows that cost a third of a millisecond per row in Python alone.
    """
    if not objs:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _created(model, objs: list) -> list[int]:
    created = model.objects.bulk_create(objs)
    if any(obj.pk is None for obj in created):
        raise RuntimeError("this database did not return the ids of new rows")
    return [obj.pk for obj in created]


def _simple_writers(model):
    def create(batch, *, history: HistoryWriter):
        pks = _created(model, [plan.instance for plan in batch])
        history.record(model, pks, history_type="+")

    def update(batch, *, history: HistoryWriter):
        objs = [plan.instance for plan in batch]
        _update_rows(model, objs, _changed_fields(model, batch))
        history.record(model, [obj.pk for obj in objs], history_type="~")

    return create, update


def _stakeholder_create(batch, *, history: HistoryWriter):
    pks = _created(Stakeholder, [plan.instance for plan in batch])
    through = Stakeholder.sectors.through
    through.objects.bulk_create(
        through(stakeholder_id=plan.instance.pk, sector_id=sector_id)
        for plan in batch
        for sector_id in sorted(plan.sector_ids or ())
    )
    identifiers = [
        ExternalIdentifier(
            stakeholder_id=plan.instance.pk, scheme=IdentifierScheme.IATI_ORG, value=plan.iati_ref
        )
        for plan in batch
        if plan.iati_ref
    ]
    if identifiers:
        history.record(
            ExternalIdentifier, _created(ExternalIdentifier, identifiers), history_type="+"
        )
    history.record_sectors(history.record(Stakeholder, pks, history_type="+"))


def _stakeholder_update(batch, *, history: HistoryWriter):
    stakeholders = [plan.instance for plan in batch]
    fields = _changed_fields(Stakeholder, batch, skip=("sectors", "iati_org_ref"))
    _update_rows(Stakeholder, stakeholders, fields)
    resectored = [plan for plan in batch if plan.sectors_changed]
    if resectored:
        through = Stakeholder.sectors.through
        through.objects.filter(
            stakeholder_id__in=[plan.instance.pk for plan in resectored]
        ).delete()
        through.objects.bulk_create(
            through(stakeholder_id=plan.instance.pk, sector_id=sector_id)
            for plan in resectored
            for sector_id in sorted(plan.sector_ids or ())
        )
    changed, added = [], []
    for plan in batch:
        if not plan.iati_ref:
            continue
        if plan.identifier is not None:
            plan.identifier.value = plan.iati_ref
            changed.append(plan.identifier)
        else:
            added.append(
                ExternalIdentifier(
                    stakeholder_id=plan.instance.pk,
                    scheme=IdentifierScheme.IATI_ORG,
                    value=plan.iati_ref,
                )
            )
    if changed:
        _update_rows(ExternalIdentifier, changed, ["value"])
        history.record(ExternalIdentifier, [obj.pk for obj in changed], history_type="~")
    if added:
        history.record(ExternalIdentifier, _created(ExternalIdentifier, added), history_type="+")
    pks = [stakeholder.pk for stakeholder in stakeholders]
    history.record_sectors(history.record(Stakeholder, pks, history_type="~"))


WRITERS = {
    ImportJob.Kind.STAKEHOLDERS: (_stakeholder_create, _stakeholder_update),
    ImportJob.Kind.OUTCOMES: _simple_writers(Outcome),
    ImportJob.Kind.STAKES: _simple_writers(Stake),
    ImportJob.Kind.TIES: _simple_writers(Tie),
}
