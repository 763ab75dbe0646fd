"""Score webhooks: partners register URLs, score changes are posted to them signed, with retries.

Every post in these tests goes to a real HTTP receiver on 127.0.0.1 (a thread in this process).
"""

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import factory
import pytest
from django.utils import timezone

from accounts.models import PartnerToken
from accounts.services import token_issue, token_revoke
from index import services
from index.models import Score, WebhookDelivery, WebhookEndpoint
from index.webhooks import protocol
from index.webhooks import services as webhook_services
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.api.conftest import error_of, signed_in, with_token
from tests.conftest import login_verified
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/webhooks/"


# --- Factories and fixtures ---------------------------------------------------------------------


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    token = factory.LazyFunction(
        lambda: token_issue(partner="Portal", created_by=None, scopes=["scores:read"]).token
    )
    url = "https://partner.example.org/hooks"
    secret = factory.LazyFunction(protocol.secret_new)


@pytest.fixture(autouse=True)
def private_hosts_allowed(settings):
    # The receiver is on 127.0.0.1, which production refuses (see the test that says so).
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True


class Receiver:
    """A real HTTP server on 127.0.0.1 that records posts and answers with scripted statuses."""

    def __init__(self):
        self.posts: list[dict] = []
        self.statuses: list[int | tuple[int, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(
                    {"headers": dict(self.headers), "body": body, "path": self.path}
                )
                answer = receiver.statuses.pop(0) if receiver.statuses else 200
                code, headers = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sdi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _token(scopes=("scores:read", "webhooks:manage"), partner="Index portal"):
    return token_issue(partner=partner, created_by=None, scopes=list(scopes))


def _endpoint(token, url, **fields) -> tuple[WebhookEndpoint, str]:
    created = webhook_services.webhook_endpoint_create(token=token, url=url, **fields)
    return created.endpoint, created.secret


def _rescore(engagement, methodology, capture):
    with capture(execute=True):
        services.score_compute(engagement=engagement, methodology=methodology)


def _verify(post, secret) -> bool:
    return protocol.signature_verify(
        secret=secret,
        body=post["body"],
        timestamp=post["headers"][protocol.TIMESTAMP_HEADER],
        signature=post["headers"][protocol.SIGNATURE_HEADER],
    )


# --- Signature ----------------------------------------------------------------------------------


def test_a_receiver_verifies_the_signature_with_plain_hmac():
    secret = protocol.secret_new()
    body = protocol.body_encode({"delivery": 7, "scores": [{"composite": 56.1}]})
    headers = protocol.signature_headers(
        secret=secret, body=body, delivery_id=7, event="scores.updated"
    )
    timestamp = headers[protocol.TIMESTAMP_HEADER]
    # What the docs tell a receiver to do, written out without our helper.
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers[protocol.SIGNATURE_HEADER] == "sha256=" + expected.hexdigest()
    assert headers[protocol.DELIVERY_HEADER] == "7"
    ok = {"secret": secret, "body": body, "timestamp": timestamp}
    signature = headers[protocol.SIGNATURE_HEADER]
    assert protocol.signature_verify(**ok, signature=signature)
    assert not protocol.signature_verify(**{**ok, "body": body.replace(b"56.1", b"96.1")},
                                         signature=signature)  # fmt: skip
    assert not protocol.signature_verify(**{**ok, "secret": protocol.secret_new()},
                                         signature=signature)  # fmt: skip
    assert not protocol.signature_verify(**ok, signature=signature, now=int(timestamp) + 301)
    assert not protocol.signature_verify(**{**ok, "timestamp": "yesterday"}, signature=signature)


def test_backoff_doubles_up_to_its_cap_and_honours_retry_after():
    delays = [protocol.retry_delay(n) for n in range(1, 6)]
    assert delays == [protocol.BACKOFF_BASE_SECONDS * 2**i for i in range(5)]
    assert protocol.retry_delay(30) == protocol.BACKOFF_MAX_SECONDS
    assert protocol.retry_delay(1, retry_after=500) == 500
    assert protocol.retry_delay(1, retry_after=10**6) == protocol.BACKOFF_MAX_SECONDS


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://partner.example.org/x", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("https:///path", "name a host"),
        ("https://user:pw@partner.example.org/", "user name or password"),
        ("http://127.0.0.1:8000/", "public address"),
        ("http://10.1.2.3/", "public address"),
        ("http://[::1]/", "public address"),
        ("http://169.254.169.254/latest/meta-data", "public address"),
        ("http://localhost/", "public host"),
    ],
)
def test_url_problems_are_named(url, words):
    assert words in protocol.webhook_url_problem(url, allow_private=False)


