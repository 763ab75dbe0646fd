"""Upload jobs of 3W files: stored, columns read (and mapped by hand when untagged), imported by
a worker, with the report kept for the uploader.

A job's state lives in the cache (key ``threew-job:<token>``, kept a day), as IATI jobs do: the
registry keeps what was imported, the job only says how it went. Worker and web process share
the cache (Redis with ``CACHE_URL``; the embedded default runs tasks in process).
"""

import secrets
import time
from pathlib import Path, PurePath

from django.conf import settings
from django.core.cache import cache

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.imports.selectors import import_kinds_for
from stakeholders.models import ImportJob
from stakeholders.selectors import user_is_cleared

from . import hxl
from .reading import FileProblem, sheet_open
from .rows import ImportReport, ThreeWImportError
from .services import threew_import, threew_source_mapping

JOB_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")
UPLOAD_DIR = "threew-uploads"


def user_can_import_3w(user) -> bool:
    """A 3W file writes stakeholders, outcomes, stakes and ties: the four registry imports'
    permissions (program officers and administrators)."""
    return set(import_kinds_for(user)) >= set(ImportJob.Kind.values)


def _key(token: str) -> str:
    return f"threew-job:{token}"


def threew_job_get(*, token: str, user) -> dict | None:
    """The job, for its uploader only; a job whose import matched a restricted stakeholder only
    while they are cleared (its report counts that match)."""
    if not token.isalnum():
        return None
    job = cache.get(_key(token))
    if job is None or job.get("user_id") != getattr(user, "pk", None):
        return None
    if job.get("involves_restricted") and not user_is_cleared(user):
        return None
    return job


def _job_set(key: str, **changes) -> dict:
    job = cache.get(_key(key)) or {}
    job.update(changes, updated=time.time())
    cache.set(_key(key), job, JOB_SECONDS)
    return job


def threew_job_create(*, user, uploaded_file, source_name: str) -> dict:
    """Store an upload and read its columns. A tagged file is queued for import at once; an
    untagged one waits for its mapping (``threew_job_map``). Raises ``ApplicationError`` naming
    ``file`` or ``source`` for a file that is refused."""
    name = PurePath(uploaded_file.name or "upload.csv").name
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ApplicationError(f"'{name}' is not a .csv or .xlsx file.", "file")
    if not uploaded_file.size:
        raise ApplicationError(f"'{name}' is empty.", "file")
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            f"'{name}' is {uploaded_file.size / 1024 / 1024:,.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Split it into several files.",
            "file",
        )
    source_name = " ".join(source_name.split()) or PurePath(name).stem
    if len(source_name) > 200:
        raise ApplicationError("The source's name is longer than 200 characters.", "source")
    token = secrets.token_hex(16)
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{token}{suffix}"
    with path.open("wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)
    remembered = threew_source_mapping(name=source_name)
    try:
        with sheet_open(path, mapping=remembered) as sheet:
            tagged, headers, columns = sheet.tagged, sheet.headers, sheet.columns
    except FileProblem as problem:
        path.unlink(missing_ok=True)
        raise ApplicationError(f"'{name}': {problem.message}", "file") from None
    job = _job_set(
        token,
        token=token,
        status="queued" if tagged else "mapping",
        filename=name,
        path=str(path),
        source=source_name,
        user_id=user.pk,
        headers=headers,
        # The mapping offered for an untagged file: header → hashtag, from memory and guesses.
        proposed={
            headers[index]: hxl.TAG_OF_FIELD[field]
            for field, index in columns.fields.items()
            if index < len(headers)
        },
        mapping=None,
        report=[],
        error="",
        involves_restricted=False,
    )
    if tagged:
        _queue(token)
    return job


def threew_job_map(*, token: str, user, mapping: dict[str, str]) -> dict:
    """The uploader's mapping of an untagged file's columns; queues the import."""
    job = threew_job_get(token=token, user=user)
    if job is None or job["status"] != "mapping":
        raise ApplicationError("This upload is not waiting for its columns to be mapped.")
    fields = {hxl.field_for_tag(tag) for tag in mapping.values() if tag}
    if not any(field and field.endswith((".name", ".code")) for field in fields):
        raise ApplicationError("Map at least one column to an organisation (#org, #org+impl…).")
    job = _job_set(token, status="queued", mapping=mapping)
    _queue(token)
    return job


def _queue(token: str) -> None:
    from .tasks import threew_job_import  # the task module imports this one

    enqueue_on_commit(threew_job_import, token)


def threew_job_run(*, token: str) -> str | None:
    """Import the job's file as its uploader; the file is deleted afterwards. Safe to repeat."""
    from django.contrib.auth import get_user_model

    job = cache.get(_key(token))
    if job is None or job["status"] != "queued":
        return None
    user = get_user_model().objects.filter(pk=job["user_id"]).first()
    _job_set(token, status="running")
    path = Path(job["path"])
    report: ImportReport | None
    try:
        report = threew_import(
            path=path,
            source_name=job["source"],
            file_name=job["filename"],
            user=user,
            mapping=job.get("mapping"),
            on_progress=lambda rows: _job_set(token, rows_read=rows),
        )
    except ThreeWImportError as error:
        report = error.report
        lines = report.lines() if report is not None and report.columns else []
        restricted = bool(report is not None and report.involves_restricted)
        _job_set(
            token, status="failed", error=str(error), report=lines, involves_restricted=restricted
        )
        return "failed"
    finally:
        path.unlink(missing_ok=True)
    _job_set(
        token,
        status="done",
        report=report.lines(),
        rows_read=report.rows_read,
        seconds=round(report.seconds, 1),
        involves_restricted=report.involves_restricted,
    )
    return "done"
