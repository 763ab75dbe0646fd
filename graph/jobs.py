"""Graph refreshes as jobs (``smartdiplomacy.jobs``).

A refresh reads every actor, restricted ones too, and registry changes nobody else may see set
it off: its jobs are restricted, and shown only to cleared administrators.
"""

from __future__ import annotations

import contextlib
import secrets

from django.db.models import Q

from accounts.roles import Role, user_has_role
from smartdiplomacy.jobs.models import JobKind, JobStatus
from smartdiplomacy.jobs.registry import job_kind_register, user_is_cleared
from smartdiplomacy.jobs.services import job_enqueue, job_finish, job_progress, job_start

KIND = JobKind.GRAPH_REFRESH


def _audience(user) -> Q | None:
    return Q() if user_has_role(user, Role.ADMINISTRATOR) and user_is_cleared(user) else None


def graph_jobs_register() -> None:
    job_kind_register(kind=KIND, detail_url=lambda key: None, audience=_audience)


@contextlib.contextmanager
def graph_refresh_job(*, steps: int):
    """A refresh as a job: queued and started on entry; ``advance(done)`` after each step;
    succeeded on a clean exit, failed (and the error raised on) otherwise."""
    key = secrets.token_hex(16)
    job_enqueue(kind=KIND, detail_key=key, restricted=True, total=steps)
    job_start(kind=KIND, detail_key=key, total=steps)

    def advance(done: int) -> None:
        job_progress(kind=KIND, detail_key=key, done=done)

    try:
        yield advance
    except Exception as error:
        job_finish(
            kind=KIND,
            detail_key=key,
            status=JobStatus.FAILED,
            error=f"{type(error).__name__}: {error}",
        )
        raise
    job_finish(kind=KIND, detail_key=key, status=JobStatus.SUCCEEDED)
