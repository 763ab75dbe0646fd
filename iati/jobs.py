"""Jobs of IATI files: an uploaded file, or a folder or list of files on the server, queued,
imported by workers, with progress.

An upload is imported by one task in one transaction. A folder or list of files
(``iati_folder_job_create``, ``manage.py import_iati --job``) is an ``IatiImportRun``: one task
per step of files (``iati_run_step``: about ``STEP_BYTES`` of XML, one transaction each), each
queueing the next, the last one writing the stakes; progress per file. A killed worker loses at
most the step it was reading (rolled back): ``iati_job_resume`` (``import_iati --resume
TOKEN``) goes on from there.

A job's life — queued, running, succeeded, failed or cancelled, its phase, progress and error —
is its row of ``smartdiplomacy.jobs`` (``Job``), which the import's own page, its status
endpoint and /jobs/ read alike. What is the import's own lives in the cache (key
``iati-job:<token>``, kept a day): the file's name and path, who uploaded it, the report, a
folder's files and the seconds it took. The worker and the web process must therefore share the
cache — Redis when ``CACHE_URL`` is set; the embedded default (local-memory cache, tasks run in
process) shares it trivially.
"""

import functools
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse

from accounts.roles import Role, user_has_role
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.jobs.live import JobLiveReport
from smartdiplomacy.jobs.models import Job, JobKind, JobStatus
from smartdiplomacy.jobs.presentation import job_progress_payload
from smartdiplomacy.jobs.registry import job_kind_register
from smartdiplomacy.jobs.selectors import job_of, job_of_cached
from smartdiplomacy.jobs.services import (
    JobCancelled,
    job_cancel_check,
    job_enqueue,
    job_finish,
    job_progress,
    job_start,
    job_task_record,
)
from smartdiplomacy.tasks import enqueue_on_commit

from .importing import (
    IatiImportError,
    ImportReport,
    iati_import,
    iati_run_create,
    iati_run_resume,
    iati_run_step,
    iati_run_stop,
)
from .models import IatiImportRun

KIND = JobKind.IATI_IMPORT
JOB_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GB: the importer streams, memory is not the limit
UPLOAD_DIR = "iati-uploads"


def _iati_audience(user) -> Q | None:
    return Q() if user_has_role(user, Role.ADMINISTRATOR) else None


def iati_jobs_register() -> None:
    """IATI imports on the Jobs page: for administrators (who import), each linking to its page
    (which opens for the administrator who started it)."""
    job_kind_register(
        kind=JobKind.IATI_IMPORT,
        detail_url=lambda key: reverse("iati_import:job", args=[key]),
        audience=_iati_audience,
        on_cancel=_iati_cancelled,
    )


CANCELLED_FILES_KEPT = (
    "Cancelled{by}. Files imported before the cancel stay (resume the import to go on); the "
    "stakes were not written."
)


def _iati_cancelled(token: str, by: str) -> None:
    """The import's job was cancelled (registered as ``on_cancel``): its row already says so, by
    whom, on /jobs/ and on the import's page. A folder's run ends cancelled too (its files
    imported before stay: resumable). A task at work stops at its next batch or file, rolling
    that transaction back."""
    run_id = IatiImportRun.objects.filter(token=token).values_list("pk", flat=True).first()
    if run_id is not None:
        iati_run_stop(run_id=run_id, error=CANCELLED_FILES_KEPT.format(by=by), wait=False)


def _task_sent(token: str):
    return lambda task_id: job_task_record(kind=KIND, detail_key=token, task_id=task_id)


def _key(token: str) -> str:
    return f"iati-job:{token}"


def iati_job_get(token: str) -> dict | None:
    """The import's own: filename, path, user_id, report, files (a folder's), seconds."""
    if not token.isalnum():
        return None
    return cache.get(_key(token))


def _job_set(key: str, **changes) -> dict:
    job = cache.get(_key(key)) or {}
    job.update(changes, updated=time.time())
    cache.set(_key(key), job, JOB_SECONDS)
    return job


