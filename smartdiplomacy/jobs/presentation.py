"""What the page and the API show of a job beside its fields: its kind's label and its page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Job
from .registry import kind_spec, user_is_administrator


def jobs_annotate(jobs: Iterable[Job], *, user: Any = None) -> list[Job]:
    """Each job with ``kind_label``, ``detail_url`` (its domain page, or None) and, for
    ``user``, ``can_cancel`` (it is queued or running, its kind can stop, and ``user`` started
    it or is an administrator), no query."""
    shown = list(jobs)
    administrator = user is not None and user_is_administrator(user)
    for job in shown:
        spec = kind_spec(job.kind)
        job.kind_label = spec.label if spec else job.get_kind_display()
        job.detail_url = spec.detail_url(job.detail_key) if spec else None
        job.can_cancel = bool(
            user is not None
            and job.is_active
            and spec is not None
            and spec.on_cancel is not None
            and (administrator or job.started_by_id == getattr(user, "pk", None))
        )
    return shown


def job_progress_payload(job: Job, *, detail: str = "") -> dict[str, Any]:
    """What a page's status endpoint sends as ``"job"`` for ``static/js/jobs.js`` (the fields
    of ``jobs/progress.html``)."""
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "phase": job.phase,
        "detail": detail,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": job.percent,
        "error": job.error,
        "active": job.is_active,
    }
