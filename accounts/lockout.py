"""Sign-in throttling (django-axes): who is asking, and what a locked-out person is told.

django-axes counts failed sign-ins per username and address (settings: ``AXES_*``); these are the
two hooks it calls. The answer says when to try again (429 with ``Retry-After``), on the app's
login page and the admin's alike.
"""

import math
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def client_ip(request) -> str | None:
    """The address a sign-in came from: ``REMOTE_ADDR``, or, behind ``LOGIN_PROXY_COUNT``
    proxies that append to ``X-Forwarded-For``, the address the outermost of them saw."""
    proxies = getattr(settings, "LOGIN_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def retry_at(*, username: str, ip_address: str | None) -> datetime:
    """When the lock on this username from this address ends."""
    cool_off = get_cool_off()
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return (last or timezone.now()) + cool_off


def lockout_response(request, original_response=None, credentials=None):
    username = get_client_username(request, credentials) or ""
    until = retry_at(username=username, ip_address=client_ip(request))
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    response = render(
        request,
        "accounts/locked_out.html",
        {
            "username": username,
            "retry_at": until,
            "minutes": max(1, math.ceil(seconds / 60)),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
