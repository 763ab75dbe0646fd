"""Reads of the accounts app: partner tokens, the audit of restricted reads, and who may hand out
which powers."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import Q, QuerySet

from .models import PartnerToken, RestrictedReadLog
from .roles import CLEARANCE_PERMISSION

# --- Powers that only superusers hand out ---------------------------------------------------------
#
# Clearance for restricted actors, and every permission that lets its holder hand out permissions
# (managing users, groups, permissions, or other people's second factors). A person who is not a
# superuser can neither grant these to anyone, themselves included, nor take over an account that
# holds them; superuser and staff status are likewise set by superusers only (accounts/admin.py).
POWER_PERMISSIONS = (
    CLEARANCE_PERMISSION,
    "accounts.add_user",
    "accounts.change_user",
    "accounts.delete_user",
    "auth.add_group",
    "auth.change_group",
    "auth.delete_group",
    "auth.add_permission",
    "auth.change_permission",
    "auth.delete_permission",
)
# Apps whose every permission is a power: the second factors of people (TOTP and recovery codes).
POWER_APPS = ("otp_totp", "otp_static")


def _power_permission_q(prefix: str = "") -> Q:
    condition = Q(**{f"{prefix}content_type__app_label__in": POWER_APPS})
    for dotted in POWER_PERMISSIONS:
        app_label, codename = dotted.split(".")
        condition |= Q(
            **{f"{prefix}content_type__app_label": app_label, f"{prefix}codename": codename}
        )
    return condition


def permission_grantable_by(user) -> QuerySet[Permission]:
    """The permissions ``user`` may give to a person or a group: all for superusers, otherwise
    every permission but the powers."""
    permissions = Permission.objects.select_related("content_type")
    if getattr(user, "is_superuser", False):
        return permissions
    return permissions.exclude(_power_permission_q())


def group_grantable_by(user) -> QuerySet[Group]:
    """The groups ``user`` may put people in: all for superusers, otherwise those carrying no
    power."""
    if getattr(user, "is_superuser", False):
        return Group.objects.all()
    return Group.objects.exclude(
        pk__in=Group.objects.filter(_power_permission_q("permissions__")).values("pk")
    )


def group_holds_powers(group: Group) -> bool:
    return group.permissions.filter(_power_permission_q()).exists()


def user_holds_powers(user) -> bool:
    """Is ``user`` a superuser, or do they hold a power, directly or through a group?"""
    if user.is_superuser:
        return True
    direct = user.user_permissions.filter(_power_permission_q()).exists()
    return direct or user.groups.filter(_power_permission_q("permissions__")).exists()


def token_list() -> QuerySet[PartnerToken]:
    """Every partner token, newest first, for the administrators' page."""
    return PartnerToken.objects.select_related("created_by", "revoked_by")


def token_cache_key(prefix: str) -> str:
    return f"accounts:partner-token:{prefix}"


# A fresh random value is stored here at every save or delete of any token (accounts.signals).
# A process keeps the tokens it read together with the value it read beside them; a request
# answered from that copy re-reads this key in its throttle's round trip to Redis, and is
# authenticated again from the shared cache or the database when it moved. A random value, not a
# counter: a key evicted or flushed and then set again never comes back equal to one seen.
TOKEN_REVISION_KEY = "accounts:partner-token:revision"


@dataclass(frozen=True)
class TokenRead:
    """A token looked up by its prefix. ``check`` is set when it came from this process's copy,
    which is right only while the key it names (``TOKEN_REVISION_KEY``) still holds the value it
    gives: (key, value)."""

    token: PartnerToken | None
    check: tuple[str, object] | None = None


@dataclass(frozen=True)
class _Kept:
    token: PartnerToken
    revision: object
    until: float


_kept_tokens: dict[str, _Kept] = {}
_KEPT_MAX = 10_000  # prefixes; the whole copy is dropped when more are read


def token_get_by_prefix(*, prefix: str) -> PartnerToken | None:
    return token_read(prefix=prefix).token


