"""Where a webhook post may go: the address checked is the address connected to.

A partner's host name is resolved once per attempt; every address it resolves to is checked
against the private, loopback, link-local and reserved ranges (unless WEBHOOK_ALLOW_PRIVATE_HOSTS),
and the post connects to that checked address, keeping the name for the Host header and for TLS
(SNI and certificate). A resolver that answers a public address to the check and 127.0.0.1 to the
connection (DNS rebinding) therefore never reaches this server's loopback.

No test here sends a packet anywhere but 127.0.0.1: connections to any other address are refused
by a stand-in for ``socket.create_connection`` before they leave the process.
"""

import http.server
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from index import services
from index.models import WebhookDelivery
from index.webhooks import protocol
from index.webhooks import services as webhook_services
from tests.index.factories import EngagementFactory
from tests.index.test_webhooks import Receiver, _endpoint, _token

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"  # a global address; nothing is ever sent to it (see below)
real_getaddrinfo = socket.getaddrinfo
real_create_connection = socket.create_connection


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


class Resolver:
    """A DNS stand-in for the partner's names: each name answers the next address of its script
    (the last one again when the script is used up); every other name resolves as usual."""

    def __init__(self, monkeypatch, **scripts: list[str]):
        self.scripts = {name.replace("_", "."): list(script) for name, script in scripts.items()}
        self.asked: list[str] = []
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.scripts:
            return real_getaddrinfo(host, port, *args, **kwargs)
        self.asked.append(name)
        script = self.scripts[name]
        address = script.pop(0) if len(script) > 1 else script[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]


@pytest.fixture
def connections(monkeypatch):
    """Every address a post connects to; only 127.0.0.1 is really connected to."""
    seen: list[str] = []

    def create_connection(address, *args, **kwargs):
        seen.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError("no packet leaves this test")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


def _delivery(v1, url) -> WebhookDelivery:
    _endpoint(_token().token, url)
    engagement = services.score_compute(engagement=EngagementFactory(), methodology=v1).engagement
    (delivery,) = webhook_services.webhook_deliveries_create(
        methodology_id=v1.pk, engagement_ids=[engagement.pk]
    )
    return delivery


def test_dns_rebinding_never_reaches_the_loopback(v1, receiver, connections, monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    port = receiver.server.server_address[1]
    # Public while the URL is checked, 127.0.0.1 from the next question on.
    resolver = Resolver(monkeypatch, partner_example_org=[PUBLIC, "127.0.0.1"])
    delivery = _delivery(v1, f"http://partner.example.org:{port}/hooks")

    webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert receiver.posts == []
    assert connections == [PUBLIC]  # the checked address, and only it
    assert resolver.asked == ["partner.example.org"]  # resolved once for the attempt
    assert delivery.status == WebhookDelivery.Status.RETRYING

    # The retry resolves again and checks again: now it is the loopback, and it is refused.
    webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert receiver.posts == [] and connections == [PUBLIC]
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "private" in delivery.error and "127.0.0.1" in delivery.error


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    v1, receiver, connections, monkeypatch, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False

    def two_addresses(host, port, *args, **kwargs):
        if host != "partner.example.org":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    delivery = _delivery(v1, "http://partner.example.org/hooks")
    webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert connections == [] and delivery.status == WebhookDelivery.Status.FAILED
    assert "169.254.169.254" in delivery.error


def test_the_post_goes_to_the_resolved_address_with_the_name_as_host(
    v1, receiver, connections, monkeypatch, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    port = receiver.server.server_address[1]
    Resolver(monkeypatch, partner_test=["127.0.0.1"])
    delivery = _delivery(v1, f"http://partner.test:{port}/hooks/sdi?k=1")
    webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    (post,) = receiver.posts
    assert post["headers"]["Host"] == f"partner.test:{port}"
    assert post["path"] == "/hooks/sdi?k=1"


# --- TLS: the name is kept for SNI and for the certificate --------------------------------------


def _certificate(tmp_path, name: str):
    if not shutil.which("openssl"):
        pytest.fail("needs the openssl command to make a test certificate")
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsReceiver:
    """An HTTPS receiver on 127.0.0.1 that records the SNI name and the Host header of posts."""

    def __init__(self, cert, key):
        self.posts: list[dict] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append({"host": self.headers["Host"]})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda sock, name, ctx: receiver.server_names.append(name)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("certificate_name", "delivered"), [("partner.test", True), ("other.test", False)]
)
def test_tls_keeps_the_name_for_sni_and_the_certificate(
    v1, tmp_path, connections, monkeypatch, settings, certificate_name, delivered
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    cert, key = _certificate(tmp_path, certificate_name)
    server = TlsReceiver(cert, key)
    monkeypatch.setattr(protocol, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    Resolver(monkeypatch, partner_test=["127.0.0.1"])
    try:
        delivery = _delivery(v1, f"https://partner.test:{server.port}/hooks")
        webhook_services.webhook_delivery_attempt(delivery_id=delivery.pk)
    finally:
        server.close()
    delivery.refresh_from_db()
    assert connections == ["127.0.0.1"]
    assert server.server_names == ["partner.test"]
    if delivered:
        assert delivery.status == WebhookDelivery.Status.DELIVERED
        assert server.posts == [{"host": f"partner.test:{server.port}"}]
    else:  # a certificate for another name: nothing is posted
        assert server.posts == [] and delivery.status == WebhookDelivery.Status.RETRYING
        assert "certificate" in delivery.error