def test_public_urls_pass():
    assert (
        protocol.webhook_url_problem("https://partner.example.org/h", allow_private=False) is None
    )
    assert protocol.webhook_url_problem("http://8.8.8.8/h", allow_private=False) is None


# --- Delivery, end to end -----------------------------------------------------------------------


def test_rescoring_an_engagement_posts_a_signed_body_to_the_receiver(
    v1, receiver, django_capture_on_commit_callbacks
):
    plaintext = _token().plaintext
    response = with_token(plaintext).post(API, {"url": receiver.url, "description": "Portal"})
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    engagement = EngagementFactory(title="Sana'a dialogue", digital_channels=3)

    _rescore(engagement, v1, django_capture_on_commit_callbacks)

    (post,) = receiver.posts
    assert _verify(post, secret)
    assert post["headers"]["Content-Type"] == "application/json"
    envelope = json.loads(post["body"])
    delivery = WebhookDelivery.objects.get()
    assert post["headers"][protocol.DELIVERY_HEADER] == str(delivery.pk)
    assert envelope["delivery"] == delivery.pk and envelope["event"] == "scores.updated"
    (score,) = envelope["scores"]
    assert score["engagement"] == engagement.pk
    assert score["engagement_title"] == "Sana'a dialogue"
    assert score["digital"] == pytest.approx(engagement.scores.get().digital) and score[
        "methodology"
    ] == {"id": v1.pk, "name": v1.name, "version": 1}
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.delivered_at is not None


def test_nothing_is_posted_before_the_transaction_commits(v1, receiver):
    token = _token().token
    _endpoint(token, receiver.url)
    services.score_compute(engagement=EngagementFactory(), methodology=v1)
    # The test's transaction never commits: no delivery, no post.
    assert receiver.posts == [] and not WebhookDelivery.objects.exists()


def test_a_500_is_retried_with_backoff_then_delivered(
    v1, receiver, django_capture_on_commit_callbacks
):
    _, secret = _endpoint(_token().token, receiver.url)
    receiver.statuses = [500, 502, 200]
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)

    assert len(receiver.posts) == 3
    assert all(_verify(post, secret) for post in receiver.posts)
    ids = {post["headers"][protocol.DELIVERY_HEADER] for post in receiver.posts}
    assert len(ids) == 1  # the same delivery each time: receivers can tell a retry
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 3
    waits = [attempt["retry_in"] for attempt in delivery.attempt_log]
    assert waits[0] > 0 and waits[1] == 2 * waits[0] and waits[2] is None
    assert [attempt["status_code"] for attempt in delivery.attempt_log] == [500, 502, 200]


def test_a_receiver_that_keeps_failing_is_given_up_after_the_cap(
    v1, receiver, django_capture_on_commit_callbacks
):
    _endpoint(_token().token, receiver.url)
    receiver.statuses = [503] * 50
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)

    assert len(receiver.posts) == protocol.MAX_ATTEMPTS
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == protocol.MAX_ATTEMPTS
    assert delivery.last_status_code == 503 and "503" in delivery.error
    waits = [attempt["retry_in"] for attempt in delivery.attempt_log]
    assert waits[-1] is None
    assert all(later == 2 * earlier for earlier, later in zip(waits[:-2], waits[1:-1], strict=True))


