import os
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from partnerships import tasks
from partnerships.models import Candidate, OverlapRun, OverlapStep
from partnerships.overlap import loading, refresh, runs, steps
from partnerships.overlap.compute import compute_all
from partnerships.overlap.parameters import Parameters
from partnerships.overlap.runs import overlap_parameters_clean
from smartdiplomacy.celery import app
from stakeholders.choices import Kind
from tests.conftest import wait_for
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory


def test_the_nightly_run_is_in_the_one_beat_schedule():
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["partnerships-overlap-nightly"]
    assert entry["task"] == "partnerships.tasks.overlap_run_scheduled"
    assert entry["task"] in app.tasks
    watch = app.conf.beat_schedule["partnerships-overlap-runs-watch"]
    assert watch["task"] == "partnerships.tasks.overlap_runs_watch" and watch["schedule"] == 60
    assert watch["task"] in app.tasks


@pytest.mark.django_db
def test_the_scheduled_task_runs_the_job(small_registry, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = tasks.overlap_run_scheduled.delay().get()
    run = OverlapRun.objects.get(pk=run_id)
    assert run.trigger == OverlapRun.Trigger.SCHEDULE
    assert run.status == OverlapRun.Status.SUCCEEDED and run.candidate_count == 3


@pytest.mark.django_db
def test_tasks_of_a_vanished_run_return_quietly():
    tasks.overlap_run_execute_task.delay(12345)
    tasks.overlap_chunk_compute_task.delay(12345, 0)
    tasks.overlap_run_finalize_task.delay(12345)
    assert tasks.candidates_refresh_stakeholder_task.delay(12345).get() is None


def registry_for_workers(actors: int = 60):
    outcomes = [OutcomeFactory(needed_capabilities=(7 << (i % 7)) & 1023) for i in range(8)]
    kinds = [Kind.NGO, Kind.FIRM, Kind.STATE, Kind.DIASPORA, Kind.WOMENS_GROUP, Kind.MEDIA]
    for i in range(actors):
        actor = StakeholderFactory(kind=kinds[i % len(kinds)], capabilities=(i * 53) % 1024)
        for j in range(1 + i % 3):
            StakeFactory(
                stakeholder=actor, outcome=outcomes[(i + 3 * j) % 8], interest=(i % 5 + 1) / 5
            )


def start_run(worker, **parameters) -> OverlapRun:
    """A run sent to the test's private queue (the chunks follow on the worker's own queue)."""
    run = OverlapRun.objects.create(parameters=overlap_parameters_clean(parameters))
    tasks.overlap_run_execute_task.apply_async((run.pk,), queue=worker.queue)
    return run


def finished(run):
    run.refresh_from_db()
    return not run.is_active


@pytest.mark.services
def test_a_whole_run_on_real_workers_with_the_chunks_shared_across_processes(start_celery_worker):
    with refresh.overlap_refresh_suspended():
        registry_for_workers()
    worker = start_celery_worker(concurrency=2)
    run = start_run(worker, chunks=4, threads=1)
    wait_for(lambda: finished(run), timeout=120, message=f"run never finished:\n{worker.log()}")
    assert run.status == OverlapRun.Status.SUCCEEDED, run.error
    assert run.chunks_done == 4 and run.is_current
    assert Candidate.objects.filter(run=run).count() == run.candidate_count > 20
    # Chunks ran in both worker processes of the pool.
    log = worker.log()
    assert log.count("overlap_chunk_compute") >= 4
    # The same candidates as one chunk computed here, in process.
    registry, _counts = loading.registry_load()
    expected = compute_all(registry, Parameters.from_dict(run.parameters), chunks=1)
    written = dict(
        ((a, b), score)
        for a, b, score in Candidate.objects.filter(run=run).values_list(
            "stakeholder_a", "stakeholder_b", "score"
        )
    )
    assert written == dict(
        zip(
            zip(expected.src.tolist(), expected.dst.tolist(), strict=False),
            expected.score.tolist(),
            strict=False,
        )
    )


@pytest.mark.services
def test_killing_the_worker_in_the_middle_of_the_write_keeps_the_previous_candidates(
    start_celery_worker, monkeypatch
):
    with refresh.overlap_refresh_suspended():
        registry_for_workers()
    first_worker = start_celery_worker(concurrency=1)
    good = start_run(first_worker, chunks=2)
    wait_for(lambda: finished(good), timeout=120, message=first_worker.log())
    assert good.status == OverlapRun.Status.SUCCEEDED
    before = sorted(
        Candidate.objects.filter(run=good).values_list("stakeholder_a", "stakeholder_b", "score")
    )
    first_worker.kill()

    # The next worker pauses inside the write transaction, after inserting, before committing,
    # and says it is alive every second.
    monkeypatch.setenv(steps.PAUSE_BEFORE_COMMIT_ENV, "60")
    monkeypatch.setenv("OVERLAP_RUN_LEASE_SECONDS", "1")
    slow_worker = start_celery_worker(concurrency=1)
    doomed = start_run(slow_worker, chunks=2)
    wait_for(lambda: "Pausing" in slow_worker.log(), timeout=120, message=slow_worker.log())
    step = OverlapStep.objects.get(run=doomed)
    assert step.name == "writing candidates" and str(slow_worker.process.pid) in step.worker
    # A long write holding the run's row locked is alive, not lost: its lease moves on. Wait on that
    # condition (with a deadline, never a fixed sleep): the lease renewed later than the watch's
    # limit (4 x 1 s) after the pause began; the watch, 5 s after the pause, leaves the run alone.
    paused_at = timezone.now()
    wait_for(
        lambda: OverlapStep.objects.filter(
            pk=step.pk, alive_at__gt=paused_at + timedelta(seconds=4.5)
        ).exists(),
        timeout=60,
        message=slow_worker.log(),
    )
    with override_settings(OVERLAP_RUN_LEASE_SECONDS=1):
        assert runs.overlap_runs_fail_stale(now=paused_at + timedelta(seconds=5)) == 0
    slow_worker.kill()  # as a crashed machine would: no warm shutdown, the transaction dies

    good.refresh_from_db()
    assert good.is_current
    assert (
        sorted(
            Candidate.objects.filter(run=good).values_list(
                "stakeholder_a", "stakeholder_b", "score"
            )
        )
        == before
    )
    assert not Candidate.objects.filter(run=doomed).exists()
    doomed.refresh_from_db()
    assert doomed.status == OverlapRun.Status.RUNNING  # nobody has noticed yet…
    # …until its step has been silent for four beats: seconds here, two minutes by default,
    # instead of the hour of the hard time limit.
    with override_settings(OVERLAP_RUN_LEASE_SECONDS=1):
        wait_for(lambda: runs.overlap_runs_fail_stale() == 1, timeout=15)
    doomed.refresh_from_db()
    assert doomed.status == OverlapRun.Status.FAILED and not doomed.is_active
    assert "stopped while writing candidates" in doomed.error
    # Nothing active is left in the way of the next run.
    assert not OverlapRun.objects.filter(is_active=True).exists()
    assert not OverlapStep.objects.exists()
    assert os.environ[steps.PAUSE_BEFORE_COMMIT_ENV] == "60"


@pytest.mark.services
def test_a_run_cancelled_on_a_real_worker_while_it_writes_keeps_the_previous_candidates(
    start_celery_worker, monkeypatch
):
    from partnerships.jobs import overlap_job_enqueue
    from smartdiplomacy.jobs.models import Job
    from smartdiplomacy.jobs.services import job_cancel
    from tests.accounts.factories import UserFactory

    with refresh.overlap_refresh_suspended():
        registry_for_workers()
    administrator = UserFactory(username="admin.cancel", roles=["administrator"])
    first_worker = start_celery_worker(concurrency=1)
    good = start_run(first_worker, chunks=2)
    wait_for(lambda: finished(good), timeout=120, message=first_worker.log())
    assert good.status == OverlapRun.Status.SUCCEEDED
    before = sorted(
        Candidate.objects.filter(run=good).values_list("stakeholder_a", "stakeholder_b", "score")
    )
    first_worker.kill()

    # The next worker pauses inside the write transaction, after inserting, before committing.
    monkeypatch.setenv(steps.PAUSE_BEFORE_COMMIT_ENV, "5")
    slow_worker = start_celery_worker(concurrency=1)
    doomed = OverlapRun.objects.create(
        parameters=overlap_parameters_clean({"chunks": 2}), started_by=administrator
    )
    overlap_job_enqueue(doomed)
    tasks.overlap_run_execute_task.apply_async((doomed.pk,), queue=slow_worker.queue)
    wait_for(lambda: "Pausing" in slow_worker.log(), timeout=120, message=slow_worker.log())
    job = Job.objects.get(kind="overlap", detail_key=str(doomed.pk))
    job_cancel(job=job, user=administrator)  # the run's own end waits for the write to stop
    wait_for(lambda: finished(doomed), timeout=60, message=slow_worker.log())
    assert doomed.status == OverlapRun.Status.CANCELLED and "Cancelled" in doomed.error
    assert Job.objects.get(pk=job.pk).status == "cancelled"
    good.refresh_from_db()
    assert good.is_current
    assert not Candidate.objects.filter(run=doomed).exists()
    assert (
        sorted(
            Candidate.objects.filter(run=good).values_list(
                "stakeholder_a", "stakeholder_b", "score"
            )
        )
        == before
    )
