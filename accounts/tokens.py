"""Partner tokens on the wire: parsing the header, authenticating, and who the caller then is.

A request with ``Authorization: Token <prefix>.<secret>`` (or ``Bearer``) authenticates as a
``PartnerPrincipal``: authenticated, active, and holding no permission at all. It is never cleared,
so ``stakeholder_visible_to(request.user)`` gives it the public registry only, through the very
same selector as for people; and ``has_perm()`` is always False, so model-permission checks refuse
every write. ``request.auth`` is the ``PartnerToken``.
"""

import re

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import PartnerToken
from .selectors import TokenRead, token_forget_here, token_read
from .services import token_mark_used

AUTH_KEYWORDS = (b"token", b"bearer")


class PartnerPrincipal(AnonymousUser):
    """The caller behind a partner token: signed in, but with no permission and no clearance."""

    is_active = True

    def __init__(self, token: PartnerToken):
        self.token = token

    def __str__(self) -> str:
        return f"partner token {self.token.prefix} ({self.token.partner})"

    def __eq__(self, other) -> bool:
        return isinstance(other, PartnerPrincipal) and other.token.pk == self.token.pk

    def __hash__(self) -> int:
        return hash(("partner", self.token.pk))

    @property
    def username(self) -> str:
        return f"partner:{self.token.prefix}"

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_authenticated(self) -> bool:
        return True

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perm_list, obj=None) -> bool:
        return False

    def has_module_perms(self, module) -> bool:
        return False

    def get_all_permissions(self, obj=None) -> set:
        return set()


def request_token(request) -> PartnerToken | None:
    """The partner token the request authenticated with, if it did."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, PartnerToken) else None


def token_recheck(request) -> None:
    """The request's token came from this process's copy, and a token changed since it was kept:
    authenticate the request again from the shared cache or the database (AuthenticationFailed
    if the token was revoked or has expired meanwhile). Called by the throttle, which then
    checks the view's permissions again (the token's scopes may have changed)."""
    token = request_token(request)
    if token is not None:
        token_forget_here(token.prefix)
    authenticated = PartnerTokenAuthentication().authenticate(request)
    if authenticated is None:  # cannot happen: the same header authenticated the request
        raise exceptions.AuthenticationFailed("Invalid token.")
    request.user, request.auth = authenticated


# What issued tokens look like (services.token_issue); anything else is refused before any query.
TOKEN_SHAPE = re.compile(r"(?P<prefix>[A-Za-z0-9_]{1,16})\.(?P<secret>[A-Za-z0-9_-]{1,100})")


def split_token(raw: str) -> tuple[str, str] | None:
    """``"<prefix>.<secret>"`` → ``(prefix, secret)``, or None when it has not that shape."""
    match = TOKEN_SHAPE.fullmatch(raw)
    return (match["prefix"], match["secret"]) if match else None


class PartnerTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <prefix>.<secret>`` or ``Authorization: Bearer <prefix>.<secret>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in AUTH_KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: send 'Bearer <prefix>.<secret>'."
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = self.authenticate_token(raw, request=request)
        token_mark_used(token=token)
        return PartnerPrincipal(token), token

    def authenticate_token(self, raw: str, *, request) -> PartnerToken:
        parsed = split_token(raw)
        read = token_read(prefix=parsed[0]) if parsed else TokenRead(None)
        token = read.token
        # Answered from this process's copy: the throttle checks, in its round trip to Redis,
        # that no token changed since (smartdiplomacy.api.throttling, token_recheck).
        request.partner_token_check = read.check
        # Unknown prefix and wrong secret answer alike, so the answer reveals nothing.
        if token is None or not token.secret_matches(parsed[1]):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("This token has expired.")
        return token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return f'{self.keyword} realm="api"'


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.tokens.PartnerTokenAuthentication"
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "<prefix>.<secret>",
            "description": (
                "A partner token issued by an administrator on /accounts/tokens/. Send it as "
                "`Authorization: Bearer <prefix>.<secret>` (`Token <prefix>.<secret>` works too). "
                "Tokens expire, carry scopes (`registry:read`, `scores:read`, and "
                "`webhooks:manage`, the only one that writes: a partner's own webhook endpoints), "
                "and see only the public registry."
            ),
        }
