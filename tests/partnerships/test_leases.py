"""A run whose worker died is noticed within minutes: the leases of the steps being executed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerships import tasks
from partnerships.choices import RunPhase, RunStatus
from partnerships.models import OverlapRun, OverlapStep
from partnerships.overlap import runs
from tests.conftest import wait_for


def _running(**fields) -> OverlapRun:
    return OverlapRun.objects.create(status=RunStatus.RUNNING, phase=RunPhase.COMPUTE, **fields)


@pytest.mark.django_db(transaction=True)
def test_a_step_says_it_is_alive_while_it_runs_and_leaves_no_trace(settings):
    settings.OVERLAP_RUN_LEASE_SECONDS = 0.2
    run = _running()
    with runs.step_lease(run.pk, "comparing stakeholders (chunk 2)"):
        step = OverlapStep.objects.get(run=run)
        assert step.name == "comparing stakeholders (chunk 2)" and ":" in step.worker
        first = step.alive_at
        wait_for(lambda: OverlapStep.objects.get(pk=step.pk).alive_at > first, timeout=5)
    assert not OverlapStep.objects.exists()

    with pytest.raises(ZeroDivisionError), runs.step_lease(run.pk, "writing candidates"):
        raise ZeroDivisionError("the step failed")
    assert not OverlapStep.objects.exists()  # however the step ends


@pytest.mark.django_db
def test_a_step_silent_for_four_beats_fails_its_run_and_names_the_worker():
    run = _running()
    now = timezone.now()
    step = OverlapStep.objects.create(
        run=run, name="writing candidates", worker="host-7:4242", started_at=now, alive_at=now
    )
    # Three beats of silence (30 s each by default) are not enough.
    assert runs.overlap_runs_fail_stale(now=now + timedelta(seconds=90)) == 0
    run.refresh_from_db()
    assert run.is_active
    assert runs.overlap_runs_fail_stale(now=now + timedelta(seconds=121)) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and not run.is_active
    assert "host-7:4242 stopped while writing candidates" in run.error
    assert "previous candidates are still in place" in run.error
    assert not OverlapStep.objects.filter(pk=step.pk).exists()  # the error names the worker
    assert runs.overlap_runs_fail_stale(now=now + timedelta(hours=3)) == 0  # already ended


@pytest.mark.django_db
def test_a_run_waiting_for_a_worker_is_given_up_only_after_the_time_limit():
    run = OverlapRun.objects.create()  # queued: no step is executing, so no lease to lose
    OverlapRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(minutes=30))
    assert runs.overlap_runs_fail_stale() == 0
    later = timezone.now() + runs.stale_after()
    assert runs.overlap_runs_fail_stale(now=later) == 1
    run.refresh_from_db()
    assert "stopped making progress" in run.error


@pytest.mark.django_db
def test_the_watch_task_fails_the_runs_whose_worker_died():
    run = _running()
    long_ago = timezone.now() - timedelta(minutes=10)
    OverlapStep.objects.create(run=run, name="reading the registry", started_at=long_ago,
                               alive_at=long_ago)  # fmt: skip
    assert tasks.overlap_runs_watch.delay().get() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