def test_on_a_worker_the_task_asks_celery_to_retry_after_the_backoff(v1, receiver, monkeypatch):
    from celery.exceptions import Retry

    from index.tasks import webhook_deliver

    _endpoint(_token().token, receiver.url)
    (delivery,) = webhook_services.webhook_deliveries_create(
        methodology_id=v1.pk,
        engagement_ids=[services.score_compute(engagement=EngagementFactory(), methodology=v1)
                        .engagement_id],
    )  # fmt: skip
    receiver.statuses = [500, 500]
    asked = []

    def retry(countdown=None, **kwargs):
        asked.append(countdown)
        return Retry(when=countdown)

    monkeypatch.setattr(webhook_deliver, "retry", retry)
    for _ in range(2):  # as a worker runs it: not eager, so Celery waits the countdown
        with pytest.raises(Retry):
            webhook_deliver(delivery.pk)
    assert asked == [protocol.retry_delay(1), protocol.retry_delay(2)]
    assert asked[1] == 2 * asked[0]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING and delivery.attempts == 2
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=asked[1] - 5)


def test_a_400_fails_at_once_without_retry(v1, receiver, django_capture_on_commit_callbacks):
    _endpoint(_token().token, receiver.url)
    receiver.statuses = [400, 200]
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)

    assert len(receiver.posts) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.attempts == 1
    assert delivery.last_status_code == 400


def test_429_is_retried_and_its_retry_after_honoured(
    v1, receiver, django_capture_on_commit_callbacks
):
    _endpoint(_token().token, receiver.url)
    receiver.statuses = [(429, {"Retry-After": "900"}), 200]
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and len(receiver.posts) == 2
    assert delivery.attempt_log[0]["retry_in"] == 900


def test_a_receiver_that_is_down_is_retried_then_failed(v1, django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port on 127.0.0.1 where nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _endpoint(_token().token, f"http://127.0.0.1:{port}/hooks")
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == protocol.MAX_ATTEMPTS and delivery.last_status_code is None
    assert "connect" in delivery.error


def test_a_delivered_delivery_is_not_sent_again(v1, receiver, django_capture_on_commit_callbacks):
    _endpoint(_token().token, receiver.url)
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    assert webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.posts) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.status == WebhookDelivery.Status.DELIVERED


def test_the_sweep_sends_deliveries_whose_task_was_lost_and_nothing_else(v1, receiver):
    from index.tasks import webhook_deliveries_resume

    endpoint, _ = _endpoint(_token().token, receiver.url)
    Status = WebhookDelivery.Status
    now = timezone.now()
    long_ago = now - timedelta(hours=1)

    def delivery(**fields):
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event="scores.updated", payload={"scores": []}, **fields
        )

    lost = [
        delivery(status=Status.PENDING),
        delivery(status=Status.RETRYING, attempts=1, next_attempt_at=long_ago),
        delivery(status=Status.SENDING, attempts=1, claimed_until=now - timedelta(seconds=1)),
    ]
    WebhookDelivery.objects.filter(pk=lost[0].pk).update(created_at=long_ago)
    left_alone = [
        delivery(status=Status.PENDING),  # its task is probably just queued
        delivery(status=Status.RETRYING, attempts=1, next_attempt_at=now + timedelta(minutes=1)),
        delivery(status=Status.SENDING, claimed_until=now + timedelta(seconds=30)),
        delivery(status=Status.DELIVERED, attempts=1),
        delivery(status=Status.FAILED, attempts=1),
    ]

    assert webhook_deliveries_resume() == 3
    posted = sorted(int(post["headers"][protocol.DELIVERY_HEADER]) for post in receiver.posts)
    assert posted == [d.pk for d in lost]
    for d in lost:
        d.refresh_from_db()
        assert d.status == Status.DELIVERED
    before = [(d.status, d.attempts) for d in left_alone]
    assert [(d.status, d.attempts) for d in map(_refreshed, left_alone)] == before


def _refreshed(instance):
    instance.refresh_from_db()
    return instance


