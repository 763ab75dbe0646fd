"""Reads of webhooks: a partner's own endpoints, its delivery log, who gets score changes."""

from django.db.models import Count, Q, QuerySet

from accounts.models import PartnerToken, TokenScope
from index.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, token: PartnerToken) -> QuerySet[WebhookEndpoint]:
    """The endpoints of one partner token, and no one else's."""
    return WebhookEndpoint.objects.filter(token=token).select_related("token", "created_by")


def webhook_endpoint_list_with_counts(*, token: PartnerToken) -> QuerySet[WebhookEndpoint]:
    """A token's endpoints with delivery counts by outcome, for the administrators' page."""
    Status = WebhookDelivery.Status
    return webhook_endpoint_list(token=token).annotate(
        delivered_count=Count("deliveries", filter=Q(deliveries__status=Status.DELIVERED)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=Status.FAILED)),
        waiting_count=Count(
            "deliveries",
            filter=Q(deliveries__status__in=[Status.PENDING, Status.SENDING, Status.RETRYING]),
        ),
    )


def webhook_delivery_list(*, token: PartnerToken) -> QuerySet[WebhookDelivery]:
    """The delivery log of one partner: every delivery to any of its endpoints, newest first."""
    return (
        WebhookDelivery.objects.filter(endpoint__token=token)
        .select_related("endpoint")
        .defer("payload")
        .order_by("-created_at", "-id")
    )


def webhook_endpoints_receiving_scores() -> list[WebhookEndpoint]:
    """Endpoints that get score changes: active, of a token that is active and may read scores."""
    endpoints = WebhookEndpoint.objects.filter(
        active=True, token__revoked_at__isnull=True
    ).select_related("token")
    # Scopes are a JSON list; checked here rather than with a lookup SQLite lacks.
    return [
        endpoint
        for endpoint in endpoints
        if endpoint.token.is_active and endpoint.token.has_scopes([TokenScope.SCORES_READ])
    ]


def webhooks_any_active() -> bool:
    return WebhookEndpoint.objects.filter(active=True, token__revoked_at__isnull=True).exists()


def webhook_deliveries_overdue(*, now, grace) -> QuerySet[WebhookDelivery]:
    """Deliveries whose task was lost (a worker died, a broker restarted): due for ``grace`` or
    more and still not sent, or claimed by a worker whose claim has run out."""
    Status = WebhookDelivery.Status
    return WebhookDelivery.objects.filter(
        Q(status=Status.PENDING, created_at__lt=now - grace)
        | Q(status=Status.RETRYING, next_attempt_at__lt=now - grace)
        | Q(status=Status.SENDING, claimed_until__lt=now)
    ).order_by("pk")
