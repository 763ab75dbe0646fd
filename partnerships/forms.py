"""Forms of the overlap pages. They parse and check input; services do the writing."""

from django import forms

from .overlap import Parameters

DEFAULTS = Parameters()


class DismissForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Why is this pair not worth pursuing?"}
        ),
        error_messages={"required": "Say why this pair is dismissed."},
    )


class RunStartForm(forms.Form):
    """Optional overrides of the documented defaults; the weights stay as documented."""

    top_k = forms.IntegerField(
        label="Candidates per stakeholder (K)",
        min_value=Parameters.LIMITS["top_k"][0],
        max_value=Parameters.LIMITS["top_k"][1],
        initial=DEFAULTS.top_k,
        required=False,
    )
    min_score = forms.FloatField(
        label="Minimum score",
        min_value=0.0,
        max_value=1.0,
        initial=DEFAULTS.min_score,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )

    def parameters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}