def test_a_delivery_to_an_endpoint_disabled_meanwhile_fails_unsent(v1, receiver):
    endpoint, _ = _endpoint(_token().token, receiver.url)
    (delivery,) = webhook_services.webhook_deliveries_create(
        methodology_id=v1.pk,
        engagement_ids=[services.score_compute(engagement=EngagementFactory(), methodology=v1)
                        .engagement_id],
    )  # fmt: skip
    webhook_services.webhook_endpoint_deactivate(endpoint=endpoint)

    webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert receiver.posts == []
    assert delivery.status == WebhookDelivery.Status.FAILED and "deactivated" in delivery.error


def test_hosts_that_resolve_to_private_addresses_are_not_posted_to_in_production(
    v1, receiver, settings
):
    endpoint, _ = _endpoint(_token().token, receiver.url)
    (delivery,) = webhook_services.webhook_deliveries_create(
        methodology_id=v1.pk,
        engagement_ids=[services.score_compute(engagement=EngagementFactory(), methodology=v1)
                        .engagement_id],
    )  # fmt: skip
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert receiver.posts == [] and delivery.status == WebhookDelivery.Status.FAILED
    assert "private" in delivery.error


def test_only_active_endpoints_of_active_tokens_with_scores_read_get_deliveries(
    v1, receiver, django_capture_on_commit_callbacks
):
    receiving, _ = _endpoint(_token(partner="Receives").token, receiver.url)
    disabled, _ = _endpoint(_token(partner="Disabled").token, receiver.url + "?disabled")
    webhook_services.webhook_endpoint_deactivate(endpoint=disabled)
    revoked_token = _token(partner="Revoked").token
    revoked, _ = _endpoint(revoked_token, receiver.url + "?revoked")
    token_revoke(token=revoked_token, revoked_by=None)
    expired_token = _token(partner="Expired").token
    expired, _ = _endpoint(expired_token, receiver.url + "?expired")
    PartnerToken.objects.filter(pk=expired_token.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    no_scope, _ = _endpoint(_token(["webhooks:manage"], partner="No scope").token, receiver.url)

    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)

    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [receiving.pk]
    assert [post["headers"][protocol.DELIVERY_HEADER] for post in receiver.posts] == [
        str(WebhookDelivery.objects.get().pk)
    ]


def test_bulk_rescoring_batches_scores_per_post(v1, receiver, django_capture_on_commit_callbacks):
    _endpoint(_token().token, receiver.url)
    engagements = EngagementFactory.create_batch(230)

    with django_capture_on_commit_callbacks(execute=True):
        written = services.scores_compute_many(
            engagement_ids=[e.pk for e in engagements], methodology=v1
        )

    assert written == 230
    sizes = sorted(len(json.loads(post["body"])["scores"]) for post in receiver.posts)
    assert sizes == [30, 100, 100]
    posted = {
        s["engagement"] for post in receiver.posts for s in json.loads(post["body"])["scores"]
    }
    assert posted == {e.pk for e in engagements}


def test_the_payload_is_the_score_without_hidden_participants_and_names_none(
    v1, receiver, django_capture_on_commit_callbacks
):
    _endpoint(_token().token, receiver.url)
    engagement = EngagementFactory()
    for sensitivity in (Sensitivity.RESTRICTED, Sensitivity.PUBLIC):
        EngagementParticipantFactory(
            engagement=engagement,
            stakeholder=StakeholderFactory(
                name=f"Women Mediators {sensitivity}", kind=Kind.WOMENS_GROUP,
                sensitivity=sensitivity,
            ),
        )  # fmt: skip
    _rescore(engagement, v1, django_capture_on_commit_callbacks)

    (post,) = receiver.posts
    assert b"Women Mediators" not in post["body"]
    (score,) = json.loads(post["body"])["scores"]
    indicators = {row["code"]: row["value"] for row in score["indicators"]}
    # One participant and one women's group: the hidden one never took part, for the partner.
    assert (indicators["M1"], indicators["M2"], indicators["F3"]) == (1.0, 1.0, 1.0)
    assert "withheld" not in score["indicators"][0]


