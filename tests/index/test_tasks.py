"""The index's tasks: ids in, safe to repeat, quiet when the row is gone."""

import pytest

from index.models import Methodology, RescoreRun, Score
from index.tasks import engagement_rescore, rescore_run_execute
from tests.index.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_engagement_rescore_is_safe_to_repeat():
    engagement = EngagementFactory(digital_channels=1)
    engagement_rescore.delay(engagement.pk)
    engagement_rescore.delay(engagement.pk)
    assert Score.objects.filter(engagement=engagement).count() == 1


def test_tasks_return_quietly_when_the_row_is_gone():
    engagement_rescore.delay(987654)
    assert rescore_run_execute.delay(987654).get() is None
    assert not Score.objects.exists()


def test_a_rescore_run_scores_every_engagement_and_is_safe_to_repeat():
    EngagementFactory.create_batch(3)
    v1 = Methodology.objects.get(version=1)
    run = RescoreRun.objects.create(methodology=v1)
    assert rescore_run_execute.delay(run.pk).get() == 3
    assert Score.objects.filter(methodology=v1).count() == 3
    run.refresh_from_db()
    assert run.status == RescoreRun.Status.DONE
    assert rescore_run_execute.delay(run.pk).get() is None  # a finished run is not run again


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_rescores_every_engagement_and_reports_progress(start_celery_worker):
    from index.scoring import score_engagement
    from index.selectors import engagement_facts_many
    from index.tasks import rescore_run_execute
    from tests.conftest import wait_for

    engagements = [
        EngagementFactory(digital_channels=i % 4, participants_total=10, participants_women=i)
        for i in range(7)
    ]
    v1 = Methodology.objects.get(version=1)
    run = RescoreRun.objects.create(methodology=v1)
    worker = start_celery_worker(concurrency=1)
    rescore_run_execute.apply_async((run.pk,), queue=worker.queue)

    def finished():
        run.refresh_from_db()
        return not run.active

    wait_for(finished, timeout=60, message=f"rescoring never finished:\n{worker.log()}")
    assert run.status == RescoreRun.Status.DONE, run.error
    assert run.done == run.total == len(engagements) and run.percent == 100
    # What the worker wrote equals the pure scorer run here on the same facts.
    facts = engagement_facts_many([e.pk for e in engagements])
    for score in Score.objects.filter(methodology=v1):
        expected = score_engagement(facts[score.engagement_id], v1.as_dict())
        assert score.composite == expected.composite
        assert score.completeness == expected.completeness
