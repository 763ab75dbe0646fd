"""Reads of the accounts app: partner tokens and the audit of restricted reads."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from .models import PartnerToken, RestrictedReadLog


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
