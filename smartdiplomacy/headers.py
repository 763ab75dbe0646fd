"""Response headers for every page and API answer: what browsers may do, and what they may keep.

The Content-Security-Policy itself comes from django-csp (``CONTENT_SECURITY_POLICY`` in the
settings); this middleware adds the two headers it does not cover.
"""

from django.contrib.auth.base_user import AbstractBaseUser

# Browser features no page of this application uses: off for the page and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def answered_to_a_person(request) -> bool:
    """Was this response made for a signed-in person (a session), not a partner token?"""
    user = getattr(request, "user", None)
    return isinstance(user, AbstractBaseUser) and user.is_authenticated


class SecurityHeadersMiddleware:
    """``Permissions-Policy`` everywhere; ``Cache-Control: no-store`` on everything a signed-in
    person receives (pages, exports, the API for their session) and on the sign-in pages.

    Restricted actors reach only signed-in people, so nothing they receive may stay in a browser's
    cache or a proxy's. Partner tokens see only public data, and their API answers keep their own
    validators (``ETag``, ``Last-Modified``) for conditional requests.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if answered_to_a_person(request) or request.path_info.startswith("/accounts/"):
            cache_control = response.get("Cache-Control", "")
            if "no-store" not in cache_control:
                response["Cache-Control"] = "no-store, private"
        return response
