"""Coalitions on real Celery workers: a task sent by id computes an outcome's coalitions, and an
overlap run finished by a worker queues every outcome's (on the worker's own queue)."""

import pytest

from partnerships.coalitions import tasks
from partnerships.models import Coalition, CoalitionComputation, OverlapRun
from partnerships.overlap.runs import overlap_parameters_clean
from partnerships.tasks import overlap_run_execute_task
from tests.conftest import wait_for
from tests.partnerships.coalition_fixtures import coalition_registry_create


@pytest.fixture
def committed_registry(transactional_db):
    # Created before the worker starts, while tasks still run in process.
    return coalition_registry_create()


def computed(outcome) -> bool:
    return CoalitionComputation.objects.filter(outcome=outcome).count() == 2


@pytest.mark.services
def test_coalitions_are_computed_by_real_workers(committed_registry, start_celery_worker):
    outcome = committed_registry.outcome
    CoalitionComputation.objects.all().delete()
    worker = start_celery_worker(concurrency=1)
    tasks.coalitions_compute_outcome.apply_async((outcome.pk,), queue=worker.queue)
    wait_for(lambda: computed(outcome), timeout=60, message=worker.log()[-3000:])
    coalition = Coalition.objects.get(audience="public")
    assert coalition.value == pytest.approx(0.706) and coalition.members.count() == 4

    # An overlap run that a worker finishes recomputes every outcome, on that worker's queue.
    CoalitionComputation.objects.all().delete()
    run = OverlapRun.objects.create(parameters=overlap_parameters_clean({}))
    overlap_run_execute_task.apply_async((run.pk,), queue=worker.queue)
    wait_for(lambda: computed(outcome), timeout=120, message=worker.log()[-3000:])
    run.refresh_from_db()
    assert run.status == OverlapRun.Status.SUCCEEDED
    assert "coalitions_compute_outcome" in worker.log()
