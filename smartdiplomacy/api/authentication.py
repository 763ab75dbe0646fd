"""The browser session, refused to an account that still owes its second factor."""

from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from .hooks import two_factor_outstanding

# --- Authentication -----------------------------------------------------------------------------


class TwoFactorRequired(exceptions.PermissionDenied):
    default_detail = (
        "Finish signing in first: this account needs the code from its authenticator app "
        "(at /accounts/two-factor/) before the API answers its session."
    )
    default_code = "two_factor_required"


class VerifiedSessionAuthentication(SessionAuthentication):
    """The browser's session, refused (403, ``two_factor_required``) while the person still
    owes the second factor this session: with a password alone, an account that is cleared or
    administers others gets nothing from the API."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and two_factor_outstanding(result[0]):
            raise TwoFactorRequired()
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session: the same cookie as DRF's."""

    target_class = "smartdiplomacy.api.authentication.VerifiedSessionAuthentication"
