"""Writes of the accounts app: partner tokens and the audit of restricted reads."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from smartdiplomacy.exceptions import ApplicationError

from .models import PartnerToken, RestrictedReadLog, TokenScope
from .selectors import token_cache_key

TOKEN_PREFIX_MARKER = "sd_"
# 30 random bytes are 40 URL-safe characters: 240 bits, beyond any guessing.
TOKEN_SECRET_BYTES = 30
# last_used_at is for people ("used 2 minutes ago"), so it need not cost a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued token with its plaintext, which exists only here and is shown once."""

    token: PartnerToken
    plaintext: str


def _new_prefix() -> str:
    while True:
        prefix = TOKEN_PREFIX_MARKER + secrets.token_hex(4)
        if not PartnerToken.objects.filter(prefix=prefix).exists():
            return prefix


@transaction.atomic
def token_issue(
    *,
    partner: str,
    created_by,
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Issue a token for ``partner``; read-only scopes by default, expiring in 90 days by default.

    Returns the token and its plaintext ``<prefix>.<secret>``; only the secret's hash is stored.
    """
    partner = (partner or "").strip()
    if not partner:
        raise ApplicationError("Name the partner system this token is for.", "partner")
    scopes = sorted(set(scopes)) if scopes is not None else None
    if scopes is not None:
        if not scopes:
            raise ApplicationError("Choose at least one scope.", "scopes")
        unknown = [scope for scope in scopes if scope not in TokenScope.values]
        if unknown:
            raise ApplicationError(
                f"Unknown scope {unknown[0]!r}; choose from {', '.join(TokenScope.values)}.",
                "scopes",
            )
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError("The expiry must be in the future.", "expires_at")

    secret = secrets.token_urlsafe(TOKEN_SECRET_BYTES)
    token = PartnerToken(
        partner=partner,
        prefix=_new_prefix(),
        secret_hash=PartnerToken.hash_secret(secret),
        created_by=created_by,
    )
    if scopes is not None:
        token.scopes = scopes
    if expires_at is not None:
        token.expires_at = expires_at
    token._history_user = created_by  # type: ignore[attr-defined]  # simple-history
    token.full_clean()
    token.save()
    return IssuedToken(token=token, plaintext=f"{token.prefix}.{secret}")


@transaction.atomic
def token_revoke(*, token: PartnerToken, revoked_by) -> PartnerToken:
    """Revoke ``token`` at once; it answers 401 from the next request on."""
    token = PartnerToken.objects.select_for_update().get(pk=token.pk)
    if token.is_revoked:
        raise ApplicationError("This token was already revoked.")
    token.revoked_at = timezone.now()
    token.revoked_by = revoked_by
    token._history_user = revoked_by  # type: ignore[attr-defined]  # simple-history
    token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def token_mark_used(*, token: PartnerToken, now: datetime | None = None) -> None:
    """Remember when ``token`` was last used, to the minute, without a history row."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        # The cached copy still holds the old time: drop it (not replace it, which could put
        # back a copy older than a revocation saved meanwhile); the next request reads the row.
        cache.delete(token_cache_key(token.prefix))


def restricted_read_record(
    *, user, method: str, path: str, stakeholder_ids: Iterable[int]
) -> RestrictedReadLog | None:
    """Record that ``user`` read the restricted ``stakeholder_ids`` through the API."""
    ids = sorted(set(stakeholder_ids))
    if not ids:
        return None
    return RestrictedReadLog.objects.create(
        user=user, method=method, path=path[:2000], stakeholder_ids=ids
    )


# --- Two-factor authentication ------------------------------------------------------------------
#
# A person's second factor is a TOTP authenticator app (django-otp's TOTPDevice) plus ten recovery
# codes (a StaticDevice whose tokens are each used once). Enrolment makes an unconfirmed TOTP
# device, confirms it with a first code, and makes the recovery codes, which are shown once.

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"


def two_factor_enrol_start(*, user):
    """The person's unconfirmed authenticator device, made if need be (its secret is shown to
    them to scan). Refused if they already have a confirmed one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .selectors import totp_device_for

    if totp_device_for(user) is not None:
        raise ApplicationError(
            "Two-factor authentication is already set up; an administrator can reset it."
        )
    device = totp_device_for(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(*, user) -> list[str]:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from .selectors import RECOVERY_DEVICE_NAME

    StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_enrol_confirm(*, user, code: str):
    """Confirm the person's new authenticator with a code it shows; returns ``(device, codes)``
    where ``codes`` are the recovery codes, to be shown this once."""
    from .selectors import normalised_code, totp_device_for

    device = totp_device_for(user, confirmed=False)
    if device is None:
        raise ApplicationError("Start the set-up again: no authenticator is waiting.", "code")
    code = normalised_code(code)
    if not code.isdigit() or not device.verify_token(code):
        raise ApplicationError(
            "That code is not right: enter the 6 digits your authenticator app shows now.", "code"
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, _new_recovery_codes(user=user)


@transaction.atomic
def two_factor_verify(*, user, code: str):
    """The device that accepts ``code`` (a current TOTP code, or an unused recovery code, which
    is used up), or ``ApplicationError`` naming ``code``. Wrong codes slow the device down
    (django-otp's throttling)."""
    from .selectors import normalised_code, second_factor_device_for_code

    code = normalised_code(code)
    if not code:
        raise ApplicationError("Enter the code.", "code")
    device = second_factor_device_for_code(user, code, for_verify=True)
    if device is not None:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            wait = (details or {}).get("locked_until")
            seconds = max(1, int((wait - timezone.now()).total_seconds())) if wait else None
            raise ApplicationError(
                "Too many wrong codes: try again"
                + (f" in {seconds} seconds." if seconds else " shortly."),
                "code",
            )
        if device.verify_token(code):
            return device
    raise ApplicationError(
        "That code is not right. Enter the 6 digits your authenticator app shows now, or one of "
        "your recovery codes.",
        "code",
    )


def two_factor_recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes for a person who passed the second factor; the old ones stop working."""
    with transaction.atomic():
        return _new_recovery_codes(user=user)


@transaction.atomic
def two_factor_reset(*, user, by) -> int:
    """Remove every second factor of ``user`` (they enrol again at their next sign-in); only a
    superuser may. Returns how many devices were removed."""
    from django_otp import devices_for_user

    if not getattr(by, "is_superuser", False):
        raise ApplicationError("Only a superuser can reset someone's two-factor authentication.")
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    return removed
