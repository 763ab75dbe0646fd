"""The job services: one vocabulary, progress, timings, errors; each refuses bad input by name."""

import datetime

import pytest
import time_machine

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.jobs.models import Job
from smartdiplomacy.jobs.services import (
    job_enqueue,
    job_finish,
    job_progress,
    job_restrict,
    job_start,
)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)


def test_a_job_goes_from_queued_to_succeeded_with_its_progress_and_timings(officer):
    with time_machine.travel(START, tick=False) as clock:
        job = job_enqueue(kind="rescore", detail_key=7, user=officer)
        assert (job.status, job.started_by, job.detail_key, job.percent) == (
            "queued", officer, "7", None,
        )  # fmt: skip
        clock.shift(datetime.timedelta(seconds=3))
        assert job_start(kind="rescore", detail_key=7, total=40, phase="scoring") == 1
        clock.shift(datetime.timedelta(seconds=5))
        job_progress(kind="rescore", detail_key=7, done=10)
        job.refresh_from_db()
        assert (job.status, job.progress_done, job.progress_total, job.percent) == (
            "running", 10, 40, 25,
        )  # fmt: skip
        assert job.phase == "scoring" and job.started_at == START + datetime.timedelta(seconds=3)
        clock.shift(datetime.timedelta(seconds=12))
        job_finish(kind="rescore", detail_key=7, status="succeeded")
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.percent, job.total_seconds) == (
        "succeeded", 40, 100, 17.0,
    )  # fmt: skip


def test_a_failed_job_says_why_and_progress_after_the_end_changes_nothing():
    job_enqueue(kind="overlap", detail_key=1, total=100)
    job_start(kind="overlap", detail_key=1)
    job_progress(kind="overlap", detail_key=1, done=30)
    job_finish(kind="overlap", detail_key=1, status="failed", error="The worker stopped.")
    assert job_progress(kind="overlap", detail_key=1, done=90) == 0
    job = Job.objects.get()
    assert (job.status, job.error, job.progress_done) == ("failed", "The worker stopped.", 30)
    assert job.finished_at is not None and job.started_at is not None


def test_enqueueing_again_resets_the_same_row_and_keeps_who_started_it(officer):
    job_enqueue(kind="iati_import", detail_key="abc123", user=officer)
    job_finish(kind="iati_import", detail_key="abc123", status="failed", error="Bad file.")
    job_enqueue(kind="iati_import", detail_key="abc123")  # a resume, by the command
    job = Job.objects.get()
    assert (job.status, job.error, job.finished_at, job.started_by) == (
        "queued", "", None, officer,
    )  # fmt: skip


def test_restricting_is_one_way():
    job_enqueue(kind="registry_import", detail_key=3)
    job_restrict(kind="registry_import", detail_key=3)
    job_enqueue(kind="registry_import", detail_key=3)  # repeating the queueing does not undo it
    assert Job.objects.get().restricted is True


@pytest.mark.parametrize(
    ("call", "kwargs", "field"),
    [
        (job_enqueue, {"kind": "nightly", "detail_key": 1}, "kind"),
        (job_enqueue, {"kind": "overlap", "detail_key": ""}, "detail_key"),
        (job_enqueue, {"kind": "overlap", "detail_key": "x" * 65}, "detail_key"),
        (job_enqueue, {"kind": "overlap", "detail_key": 1, "total": -1}, "total"),
        (job_progress, {"kind": "overlap", "detail_key": 1, "done": -2}, "done"),
        (job_progress, {"kind": "overlap", "detail_key": 1, "done": 5, "total": 4}, "done"),
        (job_finish, {"kind": "overlap", "detail_key": 1, "status": "running"}, "status"),
        (job_finish, {"kind": "overlap", "detail_key": 1, "status": "failed"}, "error"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(call, kwargs, field):
    job_enqueue(kind="overlap", detail_key=1, total=10)
    before = list(Job.objects.values())
    with pytest.raises(ApplicationError) as refused:
        call(**kwargs)
    assert refused.value.field == field and field in str(refused.value)
    assert list(Job.objects.values()) == before


def test_done_cannot_pass_the_total_in_the_database_either():
    from django.db import IntegrityError, transaction

    job = job_enqueue(kind="overlap", detail_key=1, total=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(progress_done=11)
    job.refresh_from_db()
    assert job.progress_done == 0
