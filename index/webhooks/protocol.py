"""Webhooks without Django: the signature scheme, the body, the post and what its outcome means.

Every delivery is a ``POST`` of a JSON body with three headers::

    X-SmartDiplomacy-Delivery:  the delivery's id (the same on every retry of that delivery)
    X-SmartDiplomacy-Timestamp: Unix seconds when this attempt was signed
    X-SmartDiplomacy-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

A receiver recomputes the HMAC over the exact bytes it received (before parsing them), compares
it in constant time, refuses timestamps more than five minutes away from its clock (so a captured
post cannot be replayed later), and treats a delivery id it has already handled as done.
``signature_verify`` below is that check, usable as it is by a Python receiver.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-SmartDiplomacy-Signature"
TIMESTAMP_HEADER = "X-SmartDiplomacy-Timestamp"
DELIVERY_HEADER = "X-SmartDiplomacy-Delivery"
EVENT_HEADER = "X-SmartDiplomacy-Event"
SIGNATURE_PREFIX = "sha256="
SIGNATURE_TOLERANCE_SECONDS = 300

SCORES_UPDATED = "scores.updated"
# Bulk rescoring sends scores in posts of at most this many, never one post per score.
SCORES_PER_DELIVERY = 100

# A slow receiver must not hold a worker: connect and read each get a few seconds.
POST_TIMEOUT_SECONDS = (3.05, 5.0)
# Attempts in all (the first and the retries), and the exponential backoff between them.
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = "smartdiplomacy-webhooks/1"


def secret_new() -> str:
    """A fresh signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def body_encode(envelope: dict) -> bytes:
    """The exact bytes posted (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature_compute(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 keyed by ``secret`` over ``b"<timestamp>." + body``."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_headers(*, secret: str, body: bytes, delivery_id: int, event: str, now=None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: str(delivery_id),
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_compute(secret, timestamp, body),
    }


def signature_verify(
    *,
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: True only for an untampered body, signed recently with ``secret``."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = now if now is not None else time.time()
    if abs(current - sent_at) > tolerance:
        return False
    expected = signature_compute(secret, sent_at, body)
    return hmac.compare_digest(expected.encode(), (signature or "").encode())


# --- Where posts may go -------------------------------------------------------------------------


def _address_is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


URL_MAX_LENGTH = 2000
URL_EXAMPLE = "https://partner.example.org/hooks/smartdiplomacy"


def webhook_url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot receive webhooks, in words for the person who typed it; None if it can.

    Private, loopback and link-local hosts are refused unless ``allow_private`` (tests, local
    development): a partner must not be able to make the server post into its own network. A
    host name is checked again, with the address actually posted to, at every post. The length
    (``URL_MAX_LENGTH``) is the fields' own check.
    """
    url = url if isinstance(url, str) else ""
    if any(
        character.isspace() or ord(character) < 32 or ord(character) == 127 for character in url
    ):
        return f"Enter a valid URL, e.g. {URL_EXAMPLE}: no spaces or line breaks."
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"Enter a valid URL, e.g. {URL_EXAMPLE}."
    if parts.scheme not in ("http", "https"):
        return f"The URL must start with http:// or https://, e.g. {URL_EXAMPLE}."
    try:
        port = parts.port
    except ValueError:
        return "The URL's port must be a number between 1 and 65535."
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return f"The URL must name a host, e.g. {URL_EXAMPLE}."
    if parts.username or parts.password:
        return "The URL must not contain a user name or password; the signature authenticates."
    if port == 0:
        return "The URL's port must be a number between 1 and 65535."
    if parts.fragment or url.endswith("#"):
        return "The URL must not contain a fragment (#…): receivers never see it."
    if allow_private:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "The URL must point to a public host, not this server or a private network."
    try:
        private = _address_is_private(host)
    except ValueError:
        return None  # a name: checked again when it is resolved, at each post
    if private:
        return "The URL must point to a public address, not a private or loopback one."
    return None


class DestinationRefused(Exception):
    """The host resolves to an address that posts may not go to; the message says which."""


def destination_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to post to: ``host`` resolved once, every address checked.

    Raises ``DestinationRefused`` if any of them is private, loopback, link-local or reserved
    (unless ``allow_private``), and ``OSError`` if the name does not resolve. The post then
    connects to these very addresses (``post``), so that a name answering a public address to
    this check and a private one to a second lookup (DNS rebinding) cannot steer it inside.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private:
        private = [address for address in addresses if _address_is_private(address)]
        if private:
            raise DestinationRefused(
                f"The URL's host {host} resolves to a private or loopback address "
                f"({', '.join(private)}); not sent."
            )
    return addresses


