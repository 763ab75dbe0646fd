"""Thin tasks of the index: ids in, call a service, safe to repeat."""

from celery import shared_task

from .models import Engagement, Methodology
from .selectors import methodology_current


@shared_task(acks_late=True)
def engagement_rescore(engagement_id: int) -> None:
    """Score one engagement under the current published methodology (after it changed)."""
    from .services import score_compute

    engagement = Engagement.objects.filter(pk=engagement_id).first()
    methodology = methodology_current()
    if engagement is None or methodology is None:
        return
    score_compute(engagement=engagement, methodology=methodology)


@shared_task(acks_late=True)
def methodology_rescore(methodology_id: int) -> int | None:
    """Score every engagement under a methodology version (after it was published)."""
    from .services import methodology_rescore_all

    methodology = Methodology.objects.filter(pk=methodology_id).first()
    if methodology is None:
        return None
    return methodology_rescore_all(methodology=methodology)
