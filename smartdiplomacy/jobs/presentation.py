"""What the page and the API show of a job beside its fields: its kind's label and its page."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Job
from .registry import kind_spec


def jobs_annotate(jobs: Iterable[Job]) -> list[Job]:
    """Each job with ``kind_label`` and ``detail_url`` (its domain page, or None), no query."""
    shown = list(jobs)
    for job in shown:
        spec = kind_spec(job.kind)
        job.kind_label = spec.label if spec else job.get_kind_display()
        job.detail_url = spec.detail_url(job.detail_key) if spec else None
    return shown
