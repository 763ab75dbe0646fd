"""Forms of the accounts pages: issuing a partner token."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from .models import DEFAULT_TOKEN_LIFETIME, DEFAULT_TOKEN_SCOPES, TokenScope

# A token's lifetime is capped so that forgotten tokens die on their own.
MAX_TOKEN_LIFETIME = timedelta(days=730)


class TokenIssueForm(forms.Form):
    partner = forms.CharField(
        max_length=200,
        label="Partner system",
        help_text="Who will use this token, e.g. “UNDP data portal”. Shown on this page only.",
    )
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        initial=DEFAULT_TOKEN_SCOPES,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "What the token may do. Only webhooks:manage writes (the partner's own webhook "
            "endpoints); tokens never see restricted actors."
        ),
        error_messages={"required": "Choose at least one scope."},
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The token stops working at the end of this day (UTC); at most two years ahead.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = (timezone.now() + DEFAULT_TOKEN_LIFETIME).date()

    def clean_partner(self):
        return self.cleaned_data["partner"].strip()

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        today = timezone.now().date()
        latest = today + MAX_TOKEN_LIFETIME
        if expires_on <= today:
            raise forms.ValidationError(
                f"Choose a date in the future (after {today:%d %B %Y}).", code="past"
            )
        if expires_on > latest:
            raise forms.ValidationError(
                f"Choose a date no later than {latest:%d %B %Y} (two years from today).",
                code="too_late",
            )
        return expires_on

    @property
    def expires_at(self) -> datetime:
        end_of_day = datetime.combine(self.cleaned_data["expires_on"], time.max)
        return timezone.make_aware(end_of_day, timezone.get_fixed_timezone(0))
