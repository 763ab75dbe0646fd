"""The admin site: with ``TWO_FACTOR_REQUIRED`` on, its login asks for the second factor as well,
and only a session that has passed it is let in (django-otp's admin form)."""

from django.conf import settings
from django.contrib import admin
from django_otp.admin import OTPAdminAuthenticationForm

from .selectors import normalised_code, second_factor_device_for_code


class SecondFactorLoginForm(OTPAdminAuthenticationForm):
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": "Enter the code from your authenticator app, or a recovery code.",
        "invalid_token": (
            "That code is not right. Enter the 6 digits your authenticator app shows now, or "
            "one of your recovery codes."
        ),
    }

    def clean_otp_token(self):
        return normalised_code(self.cleaned_data.get("otp_token"))

    def _chosen_device(self, user):
        # One code field: the code's shape says which device checks it (no device list shown).
        return super()._chosen_device(user) or second_factor_device_for_code(
            user, self.cleaned_data.get("otp_token"), for_verify=True
        )


class SecondFactorAdminSite(admin.AdminSite):
    site_header = "smartdiplomacy administration"
    site_title = "smartdiplomacy"

    @property
    def login_form(self):
        return SecondFactorLoginForm if settings.TWO_FACTOR_REQUIRED else None

    @property
    def login_template(self):
        return "admin/login_second_factor.html" if settings.TWO_FACTOR_REQUIRED else None

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.TWO_FACTOR_REQUIRED or request.user.is_verified()
