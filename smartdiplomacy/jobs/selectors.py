"""Reads of jobs: the rows a user may see, by the rules the apps registered."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Job, JobStatus
from .registry import kind_specs, user_is_cleared


def job_visible_to(user: Any) -> QuerySet[Job]:
    """The jobs ``user`` may see: each kind's own rule; a restricted job (its subject is a
    restricted actor, or a hidden change set it off) only for cleared people. Nobody signed in,
    or a kind nobody registered: nothing."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Job.objects.none()
    allowed = Q(pk__in=[])
    for spec in kind_specs():
        rule = spec.audience(user)
        if rule is not None:
            allowed |= Q(kind=spec.kind) & rule
    jobs = Job.objects.filter(allowed)
    if not user_is_cleared(user):
        jobs = jobs.filter(restricted=False)
    return jobs.select_related("started_by").order_by("-created_at", "-id")


def job_of(*, kind: str, detail_key: object) -> Job | None:
    """The job of a domain row, for the domain's own page (which decides who may see it)."""
    return Job.objects.filter(kind=kind, detail_key=str(detail_key)).first()


# An upload recorded in the cache only, before the job model, said its own status in these words.
_CACHED_STATUS = {"queued": JobStatus.QUEUED, "running": JobStatus.RUNNING,
                  "done": JobStatus.SUCCEEDED, "failed": JobStatus.FAILED}  # fmt: skip


def job_of_cached(*, kind: str, detail_key: str, cached: dict, done_key: str) -> Job:
    """The job of an upload whose own data lives in the cache (IATI, 3W), for its page (one
    query); one recorded only in the cache, before the job model, is shown as the job it would
    have been (an unsaved row from its ``status``, ``phase``, ``error`` and ``done_key``)."""
    found = job_of(kind=kind, detail_key=detail_key)
    if found is None:
        found = Job(
            kind=kind,
            detail_key=detail_key,
            status=_CACHED_STATUS.get(cached.get("status") or "", JobStatus.QUEUED),
            phase=cached.get("phase") or "",
            progress_done=int(cached.get(done_key) or 0),
            error=cached.get("error") or "",
        )
    return found
