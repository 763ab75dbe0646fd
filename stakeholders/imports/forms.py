from django import forms

from stakeholders.models import ImportJob

from .services import ALLOWED_EXTENSIONS, MAX_UPLOAD_BYTES


class ImportUploadForm(forms.Form):
    """Checks only what the page can say at once; the service checks it all again."""

    kind = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(
        label="File",
        help_text=(
            f"CSV (UTF-8) or XLSX, at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB. "
            "Nothing is imported until you have seen the check and confirmed."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ImportJob.Kind.choices)
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in kinds]