def test_a_change_only_hidden_participants_make_sends_nothing(
    v1, receiver, django_capture_on_commit_callbacks
):
    """Partners hear of a change only when what they read changed: adding or removing a hidden
    participant leaves their score as it was, so nothing is posted (as if it never happened)."""
    _endpoint(_token().token, receiver.url)
    engagement = EngagementFactory()
    EngagementParticipantFactory(engagement=engagement)
    _rescore(engagement, v1, django_capture_on_commit_callbacks)
    assert len(receiver.posts) == 1
    public = Score.objects.get(engagement=engagement, audience="public")
    hidden = EngagementParticipantFactory(
        engagement=engagement,
        stakeholder=StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL),
    )
    _rescore(engagement, v1, django_capture_on_commit_callbacks)
    assert len(receiver.posts) == 1
    again = Score.objects.get(engagement=engagement, audience="public")
    assert (again.pk, again.computed_at, again.cleared_differs) == (
        public.pk,
        public.computed_at,
        True,
    )
    assert Score.objects.filter(engagement=engagement, audience="cleared").exists()
    hidden.delete()
    _rescore(engagement, v1, django_capture_on_commit_callbacks)
    assert len(receiver.posts) == 1
    assert not Score.objects.filter(engagement=engagement, audience="cleared").exists()
    assert Score.objects.get(engagement=engagement, audience="public").cleared_differs is False


# --- The partner's API --------------------------------------------------------------------------


def test_the_secret_is_returned_once_and_never_listed(receiver):
    client = with_token(_token().plaintext)
    created = client.post(API, {"url": receiver.url})
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert WebhookEndpoint.objects.get().secret == secret
    listed = client.get(API)
    assert listed.status_code == 200
    assert secret not in listed.content.decode() and "secret" not in listed.json()["results"][0]
    assert secret not in client.get(f"{API}{created.json()['id']}/").content.decode()


