"""Upload jobs of IATI files: the uploaded file, queued, imported by a worker, with progress.

A job's state lives in the cache (key ``iati-job:<token>``, kept a day), not in a model: the
registry keeps what was imported (``IatiActivity`` and the rows), the job only says how it went.
The worker and the web process must therefore share the cache — Redis when ``CACHE_URL`` is set;
the embedded default (local-memory cache, tasks run in process) shares it trivially.
"""

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.tasks import enqueue_on_commit

from .services import IatiImportError, iati_import

JOB_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GB: the importer streams, memory is not the limit
UPLOAD_DIR = "iati-uploads"


def _key(token: str) -> str:
    return f"iati-job:{token}"


def iati_job_get(token: str) -> dict | None:
    """The job's state: status (queued, running, done, failed), phase, progress, report."""
    if not token.isalnum():
        return None
    return cache.get(_key(token))


def _job_set(key: str, **changes) -> dict:
    job = cache.get(_key(key)) or {}
    job.update(changes, updated=time.time())
    cache.set(_key(key), job, JOB_SECONDS)
    return job


def iati_job_create(*, user, uploaded_file) -> str:
    """Store the uploaded file and queue its import; returns the job's token."""
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
    with path.open("wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)
    _job_set(
        token,
        token=token,
        status="queued",
        phase="",
        done=0,
        filename=name,
        path=str(path),
        user_id=user.pk,
        report=[],
        error="",
    )
    from .tasks import iati_job_import  # the task module imports this one

    enqueue_on_commit(iati_job_import, token)
    return token


def iati_job_run(*, token: str) -> str | None:
    """Import the job's file (as its uploader); the file is deleted afterwards. Safe to repeat."""
    from django.contrib.auth import get_user_model

    job = iati_job_get(token)
    if job is None or job["status"] != "queued":
        return None
    user = get_user_model().objects.filter(pk=job["user_id"]).first()
    _job_set(token, status="running", phase="reading")

    def progress(phase: str, done: int, total: int | None) -> None:
        _job_set(token, phase=phase, done=done)

    path = Path(job["path"])
    try:
        report = iati_import(paths=[path], user=user, on_progress=progress)
    except IatiImportError as error:
        _job_set(token, status="failed", error=str(error).replace(str(path), job["filename"]))
        return "failed"
    finally:
        path.unlink(missing_ok=True)
    lines = [line.replace(str(path), job["filename"]) for line in report.lines()]
    if report.failure:
        # Nothing could be used: a failure that says why, with the full report below it.
        _job_set(
            token,
            status="failed",
            phase="",
            done=report.activities_read,
            error=report.failure,
            report=lines,
        )
        return "failed"
    _job_set(
        token,
        status="done",
        phase="",
        done=report.activities_read,
        report=lines,
        seconds=round(report.seconds, 1),
    )
    return "done"
