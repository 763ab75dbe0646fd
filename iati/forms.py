from django import forms

from .jobs import MAX_UPLOAD_BYTES


class IatiUploadForm(forms.Form):
    file = forms.FileField(
        label="IATI activity file",
        help_text=(
            f"IATI activity XML (2.0x or 1.0x), at most {MAX_UPLOAD_BYTES // 1024 // 1024:,} MB. "
            "Imported in one go, or not at all if the file is broken."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml"}),
    )
