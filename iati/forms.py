from django import forms

from stakeholders.choices import Kind

from .codelists import codelist
from .jobs import MAX_UPLOAD_BYTES
from .models import KindOverride


class IatiUploadForm(forms.Form):
    file = forms.FileField(
        label="IATI activity file",
        help_text=(
            f"IATI activity XML (2.0x or 1.0x), at most {MAX_UPLOAD_BYTES // 1024 // 1024:,} MB. "
            "Imported in one go, or not at all if the file is broken."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml"}),
    )


class KindOverrideForm(forms.Form):
    scope = forms.ChoiceField(choices=KindOverride.Scope.choices, initial="organisation")
    ref = forms.CharField(
        label="IATI ref",
        max_length=200,
        help_text="The organisation's ref, or the publisher's (its reporting-org ref).",
    )
    org_type = forms.ChoiceField(
        label="Organisation type (publisher only)",
        required=False,
        choices=[("", "—")]
        + [(code, f"{code} {name}") for code, name in codelist("OrganisationType").items()],
    )
    kind = forms.ChoiceField(choices=Kind.choices)
    note = forms.CharField(max_length=300, required=False, help_text="Why, for the next reader.")