def test_bad_urls_are_refused_naming_the_field(settings):
    client = with_token(_token().plaintext)
    response = client.post(API, {"url": "ftp://partner.example.org/"})
    assert response.status_code == 400
    assert "http:// or https://" in error_of(response)["fields"]["url"][0]
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    response = client.post(API, {"url": "http://192.168.1.20/hooks"})
    assert response.status_code == 400 and "url" in error_of(response)["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_partner_cannot_see_or_delete_another_partners_endpoints(receiver):
    mine = _token(partner="Mine")
    theirs = _token(partner="Theirs")
    _endpoint(mine.token, receiver.url + "?mine")
    other, _ = _endpoint(theirs.token, receiver.url + "?theirs")
    client = with_token(mine.plaintext)

    urls = [row["url"] for row in client.get(API).json()["results"]]
    assert urls == [receiver.url + "?mine"]
    assert client.get(f"{API}{other.pk}/").status_code == 404
    assert client.delete(f"{API}{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.active


def test_delete_disables_the_endpoint_and_keeps_its_log(receiver):
    issued = _token()
    endpoint, _ = _endpoint(issued.token, receiver.url)
    client = with_token(issued.plaintext)
    assert client.delete(f"{API}{endpoint.pk}/").status_code == 204
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.deactivated_at is not None
    assert client.get(f"{API}{endpoint.pk}/").json()["active"] is False
    assert endpoint.history.filter(active=False).exists()


def test_tokens_without_the_scope_and_people_are_refused(administrator):
    response = with_token(_token(["scores:read"]).plaintext).get(API)
    assert response.status_code == 403
    assert error_of(response)["message"] == "This token lacks the scope webhooks:manage."
    assert with_token(_token(["scores:read"]).plaintext).post(API, {}).status_code == 403
    assert signed_in(administrator).get(API).status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().get(API).status_code in (401, 403)


def test_the_endpoint_list_costs_the_same_queries_for_one_or_many(
    django_assert_num_queries, receiver
):
    issued = _token()
    client = with_token(issued.plaintext)
    _endpoint(issued.token, receiver.url)
    client.get(API)  # the token's last use is recorded once a minute, not on every call
    client.get(API)  # and the next request reads the token into the cache
    with django_assert_num_queries(1):  # the page
        assert len(client.get(API).json()["results"]) == 1
    WebhookEndpointFactory.create_batch(5, token=issued.token)
    with django_assert_num_queries(1):
        assert len(client.get(API).json()["results"]) == 6


def test_the_openapi_description_documents_the_signature(administrator):
    schema = signed_in(administrator).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/webhooks/" in text
    assert protocol.SIGNATURE_HEADER in text and "HMAC-SHA256" in text


# --- The administrators' pages ------------------------------------------------------------------


def test_the_delivery_log_is_shown_per_partner_to_administrators_only(
    client, v1, receiver, administrator, analyst, django_capture_on_commit_callbacks
):
    mine = _token(partner="Mine").token
    theirs = _token(partner="Theirs").token
    _endpoint(mine, receiver.url + "?mine")
    _endpoint(theirs, receiver.url + "?theirs")
    _rescore(EngagementFactory(), v1, django_capture_on_commit_callbacks)
    mine_delivery = WebhookDelivery.objects.get(endpoint__token=mine)
    theirs_delivery = WebhookDelivery.objects.get(endpoint__token=theirs)
    url = f"/index/webhooks/partners/{mine.pk}/"

    assert client.get(url).status_code == 302  # anonymous: to the login page
    login_verified(client, analyst)
    assert client.get(url).status_code == 403
    assert client.get(f"/index/webhooks/deliveries/{mine_delivery.pk}/").status_code == 403
    login_verified(client, administrator)
    page = client.get(url).content.decode()
    assert receiver.url + "?mine" in page and f"#{mine_delivery.pk}<" in page
    assert "?theirs" not in page and f"#{theirs_delivery.pk}<" not in page
    detail = client.get(f"/index/webhooks/deliveries/{mine_delivery.pk}/")
    assert detail.status_code == 200
    assert f"HTTP {mine_delivery.last_status_code}" in detail.content.decode()
    assert (
        f"/index/webhooks/partners/{mine.pk}/" in client.get("/accounts/tokens/").content.decode()
    )


def test_the_delivery_log_page_costs_the_same_queries_for_one_or_many(
    client, v1, receiver, administrator, django_assert_num_queries
):
    token = _token().token
    endpoint, _ = _endpoint(token, receiver.url)
    login_verified(client, administrator)
    url = f"/index/webhooks/partners/{token.pk}/"

    def deliveries(n):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event="scores.updated", payload={"scores": []})
            for _ in range(n)
        )

    deliveries(1)
    client.get(url)
    # (+1 since the second factor: the device the session passed the second factor with)
    with django_assert_num_queries(8) as one:
        client.get(url)
    deliveries(20)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).content.decode().count("/index/webhooks/deliveries/") == 21


def test_an_administrator_adds_an_endpoint_sees_its_secret_once_and_disables_it(
    client, administrator, receiver
):
    token = _token(partner="Portal").token
    login_verified(client, administrator)
    new = f"/index/webhooks/partners/{token.pk}/new/"
    refused = client.post(new, {"url": "gopher://partner.example.org"})
    assert refused.status_code == 200 and "http:// or https://" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()

    added = client.post(new, {"url": receiver.url, "description": "Production"})
    endpoint = WebhookEndpoint.objects.get()
    assert added.status_code == 200 and added["Cache-Control"] == "no-store"
    assert endpoint.secret in added.content.decode()
    assert endpoint.created_by == administrator and endpoint.token == token
    page = client.get(f"/index/webhooks/partners/{token.pk}/").content.decode()
    assert endpoint.secret not in page and receiver.url in page

    response = client.post(f"/index/webhooks/endpoints/{endpoint.pk}/disable/")
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.history.latest().history_user == administrator


def test_the_signature_page_explains_verification(client, analyst):
    login_verified(client, analyst)
    page = client.get("/index/webhooks/").content.decode()
    assert protocol.SIGNATURE_HEADER in page and "compare_digest" in page


def test_endpoints_of_a_revoked_token_cannot_be_added():
    issued = _token()
    token_revoke(token=issued.token, revoked_by=UserFactory())
    issued.token.refresh_from_db()
    with pytest.raises(Exception, match="revoked"):
        webhook_services.webhook_endpoint_create(
            token=issued.token, url="https://partner.example.org/h"
        )


