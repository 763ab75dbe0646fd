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
import ipaddress
import json
import secrets
import socket
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


def webhook_url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot receive webhooks, in words for the person who typed it; None if it can.

    Private, loopback and link-local hosts are refused unless ``allow_private`` (tests, local
    development): a partner must not be able to make the server post into its own network.
    """
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return "Enter a valid URL, e.g. https://partner.example.org/hooks/smartdiplomacy."
    if parts.scheme not in ("http", "https"):
        return "The URL must start with http:// or https://."
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "The URL must name a host, e.g. https://partner.example.org/hooks."
    if parts.username or parts.password:
        return "The URL must not contain a user name or password; the signature authenticates."
    if port == 0:
        return "The URL's port must be between 1 and 65535."
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


def host_resolves_private(url: str) -> bool:
    """True when any address the URL's host resolves to is private (checked at each post)."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return False  # the post itself will fail with a connection error and be retried
    return any(_address_is_private(info[4][0].split("%")[0]) for info in infos)


# --- Posting and what the outcome means ---------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    """One attempt: the HTTP status if an answer came, else the error; ``retry_after`` if asked."""

    status_code: int | None
    error: str = ""
    retry_after: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def temporary(self) -> bool:
        """Worth trying again: no answer (connection error, timeout), 429, or a 5xx."""
        if self.status_code is None:
            return True
        return self.status_code == 429 or self.status_code >= 500


def _retry_after_seconds(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the backoff alone decides


def post(url: str, *, body: bytes, headers: dict, timeout=POST_TIMEOUT_SECONDS) -> PostResult:
    """Post ``body`` once. Redirects are not followed (the registered URL is the one trusted)."""
    import requests

    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        return PostResult(None, "The receiver did not answer in time.")
    except requests.ConnectionError as error:
        return PostResult(None, f"Could not connect: {type(error).__name__}.")
    except requests.RequestException as error:
        return PostResult(None, f"Could not post: {type(error).__name__}: {error}"[:500])
    with response:
        error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        if error and response.reason:
            error += f" {response.reason}"
        return PostResult(
            response.status_code,
            error,
            _retry_after_seconds(response.headers.get("Retry-After"))
            if response.status_code == 429
            else None,
        )


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
