from django import forms

from . import hxl
from .jobs import MAX_UPLOAD_BYTES


class ThreeWUploadForm(forms.Form):
    file = forms.FileField(
        label="3W / 4W file",
        help_text=(
            "CSV (UTF-8) or XLSX, at most "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB, with HXL hashtags (#org, #sector, #adm1…) "
            "in a row under the headers — or without: you then say what each column holds."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    source = forms.CharField(
        label="Source",
        max_length=200,
        required=False,
        help_text=(
            "Who published it, e.g. 'OCHA Nigeria 3W' (default: the file's name). The columns' "
            "mapping and the rows already imported are remembered per source."
        ),
    )


TAG_CHOICES = [("", "— not read —")] + [
    (tag, f"{tag} — {field.replace('.', ' ')}") for field, tag in hxl.TAG_OF_FIELD.items()
]


class ThreeWMappingForm(forms.Form):
    """One choice per column of an untagged file: the hashtag it holds, or nothing."""

    def __init__(self, *args, headers: list[str], proposed: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or f"Column {index + 1}",
                choices=TAG_CHOICES,
                required=False,
                initial=proposed.get(header, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{index}", "")
            for index, header in enumerate(self.headers)
            if header
        }
