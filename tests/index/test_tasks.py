"""The index's tasks: ids in, safe to repeat, quiet when the row is gone."""

import pytest

from index.models import Methodology, Score
from index.tasks import engagement_rescore, methodology_rescore
from tests.index.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_engagement_rescore_is_safe_to_repeat():
    engagement = EngagementFactory(digital_channels=1)
    engagement_rescore.delay(engagement.pk)
    engagement_rescore.delay(engagement.pk)
    assert Score.objects.filter(engagement=engagement).count() == 1


def test_tasks_return_quietly_when_the_row_is_gone():
    engagement_rescore.delay(987654)
    assert methodology_rescore.delay(987654).get() is None
    assert not Score.objects.exists()


def test_methodology_rescore_scores_every_engagement():
    EngagementFactory.create_batch(3)
    v1 = Methodology.objects.get(version=1)
    assert methodology_rescore.delay(v1.pk).get() == 3
    assert Score.objects.filter(methodology=v1).count() == 3
