"""Thin tasks of the index: ids in, call a service, safe to repeat."""

from celery import shared_task

from .models import Engagement, RescoreRun
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


# --- Webhooks -------------------------------------------------------------------------------------


@shared_task(acks_late=True)
def webhook_scores_changed(methodology_id: int, engagement_ids: list[int]) -> int:
    """Make the deliveries of these engagements' new scores to every partner endpoint."""
    from .webhooks.services import webhook_deliveries_create

    return len(
        webhook_deliveries_create(methodology_id=methodology_id, engagement_ids=engagement_ids)
    )


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver(self, delivery_id: int) -> None:
    """Post one delivery; on a temporary failure, try again after the backoff the service chose.

    The service counts attempts and gives up at its cap, so Celery's own retry limit is off.
    Run eagerly (the embedded default, no broker to wait on) the retries follow at once.
    """
    from .webhooks.services import webhook_delivery_attempt

    retry_in = webhook_delivery_attempt(delivery_id=delivery_id)
    if retry_in is None:
        return
    if self.request.is_eager:
        while retry_in is not None:
            retry_in = webhook_delivery_attempt(delivery_id=delivery_id)
        return
    raise self.retry(countdown=retry_in)


# Deliveries whose own task should have run this long ago are sent again by the sweep below.
WEBHOOK_OVERDUE_GRACE_SECONDS = 300


@shared_task(acks_late=True)
def webhook_deliveries_resume() -> int:
    """Queue again the deliveries whose task was lost; a delivery already sent is left alone."""
    from datetime import timedelta

    from django.utils import timezone

    from .webhooks.selectors import webhook_deliveries_overdue

    ids = list(
        webhook_deliveries_overdue(
            now=timezone.now(), grace=timedelta(seconds=WEBHOOK_OVERDUE_GRACE_SECONDS)
        ).values_list("pk", flat=True)[:1000]
    )
    for delivery_id in ids:
        webhook_deliver.delay(delivery_id)
    return len(ids)