def token_read(*, prefix: str) -> TokenRead:
    """The token with this prefix. With a shared cache (``PARTNER_TOKEN_CACHE_SECONDS``, 30 with
    Redis, none without) from this process's copy when it has one younger than that, else from
    the shared cache, else from the database: partner systems call many times a second, and
    reading the token from Redis was one of a polled page's two round trips (issue 22). Every
    save of a token (revocation included) drops the shared copy and moves
    ``TOKEN_REVISION_KEY`` at once (``accounts.signals``), so that a copy kept by a process is
    not used again once the request's revision check has seen the move
    (``smartdiplomacy.api.throttling.PartnerTokenThrottle``)."""
    seconds = settings.PARTNER_TOKEN_CACHE_SECONDS
    if not seconds:
        return TokenRead(PartnerToken.objects.filter(prefix=prefix).first())
    kept = _kept_tokens.get(prefix)
    now = time.monotonic()
    if kept is not None and kept.until > now:
        return TokenRead(kept.token, (TOKEN_REVISION_KEY, kept.revision))
    key = token_cache_key(prefix)
    # The revision is read before the row (same round trip as the cached token): a change that
    # commits after this read moves it again, and the copy is then read afresh.
    found = cache.get_many([key, TOKEN_REVISION_KEY])
    token = found.get(key)
    if token is None:
        token = PartnerToken.objects.filter(prefix=prefix).first()
        if token is not None:
            cache.set(key, token, seconds)
    if token is not None:
        if len(_kept_tokens) >= _KEPT_MAX:
            _kept_tokens.clear()
        _kept_tokens[prefix] = _Kept(token, found.get(TOKEN_REVISION_KEY), now + seconds)
    return TokenRead(token)


def token_forget_here(prefix: str | None = None) -> None:
    """Drop this process's copy of the token with ``prefix`` (of every token without one)."""
    if prefix is None:
        _kept_tokens.clear()
    else:
        _kept_tokens.pop(prefix, None)


def restricted_read_list(*, user=None) -> QuerySet[RestrictedReadLog]:
    reads = RestrictedReadLog.objects.select_related("user")
    return reads.filter(user=user) if user is not None else reads


# --- Two-factor authentication ------------------------------------------------------------------


def two_factor_required_for(user) -> bool:
    """Must ``user`` pass a second factor (with ``TWO_FACTOR_REQUIRED`` on)?

    Those cleared for restricted actors, and administrators: superusers, staff, and anyone
    holding a power (the administrator role manages users). Read from the permissions that the
    request's clearance checks load anyway, so it costs no query of its own.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return False
    if user.is_superuser or user.is_staff:
        return True
    held = user.get_all_permissions()
    return any(permission in held for permission in POWER_PERMISSIONS) or any(
        permission.split(".")[0] in POWER_APPS for permission in held
    )


def two_factor_passed(user) -> bool:
    """Has ``user`` passed the second factor in this session, where it is required at all?

    A request's user carries ``is_verified()`` (django-otp's middleware): True once this
    session has been verified with one of the person's devices. A user object that does not
    come from a request (a background job acting for the person who queued it, a command) has
    no session to ask; such jobs are only queued by requests that were let through.
    """
    if not settings.TWO_FACTOR_REQUIRED:
        return True
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None:
        return True
    return bool(is_verified())


def two_factor_outstanding(user) -> bool:
    """Is ``user`` signed in with a password but still owes the second factor?"""
    return (
        settings.TWO_FACTOR_REQUIRED
        and getattr(user, "is_authenticated", False)
        and two_factor_required_for(user)
        and not two_factor_passed(user)
    )


def totp_device_for(user, *, confirmed: bool | None = True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("-id").first()


def recovery_codes_left(user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(
        device__user=user, device__confirmed=True, device__name=RECOVERY_DEVICE_NAME
    ).count()


RECOVERY_DEVICE_NAME = "Recovery codes"


def normalised_code(code: str) -> str:
    """A code as typed ("123 456", "ABCD-EFGH") as the devices store it."""
    return "".join((code or "").split()).replace("-", "").lower()


def second_factor_device_for_code(user, code: str, *, for_verify: bool = False):
    """The device that would check ``code``: the authenticator for 6 digits, else the recovery
    codes. ``for_verify`` locks its row (inside a transaction), as django-otp asks."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = normalised_code(code)
    if code.isdigit() and len(code) == 6:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True, name=RECOVERY_DEVICE_NAME)
    if for_verify:
        devices = devices.select_for_update()
    return devices.order_by("-id").first()
