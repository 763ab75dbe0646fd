"""Writes of webhooks: a partner's endpoints, the deliveries a score change queues, and one
delivery attempt (claimed, posted, recorded).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import TokenScope
from index.models import Methodology, WebhookDelivery, WebhookEndpoint
from index.webhooks import protocol
from index.webhooks.selectors import webhook_endpoints_receiving_scores, webhooks_any_active
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.services import validated_save
from smartdiplomacy.tasks import enqueue_on_commit


@dataclass(frozen=True)
class CreatedWebhookEndpoint:
    """A new endpoint with its signing secret, which is shown once, here."""

    endpoint: WebhookEndpoint
    secret: str


# Each score change is posted to every active endpoint: a partner keeps a handful, not hundreds.
WEBHOOK_ENDPOINTS_PER_TOKEN = 10


@transaction.atomic
def webhook_endpoint_create(
    *, token, url: str, description: str = "", created_by=None
) -> CreatedWebhookEndpoint:
    """Register ``url`` for ``token``'s partner; the server makes the signing secret.

    A token has at most ``WEBHOOK_ENDPOINTS_PER_TOKEN`` active endpoints, each URL once."""
    if not token.is_active:
        raise ApplicationError(
            f"Token {token.prefix} is {token.status}; endpoints need an active token.", "token"
        )
    url = (url or "").strip() if isinstance(url, str) else url
    # Serialised per token, so that two requests at once cannot both pass the checks below.
    type(token).objects.select_for_update().filter(pk=token.pk).first()
    active = WebhookEndpoint.objects.filter(token=token, active=True)
    if active.filter(url=url).exists():
        raise ApplicationError("This token already has an active endpoint at this URL.", "url")
    if active.count() >= WEBHOOK_ENDPOINTS_PER_TOKEN:
        raise ApplicationError(
            f"A token may have at most {WEBHOOK_ENDPOINTS_PER_TOKEN} active endpoints; "
            "disable one first.",
            "url",
        )
    endpoint = WebhookEndpoint(
        token=token,
        url=url,
        description=(description or "").strip(),
        secret=protocol.secret_new(),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    endpoint._history_user = endpoint.created_by  # type: ignore[attr-defined]  # simple-history
    validated_save(endpoint)
    return CreatedWebhookEndpoint(endpoint=endpoint, secret=endpoint.secret)


@transaction.atomic
def webhook_endpoint_deactivate(*, endpoint, by=None):
    """Stop deliveries to ``endpoint`` (those not yet sent fail); its log is kept."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.active:
        raise ApplicationError("This endpoint is already inactive.", "active")
    endpoint.active = False
    endpoint.deactivated_at = timezone.now()
    endpoint._history_user = by if getattr(by, "pk", None) else None
    endpoint.save(update_fields=["active", "deactivated_at"])
    return endpoint


def webhooks_queue_scores(*, engagement_ids, methodology: Methodology) -> None:
    """After the current transaction commits, send these engagements' scores to partner endpoints.

    Costs one query per call, and no task at all, while no endpoint is active.
    """
    ids = sorted(set(engagement_ids))
    if not ids:
        return

    def dispatch():
        from index.tasks import webhook_scores_changed

        if webhooks_any_active():
            webhook_scores_changed.apply_async(args=(methodology.pk, ids))

    transaction.on_commit(dispatch)


def _token_request(token):
    """A request as ``token`` makes to /api/v1/scores/: scores serialized as the token sees them."""
    from django.http import HttpRequest
    from rest_framework.request import Request

    from accounts.tokens import PartnerPrincipal

    hosts = [host for host in settings.ALLOWED_HOSTS if host and "*" not in host]
    http_request = HttpRequest()
    http_request.method = "GET"
    http_request.path = http_request.path_info = "/api/v1/scores/"
    http_request.META = {
        "SERVER_NAME": (hosts or ["localhost"])[0].lstrip("."),
        "SERVER_PORT": "443",
    }
    request = Request(http_request, authenticators=())
    request.user = PartnerPrincipal(token)
    request.auth = token
    return request


