"""Reads of the accounts app: partner tokens and the audit of restricted reads."""

from django.db.models import QuerySet

from .models import PartnerToken, RestrictedReadLog


def token_list() -> QuerySet[PartnerToken]:
    """Every partner token, newest first, for the administrators' page."""
    return PartnerToken.objects.select_related("created_by", "revoked_by")


def token_get_by_prefix(*, prefix: str) -> PartnerToken | None:
    return PartnerToken.objects.filter(prefix=prefix).first()


def restricted_read_list(*, user=None) -> QuerySet[RestrictedReadLog]:
    reads = RestrictedReadLog.objects.select_related("user")
    return reads.filter(user=user) if user is not None else reads