def _job_fail(token: str, error: str) -> None:
    job_finish(kind=KIND, detail_key=token, status=JobStatus.FAILED, error=error)


def iati_job_row(job: dict) -> Job:
    """The import's job row, for its own page (one query)."""
    return job_of_cached(kind=KIND, detail_key=job["token"], cached=job, done_key="done")


def iati_job_status_payload(job: dict) -> dict:
    """What the import's status endpoint sends: the job's status, phase, progress and error
    (its row's words), the import's report, files and seconds, and the one progress partial's
    fields as ``"job"``."""
    row = iati_job_row(job)
    return {
        "status": row.status,
        "phase": row.phase,
        "done": row.progress_done,
        "total": row.progress_total,
        "error": row.error,
        **{key: job.get(key) for key in ("report", "seconds", "files")},
        "job": job_progress_payload(row),
    }


# The start of an activity's element (not of the file's ``<iati-activities>``).
ACTIVITY_START = re.compile(rb"<iati-activity[\s/>]")


class ActivityCounter:
    """Counts the activities of an IATI file as its chunks are stored, for the upload job's
    total: one search per chunk, which keeps the last 14 bytes of the one before (an element's
    start cut between two chunks is counted once, in the second). An estimate — an activity in
    a comment counts too — so the job's total is never below what was read."""

    def __init__(self) -> None:
        self.count = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        self.count += len(ACTIVITY_START.findall(data))
        self._tail = data[-14:]


