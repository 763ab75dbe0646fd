"""Forms of the overlap pages. They parse and check input; services do the writing."""

from django import forms
from django.urls import reverse

from smartdiplomacy.widgets import use_picker
from stakeholders.models import Outcome, Stakeholder
from stakeholders.selectors import stakeholder_visible_to

from .models import MemberRole, Partnership
from .overlap.parameters import Parameters
from .workflow import ACTION_LABELS, COMMENT_MAX_LENGTH, MAX_MEMBERS, MIN_MEMBERS, MemberInput

DEFAULTS = Parameters()


class DismissForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Why is this pair not worth pursuing?"}
        ),
        error_messages={"required": "Say why this pair is dismissed."},
    )


class CandidateBulkForm(forms.Form):
    """What to do with the ticked pairs of the candidate list."""

    action = forms.ChoiceField(
        label="Action",
        choices=[("dismiss", "Dismiss (with a reason)"), ("restore", "Restore")],
        error_messages={"required": "Choose what to do with the ticked pairs."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Why these pairs are not worth pursuing"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "dismiss" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why these pairs are dismissed.")
        return data


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
        label="Minimum priority",
        min_value=0.0,
        max_value=1.0,
        initial=DEFAULTS.min_score,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )

    def parameters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}


# --- partnership proposals ------------------------------------------------------------------------

# Above this many visible stakeholders the member select lists only the chosen one and the live
# search (static/js/partnership_form.js) finds the rest; below it, a plain select works without JS.
FULL_SELECT_LIMIT = 400


class PartnershipForm(forms.ModelForm):
    """Title, outcomes, rationale, resources, timeline and risks of a proposal (members apart)."""

    class Meta:
        model = Partnership
        fields = [
            "title", "outcomes", "rationale", "resources", "start_date", "end_date", "risks",
            "do_no_harm",
        ]  # fmt: skip
        widgets = {
            "rationale": forms.Textarea(attrs={"rows": 5}),
            "resources": forms.Textarea(attrs={"rows": 3}),
            "risks": forms.Textarea(attrs={"rows": 3}),
            "do_no_harm": forms.Textarea(
                attrs={
                    "rows": 4,
                    "placeholder": "Who could be put at risk by this partnership being known or "
                    "acting — women, displaced people, local partners — and how is that "
                    "prevented?",
                }
            ),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {"title": {"required": "Give the partnership a title."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcomes"].queryset = Outcome.objects.order_by("title")
        self.fields["outcomes"].required = False
        # Type-ahead (a Ctrl-click list of hundreds of titles is unusable, on a phone above all);
        # only the chosen outcomes are in the page.
        use_picker(
            self.fields["outcomes"],
            search_url=reverse("stakeholders:outcome_search"),
            placeholder="Type an outcome…",
        )
        self.fields["rationale"].error_messages["required"] = (
            "Say why these actors, for these outcomes."
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date",
                f"The end date must be on or after the start date ({start:%Y-%m-%d}).",
            )
        return data


class MemberForm(forms.Form):
    stakeholder = forms.ModelChoiceField(
        queryset=Stakeholder.objects.none(),
        error_messages={
            # The same words for a hidden actor as for an id that does not exist.
            "invalid_choice": "That stakeholder does not exist.",
            "required": "Choose a stakeholder.",
        },
        widget=forms.Select(attrs={"class": "member-stakeholder"}),
    )
    role = forms.ChoiceField(choices=MemberRole.choices, initial=MemberRole.OTHER)
    contribution = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "What it brings from its toolbox"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        visible = stakeholder_visible_to(user).order_by("name")
        field = self.fields["stakeholder"]
        field.queryset = visible
        if visible.count() > FULL_SELECT_LIMIT:
            chosen = self["stakeholder"].value()
            shown = visible.filter(pk=chosen) if str(chosen or "").isdigit() else visible.none()
            field.widget.choices = [("", "Search…")] + [(s.pk, s.name) for s in shown]


class BaseMemberFormSet(forms.BaseFormSet):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            user=self.user,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        super().clean()
        seen = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            stakeholder = form.cleaned_data.get("stakeholder")
            if stakeholder is None:
                continue
            if stakeholder.pk in seen:
                form.add_error("stakeholder", f"{stakeholder.name} is already a member above.")
            seen[stakeholder.pk] = form
        if not any(self.errors) and len(seen) < MIN_MEMBERS:
            raise forms.ValidationError(
                f"A partnership needs at least {MIN_MEMBERS} members; this one has {len(seen)}.",
                code="too_few_forms",
            )

    def members(self) -> list[MemberInput]:
        return [
            MemberInput(
                stakeholder_id=form.cleaned_data["stakeholder"].pk,
                role=form.cleaned_data["role"],
                contribution=form.cleaned_data.get("contribution", ""),
            )
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("stakeholder")
            and not self._should_delete_form(form)
        ]


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, can_delete=True, max_num=MAX_MEMBERS
)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, label) for a, label in ACTION_LABELS.items()])
    comment = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Discussion comment (not a step)",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Everyone who may see this partnership reads comments, including people not "
        "cleared for its restricted members: do not name those here.",
        error_messages={
            "required": "Write a comment before posting it.",
            "max_length": "A comment is at most %(limit_value)d characters; this one has "
            "%(show_value)d.",
        },
    )
