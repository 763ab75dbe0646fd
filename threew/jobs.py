"""Upload jobs of 3W files: stored, columns read (and mapped by hand when untagged), imported by
a worker, with the report kept for the uploader.

An upload waiting for its columns is the 3W's own state, not yet a background run. Once queued,
its life — queued, running, succeeded or failed, the rows read and the error — is its row of
``smartdiplomacy.jobs`` (``Job``, kind ``threew_import``), which its page and /jobs/ read alike;
the job is its uploader's only, and restricted (cleared eyes only) once its import matched a
restricted stakeholder. What is the upload's own lives in the cache (key ``threew-job:<token>``,
kept a day): the file, source, headers, proposed and given mapping, report, whether it involves a
restricted stakeholder and who uploaded it. Worker and web process share the cache (Redis with
``CACHE_URL``; the embedded default runs tasks in process).
"""

import secrets
import time
from pathlib import Path, PurePath

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.jobs.live import JobLiveReport
from smartdiplomacy.jobs.models import Job, JobKind, JobStatus
from smartdiplomacy.jobs.presentation import job_progress_payload
from smartdiplomacy.jobs.registry import job_kind_register
from smartdiplomacy.jobs.selectors import job_of, job_of_cached
from smartdiplomacy.jobs.services import (
    job_enqueue,
    job_finish,
    job_progress,
    job_restrict,
    job_start,
    job_task_record,
)
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.imports.selectors import import_kinds_for
from stakeholders.models import ImportJob
from stakeholders.selectors import user_is_cleared

from . import hxl
from .reading import FileProblem, sheet_open
from .rows import ThreeWImportError
from .services import threew_import, threew_source_mapping

KIND = JobKind.THREEW_IMPORT
JOB_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")
UPLOAD_DIR = "threew-uploads"


def user_can_import_3w(user) -> bool:
    """A 3W file writes stakeholders, outcomes, stakes and ties: the four registry imports'
    permissions (program officers and administrators)."""
    return set(import_kinds_for(user)) >= set(ImportJob.Kind.values)


def _threew_audience(user) -> Q | None:
    return Q(started_by=user) if user_can_import_3w(user) else None


def threew_jobs_register() -> None:
    """3W imports on the Jobs page: each for its uploader only (an officer), linking to its
    page; one that matched a restricted stakeholder is a restricted job (cleared eyes only), as
    its page is. Not cancellable: one transaction, over in seconds."""
    job_kind_register(
        kind=KIND,
        detail_url=lambda key: reverse("threew_import:job", args=[key]),
        audience=_threew_audience,
    )


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


def threew_job_waits_for_mapping(job: dict) -> bool:
    """An untagged upload whose columns are not mapped yet (not yet a background run)."""
    return bool(job.get("awaiting_mapping", job.get("status") == "mapping"))


def threew_job_row(job: dict) -> Job:
    """The upload's job row, for its own page (one query)."""
    return job_of_cached(kind=KIND, detail_key=job["token"], cached=job, done_key="rows_read")


def threew_job_status_payload(job: dict) -> dict:
    """What the upload's status endpoint sends: its job's fields for the one progress partial
    (``static/js/jobs.js``), as ``"job"``."""
    return {"job": job_progress_payload(threew_job_row(job))}


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
        awaiting_mapping=not tagged,
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
        involves_restricted=False,
    )
    if tagged:
        _queue(token, user=user)
    return job


def threew_job_map(*, token: str, user, mapping: dict[str, str]) -> dict:
    """The uploader's mapping of an untagged file's columns; queues the import."""
    job = threew_job_get(token=token, user=user)
    if job is None or not threew_job_waits_for_mapping(job):
        raise ApplicationError("This upload is not waiting for its columns to be mapped.")
    fields = {hxl.field_for_tag(tag) for tag in mapping.values() if tag}
    if not any(field and field.endswith((".name", ".code")) for field in fields):
        raise ApplicationError("Map at least one column to an organisation (#org, #org+impl…).")
    job = _job_set(token, awaiting_mapping=False, mapping=mapping)
    _queue(token, user=user)
    return job


def _queue(token: str, *, user) -> None:
    """The upload becomes a background run: its job, queued (the rows are counted as read)."""
    from .tasks import threew_job_import  # the task module imports this one

    job_enqueue(kind=KIND, detail_key=token, user=user)
    enqueue_on_commit(
        threew_job_import,
        token,
        sent=lambda task_id: job_task_record(kind=KIND, detail_key=token, task_id=task_id),
    )


def threew_job_run(*, token: str) -> str | None:
    """Import the job's file as its uploader; the file is deleted afterwards. Safe to repeat:
    only a queued job is run."""
    from django.contrib.auth import get_user_model

    job, row = cache.get(_key(token)), job_of(kind=KIND, detail_key=token)
    if job is None:
        return None
    user = get_user_model().objects.filter(pk=job["user_id"]).first()
    if row is None and job.get("status") == "queued":  # queued before the job model: its job now
        row = job_enqueue(kind=KIND, detail_key=token, user=user)
    if row is None or row.status != JobStatus.QUEUED:
        return None
    job_start(kind=KIND, detail_key=token, phase="reading rows")
    # Inside the import's one transaction: the job row through ``live``'s own connection.
    live = JobLiveReport(kind=KIND, detail_key=token)
    path = Path(job["path"])
    try:
        report = threew_import(
            path=path,
            source_name=job["source"],
            file_name=job["filename"],
            user=user,
            mapping=job.get("mapping"),
            on_progress=lambda rows: live.progress(done=rows, phase=f"{rows:,} rows read"),
        )
    except ThreeWImportError as error:
        failed = error.report
        lines = failed.lines() if failed is not None and failed.columns else []
        _job_end(token, report=lines, restricted=bool(failed and failed.involves_restricted))
        job_finish(kind=KIND, detail_key=token, status=JobStatus.FAILED, error=str(error))
        return "failed"
    finally:
        live.close()
        path.unlink(missing_ok=True)
    _job_end(token, report=report.lines(), restricted=report.involves_restricted)
    _job_set(token, seconds=round(report.seconds, 1))
    job_progress(kind=KIND, detail_key=token, done=report.rows_read, total=report.rows_read)
    job_finish(kind=KIND, detail_key=token, status=JobStatus.SUCCEEDED)
    return "succeeded"


def _job_end(token: str, *, report: list[str], restricted: bool) -> None:
    """The upload's report kept; a job that matched a restricted stakeholder becomes restricted
    (cleared eyes only) before it ends — before /jobs/ can show it finished."""
    if restricted:
        job_restrict(kind=KIND, detail_key=token)
    _job_set(token, report=report, involves_restricted=restricted)