def iati_job_create(*, user, uploaded_file) -> str:
    """Store the uploaded file and queue its import; returns the job's token. Its activities,
    counted as it is stored, are the job's total."""
    name = Path(uploaded_file.name or "upload.xml").name
    if not name.lower().endswith(".xml"):
        raise ApplicationError("Upload an IATI activity file ending in .xml.", "file")
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            f"The file is {uploaded_file.size / 1024 / 1024:,.0f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024:,} MB.",
            "file",
        )
    token = secrets.token_hex(16)
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{token}.xml"
    counter = ActivityCounter()
    with path.open("wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)
            counter.feed(chunk)
    job_enqueue(kind=KIND, detail_key=token, user=user, total=counter.count)
    _job_set(token, token=token, filename=name, path=str(path), user_id=user.pk, report=[])
    from .tasks import iati_job_import  # the task module imports this one

    enqueue_on_commit(iati_job_import, token, sent=_task_sent(token))
    return token


def iati_job_run(*, token: str) -> str | None:
    """Import the job's file (as its uploader); the file is deleted afterwards. Safe to repeat:
    only a queued job is run."""
    from django.contrib.auth import get_user_model

    job, row = iati_job_get(token), job_of(kind=KIND, detail_key=token)
    if job is None or row is None or row.status != JobStatus.QUEUED:
        return None
    user = get_user_model().objects.filter(pk=job["user_id"]).first()
    job_start(kind=KIND, detail_key=token, phase="reading")
    live = JobLiveReport(kind=KIND, detail_key=token)
    counted = row.progress_total or 0

    def progress(phase: str, done: int, total: int | None) -> None:
        # Inside the import's one transaction: the job row through ``live``'s own connection
        # (seen at once, never locked by the import), which also raises JobCancelled.
        live.progress(done=done, total=total or max(counted, done), phase=phase)

    path = Path(job["path"])
    try:
        report = iati_import(paths=[path], user=user, on_progress=progress)
    except IatiImportError as error:
        _job_fail(token, str(error).replace(str(path), job["filename"]))
        return "failed"
    except JobCancelled:  # rolled back: the registry is as it was; the job says cancelled
        return "cancelled"
    finally:
        live.close()
        path.unlink(missing_ok=True)
    lines = [line.replace(str(path), job["filename"]) for line in report.lines()]
    _job_set(token, report=lines, seconds=round(report.seconds, 1))
    read = report.activities_read
    job_progress(kind=KIND, detail_key=token, done=read, total=read)
    if report.failure:
        # Nothing could be used: a failure that says why, with the full report below it.
        _job_fail(token, report.failure)
        return "failed"
    job_finish(kind=KIND, detail_key=token, status=JobStatus.SUCCEEDED)
    return "done"


# --- folders and lists of files: one task per step of files ------------------------------------


def iati_folder_job_create(*, user, paths, validation: str = "report") -> str:
    """Queue the import of server-side files or folders as one run, one task per step of files;
    returns the job's token (its page: ``iati_import:job``). Raises ``IatiImportError`` for a
    path that is neither a file nor a folder of ``.xml`` files."""
    run = iati_run_create(paths=paths, user=user, validation=validation)
    files = _files_progress(run)
    job_enqueue(kind=KIND, detail_key=run.token, user=user, total=len(files))
    _job_set(
        run.token,
        token=run.token,
        filename=f"{len(files)} files",
        path="",
        user_id=getattr(user, "pk", None),
        report=[],
        files=files,
    )
    _step_enqueue(run.token)
    return run.token


def iati_job_resume(*, token: str) -> str:
    """Go on with an interrupted or failed run (a killed worker, a file fixed since): the files
    done are kept, the others are imported."""
    run = IatiImportRun.objects.filter(token=token).first() if token.isalnum() else None
    if run is None:
        raise ApplicationError(f"No IATI import with the token {token!r}.", "token")
    run = iati_run_resume(run=run)
    files = _files_progress(run)
    job_enqueue(kind=KIND, detail_key=token, total=len(files))
    _job_set(token, files=files)
    _step_enqueue(token)
    return token


def iati_job_step(*, token: str) -> str | None:
    """One task of a run: the next file (then the next task is queued), or the run's end. Safe
    to repeat. Where tasks run in place (no broker) it goes on file after file in a loop."""
    outcome = _job_step_once(token)
    while outcome == "file":
        if not _eager():
            _step_enqueue(token)
            break
        outcome = _job_step_once(token)
    return outcome


def _files_done(files: list[dict]) -> int:
    return sum(item["status"] != "waiting" for item in files)


def _job_step_once(token: str) -> str | None:
    run = IatiImportRun.objects.filter(token=token).first()
    if run is None:
        return None
    check = functools.partial(job_cancel_check, kind=KIND, detail_key=token)
    try:
        check()  # a step queued before the cancel: stop before saying "running" again
        files = _files_progress(run)
        waiting = [item for item in files if item["status"] == "waiting"]
        phase = f"file {waiting[0]['name']}" if waiting else "writing stakes"
        job_start(kind=KIND, detail_key=token, phase=phase)
        job_progress(kind=KIND, detail_key=token, done=_files_done(files), total=len(files))
        outcome = iati_run_step(run_id=run.pk, check=check)
    except JobCancelled:  # the step was rolled back; the steps done before it stay
        iati_run_stop(run_id=run.pk, error=CANCELLED_FILES_KEPT.format(by=""))
        return "cancelled"
    run.refresh_from_db()
    report = ImportReport.from_json(run.report)
    files = _files_progress(run)
    _job_set(token, files=files)
    if outcome == "file":
        job_progress(kind=KIND, detail_key=token, done=_files_done(files), total=len(files))
    elif outcome in ("done", "failed"):
        _job_set(
            token,
            report=report.lines(),
            seconds=round(sum(item["seconds"] for item in files), 1),
        )
        if outcome == "done":
            job_finish(kind=KIND, detail_key=token, status=JobStatus.SUCCEEDED)
        else:
            _job_fail(token, run.error or "The import failed.")
    return outcome


def _files_progress(run: IatiImportRun) -> list[dict]:
    labels = {"pending": "waiting", "done": "imported", "skipped": "skipped (same content)"}
    return [
        {
            "name": Path(path).name,
            "status": labels[status],
            "activities": activities,
            "seconds": seconds,
        }
        for path, status, activities, seconds in run.files.order_by("position").values_list(
            "path", "status", "activities", "seconds"
        )
    ]


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _step_enqueue(token: str) -> None:
    from .tasks import iati_job_continue  # the task module imports this one

    enqueue_on_commit(iati_job_continue, token, sent=_task_sent(token))
