"""Thin tasks of the index: ids in, call a service, safe to repeat."""

from celery import shared_task

from .models import Engagement, Methodology, RescoreRun
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


@shared_task(acks_late=True)
def rescore_run_execute(run_id: int) -> int | None:
    """Carry out a queued bulk rescoring, recording its progress on the ``RescoreRun``."""
    from .services import methodology_rescore_all

    run = RescoreRun.objects.select_related("methodology").filter(pk=run_id).first()
    if run is None or run.status == RescoreRun.Status.DONE:
        return None
    return methodology_rescore_all(methodology=run.methodology, run=run)


@shared_task(acks_late=True)
def engagements_rescore(engagement_ids: list[int]) -> int | None:
    """Score many engagements under the current published methodology (e.g. after an import)."""
    from .services import scores_compute_many

    methodology = methodology_current()
    if methodology is None:
        return None
    return scores_compute_many(engagement_ids=engagement_ids, methodology=methodology)