# --- Endpoint fields are validated like every other input ---------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "https://partner.example.org/" + "a" * 2000}, "url", "at most 2000 characters"),
        ({"url": "ftp://partner.example.org/"}, "url", "http:// or https://"),
        ({"url": "https://partner.example.org/h#section"}, "url", "fragment"),
        ({"url": "https://exa mple.org/"}, "url", "e.g. https://"),
        ({"url": "https://partner.example.org/h\r\nX-Injected: 1"}, "url", "e.g. https://"),
        ({"url": "https://partner.example.org:70000/h"}, "url", "port"),
        ({"url": "https://partner.example.org/h", "description": "d" * 201}, "description", "200"),
        ({"url": "https://partner.example.org/h", "description": "a\nb"}, "description", "line"),
        ({"url": 42}, "url", "e.g. https://"),
    ],
)
def test_endpoint_fields_are_refused_naming_the_field_and_the_rule(body, field, words):
    client = with_token(_token().plaintext)
    response = client.post(API, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert list(error["fields"]) == [field], error
    assert words in error["fields"][field][0], error
    assert not WebhookEndpoint.objects.exists()


def test_the_same_url_twice_and_too_many_endpoints_are_refused(settings):
    client = with_token(_token().plaintext)
    url = "https://partner.example.org/hooks/{}"
    assert client.post(API, {"url": url.format(0)}).status_code == 201
    twice = client.post(API, {"url": url.format(0)})
    assert twice.status_code == 400 and "already" in error_of(twice)["fields"]["url"][0]
    for n in range(1, webhook_services.WEBHOOK_ENDPOINTS_PER_TOKEN):
        assert client.post(API, {"url": url.format(n)}).status_code == 201
    over = client.post(API, {"url": url.format(99)})
    assert over.status_code == 400
    assert str(webhook_services.WEBHOOK_ENDPOINTS_PER_TOKEN) in error_of(over)["fields"]["url"][0]


def test_the_administrators_form_names_the_field_and_the_rule(client, administrator):
    token = _token(partner="Portal").token
    login_verified(client, administrator)
    new = f"/index/webhooks/partners/{token.pk}/new/"
    for data, field, words in [
        ({"url": "https://partner.example.org/h#x"}, "url", "fragment"),
        ({"url": "https://partner.example.org/" + "a" * 2000}, "url", "2000"),
        ({"url": "https://partner.example.org/h", "description": "d" * 201}, "description", "200"),
    ]:
        response = client.post(new, data)
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert field in errors and words in errors[field][0], errors
    assert not WebhookEndpoint.objects.exists()


def test_the_payload_never_names_a_partnership_the_partner_may_not_see(
    v1, receiver, django_capture_on_commit_callbacks
):
    """Someone's draft, or a proposal whose visible members are too few to exist without its
    restricted one, is not named by its id in a partner's post (it is null, as in the API)."""
    from tests.partnerships.partnership_helpers import make_partnership

    _endpoint(_token().token, receiver.url)
    officer = UserFactory(roles=["program officer"], cleared=True)
    draft = make_partnership(proposer=officer)
    hidden_shaped = make_partnership(
        proposer=officer,
        reviewer=UserFactory(roles=["reviewer"], cleared=True),
        status="proposed",
        members=[
            StakeholderFactory(kind=Kind.NGO),
            StakeholderFactory(kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED),
        ],
    )
    for partnership in (draft, hidden_shaped):
        _rescore(EngagementFactory(partnership=partnership), v1, django_capture_on_commit_callbacks)
    bodies = [json.loads(post["body"]) for post in receiver.posts]
    assert len(bodies) == 2
    assert [score["partnership"] for body in bodies for score in body["scores"]] == [None, None]
    for body in receiver.posts:
        for pk in (draft.pk, hidden_shaped.pk):
            assert f'"partnership":{pk}' not in body["body"].decode()
