"""Pages for people who still owe their second factor, and how long a cleared session lasts."""

from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from .selectors import two_factor_outstanding

# Paths a person who still owes the second factor may open. The API answers for itself (403 in
# its error shape, smartdiplomacy.api.authentication) and the admin asks for the
# code on its own login page (accounts.admin_site).
OPEN_PREFIXES = ("/accounts/two-factor/", "/accounts/login/", "/accounts/logout/", "/api/v1/")
OPEN_PREFIXES_ALWAYS = ("/static/", "/healthz", "/admin/")


class LazyOTPMiddleware(OTPMiddleware):
    """django-otp's middleware, reading the session's device only when ``is_verified()`` is
    asked: people who need no second factor are never asked, so their requests cost no query
    for it."""

    def _verify_user_sync(self, request, user):
        user.otp_device = None
        persistent_id = (
            request.session.get(DEVICE_ID_SESSION_KEY) if user.is_authenticated else None
        )
        checked = False

        def is_verified() -> bool:
            nonlocal checked
            if persistent_id and not checked:
                checked = True
                device = self._device_from_persistent_id(persistent_id)
                user.otp_device = self._finalize_device(request, user, device)
            return user.otp_device is not None

        user.is_verified = is_verified
        return user


class TwoFactorMiddleware:
    """Send anyone who must pass a second factor, and has not in this session, to do so.

    After django-otp's ``OTPMiddleware``. Until they have, no page opens for them: they are sent
    to the verification page (or to the set-up, the first time), and come back where they were.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            settings.TWO_FACTOR_REQUIRED
            and not path.startswith(OPEN_PREFIXES + OPEN_PREFIXES_ALWAYS)
            and two_factor_outstanding(request.user)
        ):
            target = reverse("accounts:two_factor")
            return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)
