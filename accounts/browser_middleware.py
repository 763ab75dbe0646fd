"""The browser's middleware, skipped by a partner system's token-authenticated API request.

Sessions, CSRF, the session's user, its second factor and flash messages serve people in a
browser. A request that reaches a DRF view whose first authenticator is
``PartnerTokenAuthentication``, carrying ``Authorization: Token …`` or ``Bearer …``, is answered
by that token or refused: DRF never reaches the session authenticator after it (the token
authenticator returns a principal or raises), its views are CSRF-exempt (the header is not an
ambient credential a page elsewhere could borrow), the two-factor redirect leaves ``/api/v1/``
to the API (which refuses a session owing its second factor itself), and no API view adds a
flash message. For such a request those middlewares would build lazy objects that nothing reads;
here they are not run at all (issue 22: a partner's polled page costs little more than the
middleware stack).

Everything else runs exactly as for any request: the request log and metrics, the security
headers, CSP, ``X-Frame-Options``, the history middleware (a token's writes), the sign-in
lockout, and the API's authentication, permissions, throttling and audit log. A request without
such a header, or to any other view (pages, the API's 404, session-only views), goes through
every middleware.
"""

import functools

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from rest_framework.authentication import get_authorization_header
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from .middleware import LazyOTPMiddleware, TwoFactorMiddleware
from .tokens import AUTH_KEYWORDS, PartnerTokenAuthentication

API_PREFIX = "/api/"
_DECIDED = "_partner_token_request"


def partner_token_request(request) -> bool:
    """Will this request be answered by a partner token (or refused for it) and nothing else?"""
    decided = getattr(request, _DECIDED, None)
    if decided is None:
        decided = _decide(request)
        setattr(request, _DECIDED, decided)
    return decided


def _decide(request) -> bool:
    if not request.path_info.startswith(API_PREFIX):
        return False
    # The very test PartnerTokenAuthentication makes before it answers or refuses.
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() not in AUTH_KEYWORDS:
        return False
    return _view_authenticates_token_first(request.path_info)


# What DRF's ``as_view()`` returns: its view function (an APIView's or a viewset's) inside
# ``csrf_exempt``'s wrapper, and nothing around them: a decorator around it (``login_required``
# on the API's docs) may read the session's user, so such a view runs every middleware.
_CSRF_EXEMPT_WRAPPER = APIView.as_view().__code__
_DRF_VIEWS = (
    APIView.as_view().__wrapped__.__code__,
    ViewSet.as_view({"get": "list"}).__wrapped__.__code__,
)


@functools.lru_cache(maxsize=2048)
def _view_authenticates_token_first(path: str) -> bool:
    """Does ``path`` lead to a DRF view, as DRF made it, whose first authenticator is the partner
    token's?"""
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    inner = getattr(view, "__wrapped__", None)
    if (
        view.__code__ is not _CSRF_EXEMPT_WRAPPER
        or getattr(inner, "__code__", None) not in _DRF_VIEWS
    ):
        return False
    view_class = getattr(view, "cls", None)
    # Nothing of its own before DRF authenticates (a decorated ``dispatch`` could read the
    # session's user).
    if view_class is None or view_class.dispatch is not APIView.dispatch:
        return False
    # A viewset's extra action may name its own authenticators (``@action(...)``).
    initkwargs = getattr(view, "initkwargs", None) or {}
    classes = initkwargs.get("authentication_classes", view_class.authentication_classes)
    return bool(classes) and issubclass(classes[0], PartnerTokenAuthentication)


@receiver(setting_changed)
def _urls_changed(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _view_authenticates_token_first.cache_clear()


def browser_only(middleware_class: type) -> type:
    """``middleware_class``, passed over for a partner token's API request."""

    def __call__(self, request):
        if partner_token_request(request):
            return self.get_response(request)
        return middleware_class.__call__(self, request)

    namespace = {
        "__call__": __call__,
        "__module__": __name__,
        "__doc__": f"{middleware_class.__name__}, but not for a partner token's API request.",
    }
    if hasattr(middleware_class, "process_view"):  # CSRF's check, called by Django's handler

        def process_view(self, request, view_func, view_args, view_kwargs):
            if partner_token_request(request):
                return None
            return middleware_class.process_view(self, request, view_func, view_args, view_kwargs)

        namespace["process_view"] = process_view
    return type(f"BrowserOnly{middleware_class.__name__}", (middleware_class,), namespace)


BrowserOnlySessionMiddleware = browser_only(SessionMiddleware)
BrowserOnlyCsrfViewMiddleware = browser_only(CsrfViewMiddleware)
BrowserOnlyMessageMiddleware = browser_only(MessageMiddleware)
BrowserOnlyLazyOTPMiddleware = browser_only(LazyOTPMiddleware)
BrowserOnlyTwoFactorMiddleware = browser_only(TwoFactorMiddleware)


class BrowserOnlyAuthenticationMiddleware(AuthenticationMiddleware):
    """The session's user, not read for a partner token's API request: until DRF authenticates
    the token (it then sets ``request.user`` to the token's principal), the request is anonymous
    to anything that asks, as it would be without a session."""

    def process_request(self, request):
        if partner_token_request(request):
            request.user = AnonymousUser()
            return None
        return super().process_request(request)
