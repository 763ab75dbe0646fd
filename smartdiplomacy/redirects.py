"""The one safe-redirect rule: a page sends people back to the "next" address it was given, or
to where they came from, only when that address is on this site (never another host, never a
scheme-relative ``//host``), and only over https when the request came over https."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def url_is_safe(request: HttpRequest, url: str | None) -> bool:
    """``url`` leads to this site, by the request's scheme (https stays https)."""
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next_url(request: HttpRequest, default: str, *, param: str = "next") -> str:
    """The address in ``param`` (the form's, else the query string's) if it is safe, else
    ``default``."""
    candidate = request.POST.get(param) or request.GET.get(param) or ""
    return candidate if url_is_safe(request, candidate) else default


def safe_referer(request: HttpRequest, default: str | None = None) -> str | None:
    """The page the browser says it came from (``Referer``) if it is safe, else ``default``."""
    referer = request.META.get("HTTP_REFERER", "")
    return referer if url_is_safe(request, referer) else default
