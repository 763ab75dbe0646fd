"""The short "log an interaction" form (with an optional follow-up), the follow-up and owner
forms. Choices come from what the person may see; the services check again."""

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from partnerships.selectors import partnership_visible_to
from smartdiplomacy.widgets import use_picker
from stakeholders.models import Outcome
from stakeholders.selectors import stakeholder_visible_to

from . import salience
from .choices import InteractionKind, Sentiment
from .models import Interaction
from .selectors import stakeholders_met_lately


def _people():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=InteractionKind.choices, initial=InteractionKind.MEETING, widget=forms.RadioSelect
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    stakeholders = forms.ModelMultipleChoiceField(
        queryset=None, label="Their people and organisations"
    )
    our_people = PersonChoice(queryset=None, required=False, label="Our people")
    outcomes = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Outcomes touched"
    )
    sentiment = forms.TypedChoiceField(
        choices=[("", "Not judged"), *Sentiment.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="−2 hostile or a setback · −1 reluctant · 0 informational · "
        "+1 interested · +2 committed, ready to act.",
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="The first line becomes the title.",
    )
    partnership = forms.ModelChoiceField(queryset=None, required=False)
    follow_up_title = forms.CharField(max_length=200, required=False, label="Follow-up")
    follow_up_due = forms.DateField(
        required=False,
        label="Due",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    follow_up_owner = forms.ModelChoiceField(queryset=None, required=False, label="Owner")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["stakeholders"].queryset = stakeholder_visible_to(user).order_by("name")
        use_picker(
            self.fields["stakeholders"],
            search_url=reverse("stakeholders:stakeholder_search"),
            placeholder="Type a name…",
            suggest=stakeholders_met_lately(user=user),
        )
        self.fields["outcomes"].queryset = Outcome.objects.order_by("title")
        use_picker(
            self.fields["outcomes"],
            search_url=reverse("stakeholders:outcome_search"),
            placeholder="Type an outcome…",
        )
        self.fields["our_people"].queryset = _people()
        use_picker(self.fields["our_people"], placeholder="Type a colleague…")
        self.fields["follow_up_owner"].queryset = _people()
        self.fields["follow_up_owner"].label_from_instance = lambda obj: (
            obj.get_full_name() or obj.username
        )
        self.fields["partnership"].queryset = (
            partnership_visible_to(user).prefetch_related(None).select_related(None)
        )
        self.initial.setdefault("date", timezone.localdate())
        if getattr(user, "pk", None):
            self.initial.setdefault("our_people", [user.pk])
            self.initial.setdefault("follow_up_owner", user.pk)

    def clean(self):
        cleaned = super().clean()
        title, due = cleaned.get("follow_up_title"), cleaned.get("follow_up_due")
        if title and not due:
            self.add_error("follow_up_due", "Give the follow-up a due date.")
        if due and not title:
            self.add_error("follow_up_title", "Say what is to be done by that date.")
        return cleaned

    def interaction_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "date": data["date"],
            "stakeholders": list(data["stakeholders"]),
            "outcomes": list(data["outcomes"]),
            "our_people": list(data["our_people"]),
            "notes": data["notes"],
            "sentiment": data["sentiment"],
            "partnership": data["partnership"],
        }

    @classmethod
    def initial_of(cls, interaction: Interaction) -> dict:
        return {
            "kind": interaction.kind,
            "date": interaction.date,
            "stakeholders": [s.pk for s in interaction.stakeholders.all()],
            "outcomes": [o.pk for o in interaction.outcomes.all()],
            "our_people": [p.pk for p in interaction.our_people.all()],
            "notes": interaction.notes,
            "sentiment": interaction.sentiment,
            "partnership": interaction.partnership_id,
        }


class FollowUpForm(forms.Form):
    title = forms.CharField(max_length=200, label="What is to be done")
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    owner = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["owner"].label_from_instance = lambda obj: obj.get_full_name() or obj.username
        if getattr(user, "pk", None):
            self.initial.setdefault("owner", user.pk)


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="No owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["owner"].label_from_instance = lambda obj: obj.get_full_name() or obj.username


SCALE_HELP = "0 none · 1 low · 2 moderate · 3 high; present from 2."


class SalienceForm(forms.Form):
    """A quick salience assessment; the scale and the rule are in ``relationships.salience``."""

    stakeholder = forms.ModelChoiceField(queryset=None, empty_label="Choose a stakeholder…")
    outcome = forms.ModelChoiceField(queryset=None, empty_label="Choose an outcome…")
    power = forms.TypedChoiceField(
        choices=salience.SCALE, coerce=int, widget=forms.RadioSelect,
        help_text="Can it impose its will on the outcome (force, money, rules, votes)? "
        + SCALE_HELP,
    )  # fmt: skip
    legitimacy = forms.TypedChoiceField(
        choices=salience.SCALE, coerce=int, widget=forms.RadioSelect,
        help_text="Is its claim or action seen as proper and appropriate? " + SCALE_HELP,
    )  # fmt: skip
    urgency = forms.TypedChoiceField(
        choices=salience.SCALE, coerce=int, widget=forms.RadioSelect,
        help_text="Is its claim time-sensitive and critical to it? " + SCALE_HELP,
    )  # fmt: skip
    assessed_on = forms.DateField(
        label="Assessed on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the assessment rests on (optional).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("assessed_on", timezone.localdate())
        self.fields["stakeholder"].queryset = stakeholder_visible_to(user).only(
            "id", "name", "acronym"
        )
        use_picker(
            self.fields["stakeholder"], search_url=reverse("stakeholders:stakeholder_search")
        )
        self.fields["outcome"].queryset = Outcome.objects.only("id", "title")
        use_picker(self.fields["outcome"], search_url=reverse("stakeholders:outcome_search"))