@transaction.atomic
def webhook_deliveries_create(*, methodology_id: int, engagement_ids) -> list:
    """Deliveries of these scores to every endpoint that may receive them, then queue the posts.

    Each endpoint gets the scores as its token reads them through the API (computed over public
    participants, nothing naming an actor), in posts of at most ``SCORES_PER_DELIVERY``.
    """
    from index.representations import score_rows
    from index.selectors import score_values_visible_to
    from index.tasks import webhook_deliver

    endpoints = webhook_endpoints_receiving_scores()
    if not endpoints:
        return []
    created_at = timezone.now().isoformat()
    deliveries = []
    by_token: dict[int, list[dict]] = {}
    for endpoint in endpoints:
        token = endpoint.token
        if token.pk not in by_token:
            request = _token_request(token)
            scores = (
                score_values_visible_to(request.user)
                .filter(methodology_id=methodology_id, engagement_id__in=list(engagement_ids))
                .order_by("engagement_id")
            )
            by_token[token.pk] = score_rows(scores, user=request.user)
        for batch in protocol.score_batches(list(by_token[token.pk])):
            deliveries.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    event=protocol.SCORES_UPDATED,
                    payload={
                        "event": protocol.SCORES_UPDATED,
                        "created_at": created_at,
                        "scores": batch,
                    },
                    score_count=len(batch),
                )
            )
    deliveries = WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        enqueue_on_commit(webhook_deliver, delivery.pk)
    return deliveries


# A worker that dies mid-post leaves its delivery claimed; after this long another may take it.
DELIVERY_CLAIM_SECONDS = 60


def _delivery_refused(delivery) -> str:
    """Why ``delivery`` may no longer be sent, or "" if it may."""
    endpoint, token = delivery.endpoint, delivery.endpoint.token
    if not endpoint.active:
        return "The endpoint was deactivated before this delivery was sent."
    if not token.is_active:
        return f"The partner token is {token.status}."
    if not token.has_scopes([TokenScope.SCORES_READ]):
        return "The partner token no longer has the scores:read scope."
    return ""


def _delivery_post(delivery: WebhookDelivery) -> tuple[protocol.PostResult, str]:
    """Post the delivery, signed, unless it may no longer be sent: the answer, and why it was
    refused before or by the post ("" when it was not)."""
    endpoint = delivery.endpoint
    refused = _delivery_refused(delivery)
    if refused:
        return protocol.PostResult(None, refused, refused=True), refused
    body = protocol.body_encode({"delivery": delivery.pk, **delivery.payload})
    headers = protocol.signature_headers(
        secret=endpoint.secret, body=body, delivery_id=delivery.pk, event=delivery.event
    )
    # The host is resolved and checked in the post itself, on every attempt, and the post
    # connects to the address that was checked.
    result = protocol.post(
        endpoint.url,
        body=body,
        headers=headers,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_HOSTS,
    )
    return result, result.error if result.refused else ""


def webhook_delivery_attempt(*, delivery_id: int) -> int | None:
    """Post ``delivery_id`` once and record the outcome; the seconds to wait before retrying, if so.

    Safe to repeat: a delivery already delivered or failed, or being sent by another worker, is
    left alone. Connection errors, timeouts, 429 and 5xx are retried with exponential backoff
    until ``MAX_ATTEMPTS``; any other answer fails the delivery at once.
    """
    Status = WebhookDelivery.Status
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status__in=[Status.PENDING, Status.RETRYING])
            | Q(status=Status.SENDING, claimed_until__lt=now)
        )
        .update(
            status=Status.SENDING,
            claimed_until=now + timedelta(seconds=DELIVERY_CLAIM_SECONDS),
            updated_at=now,
        )
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint__token").get(pk=delivery_id)
    result, refused = _delivery_post(delivery)
    attempt = delivery.attempts + (0 if refused else 1)
    finished = timezone.now()
    retry_in = None
    if refused:
        status = Status.FAILED
    elif result.delivered:
        status = Status.DELIVERED
    elif result.temporary and attempt < protocol.MAX_ATTEMPTS:
        status = Status.RETRYING
        retry_in = protocol.retry_delay(attempt, retry_after=result.retry_after)
    else:
        status = Status.FAILED
    delivery.attempt_log = [
        *delivery.attempt_log,
        {
            "at": finished.isoformat(),
            "status_code": result.status_code,
            "error": result.error,
            "retry_in": retry_in,
        },
    ]
    delivery.status = status
    delivery.attempts = attempt
    delivery.last_status_code = result.status_code
    delivery.error = result.error
    delivery.claimed_until = None
    delivery.next_attempt_at = finished + timedelta(seconds=retry_in) if retry_in else None
    if status == Status.DELIVERED:
        delivery.delivered_at = finished
    delivery.save(
        update_fields=[
            "attempt_log",
            "status",
            "attempts",
            "last_status_code",
            "error",
            "claimed_until",
            "next_attempt_at",
            "delivered_at",
            "updated_at",
        ]
    )
    return retry_in
