"""The second factor: set it up (authenticator app, recovery codes) and pass it at sign-in.

Views parse input and render; ``accounts.selectors`` reads and ``accounts.services`` writes.
"""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.redirects import safe_next_url

from . import services
from .selectors import recovery_codes_left, totp_device_for, two_factor_passed
from .signals import session_shorten_if_cleared


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
    )


def _next_url(request) -> str:
    return safe_next_url(request, reverse("home"))


def _passed(request, device):
    """This session has passed the second factor with ``device``: a new session key, so that a
    key seen before this point is worth nothing."""
    request.session.cycle_key()
    otp_login(request, device)
    session_shorten_if_cleared(request, request.user)


def _codes_page(request, codes: list[str], next_url: str):
    response = render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url}
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Pass the second factor: a code from the authenticator app, or a recovery code."""
    if totp_device_for(request.user) is None:
        return redirect(f"{reverse('accounts:two_factor_setup')}?next={_next_url(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            _passed(request, device)
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "next_url": _next_url(request),
            "verified": two_factor_passed(request.user) and request.user.is_verified(),
            "codes_left": recovery_codes_left(request.user),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up the authenticator app: scan the QR code (drawn here, no outside service), then
    confirm with its first code; the recovery codes are then shown once."""
    try:
        device = services.two_factor_enrol_start(user=request.user)
    except ApplicationError as error:
        messages.info(request, str(error))
        return redirect(f"{reverse('accounts:two_factor')}?next={_next_url(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_enrol_confirm(
                user=request.user, code=form.cleaned_data["code"]
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            _passed(request, device)
            return _codes_page(request, codes, _next_url(request))
    secret = device.config_url.split("secret=")[1].split("&")[0]
    response = render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(
                scale=5, dark="#1b2733", light="#ffffff", title="QR code to scan"
            ),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next_url": _next_url(request),
        },
        status=400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def recovery_codes_renew(request):
    """New recovery codes, for a person who passed the second factor in this session."""
    if not request.user.is_verified():
        return redirect(reverse("accounts:two_factor"))
    codes = services.two_factor_recovery_codes_renew(user=request.user)
    return _codes_page(request, codes, reverse("home"))