# --- Posting and what the outcome means ---------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    """One attempt: the HTTP status if an answer came, else the error; ``retry_after`` if asked."""

    status_code: int | None
    error: str = ""
    retry_after: int | None = None
    # Not sent at all: the host resolved to an address posts may not go to. Never retried.
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def temporary(self) -> bool:
        """Worth trying again: no answer (connection error, timeout), 429, or a 5xx."""
        if self.refused:
            return False
        if self.status_code is None:
            return True
        return self.status_code == 429 or self.status_code >= 500


def _retry_after_seconds(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the backoff alone decides


def tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's trusted authorities and the URL's host name."""
    return ssl.create_default_context()


def _open_pinned(
    address: str, port: int, connect_timeout: float, timeout: float | None
) -> socket.socket:
    sock = socket.create_connection((address, port), connect_timeout)
    sock.settimeout(timeout)
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to ``address`` for the host name it was made with (Host header)."""

    def __init__(self, host: str, port: int, *, address: str, timeouts: tuple[float, float]):
        super().__init__(host, port, timeout=timeouts[1])
        self.address, self.connect_timeout = address, timeouts[0]

    def connect(self):
        self.sock = _open_pinned(self.address, self.port, self.connect_timeout, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to ``address``; SNI and the certificate check use the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeouts: tuple[float, float]):
        self.tls = tls_context()
        super().__init__(host, port, timeout=timeouts[1], context=self.tls)
        self.address, self.connect_timeout = address, timeouts[0]

    def connect(self):
        sock = _open_pinned(self.address, self.port, self.connect_timeout, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def post(
    url: str,
    *,
    body: bytes,
    headers: dict,
    allow_private: bool = False,
    timeout=POST_TIMEOUT_SECONDS,
) -> PostResult:
    """Post ``body`` once, to the addresses the URL's host resolves to now, each checked.

    The host is resolved once for this attempt (a retry resolves and checks again), and the
    connection goes to a checked address: the Host header, TLS SNI and the certificate check
    still use the name. Redirects are not followed (the registered URL is the one trusted), and
    no proxy from the environment is used.
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = _ascii_host((parts.hostname or "").rstrip("."))
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = destination_addresses(host, port, allow_private=allow_private)
    except DestinationRefused as refused:
        return PostResult(None, str(refused), refused=True)
    except (OSError, UnicodeError) as error:
        return PostResult(None, f"Could not resolve {host}: {type(error).__name__}.")
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    failure = "Could not connect."
    for address in addresses:
        connection = connection_class(host, port, address=address, timeouts=timeout)
        try:
            try:
                connection.connect()
            except ssl.SSLCertVerificationError as problem:
                return PostResult(
                    None, f"The receiver's TLS certificate is not valid: {problem.verify_message}."
                )
            except TimeoutError:
                failure = "The receiver did not answer in time."
                continue
            except OSError as problem:
                failure = f"Could not connect: {type(problem).__name__}."
                continue
            try:
                connection.request("POST", target, body=body, headers=headers)
                response = connection.getresponse()
            except TimeoutError:
                return PostResult(None, "The receiver did not answer in time.")
            except (OSError, http.client.HTTPException) as problem:
                return PostResult(
                    None, f"Could not post: {type(problem).__name__}: {problem}"[:500]
                )
            return _result(response)
        finally:
            connection.close()
    return PostResult(None, failure)


def _result(response: http.client.HTTPResponse) -> PostResult:
    status = response.status
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    if error and response.reason:
        error += f" {response.reason}"
    retry_after = _retry_after_seconds(response.getheader("Retry-After")) if status == 429 else None
    return PostResult(status, error, retry_after)


def retry_delay(
    attempt: int,
    *,
    retry_after: int | None = None,
    base: int = BACKOFF_BASE_SECONDS,
    cap: int = BACKOFF_MAX_SECONDS,
) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): base · 2^(attempt-1).

    Capped at ``cap``; a receiver's ``Retry-After`` (with 429) lengthens it, within the cap.
    """
    delay = min(cap, base * 2 ** (attempt - 1))
    if retry_after is not None:
        delay = min(cap, max(delay, retry_after))
    return delay


def score_batches(items: list, size: int = SCORES_PER_DELIVERY) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]
