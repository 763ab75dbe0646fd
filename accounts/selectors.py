"""Reads of the accounts app: partner tokens, the audit of restricted reads, and who may hand out
which powers."""

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


def token_get_by_prefix(*, prefix: str) -> PartnerToken | None:
    """The token with this prefix, from the shared cache when it was read in the last
    ``PARTNER_TOKEN_CACHE_SECONDS`` (30 with Redis, none without): partner systems call many
    times a second. Every save of a token (revocation included) drops the cached copy at once
    (``accounts.signals``)."""
    seconds = settings.PARTNER_TOKEN_CACHE_SECONDS
    if not seconds:
        return PartnerToken.objects.filter(prefix=prefix).first()
    key = token_cache_key(prefix)
    token = cache.get(key)
    if token is None:
        token = PartnerToken.objects.filter(prefix=prefix).first()
        if token is not None:
            cache.set(key, token, seconds)
    return token


def restricted_read_list(*, user=None) -> QuerySet[RestrictedReadLog]:
    reads = RestrictedReadLog.objects.select_related("user")
    return reads.filter(user=user) if user is not None else reads
