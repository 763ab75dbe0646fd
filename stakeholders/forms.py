"""Forms of the registry pages. They parse and check input; the services in services.py write.

Every choice that points at a stakeholder offers only stakeholders the user may see, so posting a
hidden actor's id fails exactly like posting an id that does not exist.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import timezone

from smartdiplomacy.object_views import form_service_error
from smartdiplomacy.widgets import PickerMultiple, use_picker

from .choices import IdentifierScheme, Kind, Scope, Sensitivity
from .models import Outcome, Stake, Stakeholder, Tie
from .selectors import sensitivities_visible_to, stakeholder_visible_to

# A chain of parents longer than this is certainly a mistake (and a cycle guard).
MAX_PARENT_DEPTH = 50


class UnitIntervalField(forms.FloatField):
    """A number from 0 to 1 whose errors say the allowed range."""

    def __init__(self, **kwargs):
        range_message = "Enter a number between 0 and 1 (you entered %(show_value)s)."
        kwargs.setdefault("min_value", 0.0)
        kwargs.setdefault("max_value", 1.0)
        # A slider with its value beside it (static/js/pickers.js); a number without JavaScript.
        kwargs.setdefault(
            "widget",
            forms.NumberInput(
                attrs={"type": "range", "step": "0.05", "min": "0", "max": "1",
                       "data-show-value": ""}
            ),
        )  # fmt: skip
        kwargs["error_messages"] = {
            "min_value": range_message,
            "max_value": range_message,
            "invalid": "Enter a number between 0 and 1, e.g. 0.7.",
            **kwargs.get("error_messages", {}),
        }
        super().__init__(**kwargs)


class ServiceErrorsMixin:
    """Puts every validation error, from the form or from a service, on the field it is about.

    Errors a model or service raises for a field the form does not show go to ``field_aliases``
    (e.g. an identifier scheme to its form field) or else to the form's ``stray_errors_field``,
    and only failing that to the top of the form.
    """

    stray_errors_field: str | None = None
    field_aliases: dict[str, str] = {}

    def add_error(self, field, error):
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            remapped: dict[str, list] = {}
            for key, messages in error.error_dict.items():
                remapped.setdefault(self.error_target(key), []).extend(messages)
            error = ValidationError(remapped)
        super().add_error(field, error)

    def error_target(self, key: str) -> str:
        if key in self.fields:
            return key
        if key in self.field_aliases and self.field_aliases[key] in self.fields:
            return self.field_aliases[key]
        if self.stray_errors_field in self.fields:
            return self.stray_errors_field
        return NON_FIELD_ERRORS

    def add_service_error(self, error: ValidationError) -> None:
        """Show a ValidationError raised by a service on the form (``form_service_error``)."""
        form_service_error(self, error)


def external_id_field_name(scheme: str) -> str:
    return f"external_id_{scheme}"


class TagsField(forms.CharField):
    """Tags typed comma-separated ("sahel, women-led coalition"); cleaned to a list of names."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma-separated, e.g. “sahel, women-led coalition”.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [name.strip() for name in text.split(",") if name.strip()]

    def validate(self, value):
        for name in value:
            if len(name) > 60:
                raise ValidationError(f"A tag has at most 60 characters: “{name[:60]}…”.")


def _current_tags(instance) -> list[str]:
    return [tag.name for tag in instance.tags.all()] if instance.pk else []


class StakeholderForm(ServiceErrorsMixin, forms.ModelForm):
    women_leadership_share = UnitIntervalField(
        required=False,
        label="Share of women in leadership",
        help_text="From 0 to 1, e.g. 0.6 for 60 %; leave empty when unknown.",
    )
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")
    tags = TagsField()

    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "acronym",
            "kind",
            "sensitivity",
            "country",
            "country_of_origin",
            "subnational_area",
            "latitude",
            "longitude",
            "scope",
            "parent",
            "sectors",
            "capabilities",
            "digital_presence",
            "women_led",
            "women_leadership_share",
            "description",
            "website",
        ]
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "any", "min": -90, "max": 90}),
            "longitude": forms.NumberInput(attrs={"step": "any", "min": -180, "max": 180}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "sectors": PickerMultiple(placeholder="Type a sector's name or code…"),
        }
        labels = {"women_led": "Women-led", "subnational_area": "Area (province, region)"}
        help_texts = {
            "sectors": "Type to find a sector; pick as many as apply.",
            "kind": "Diaspora groups also need their country of origin.",
        }

    field_aliases = {scheme: external_id_field_name(scheme) for scheme in IdentifierScheme.values}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["tags"].initial = _current_tags(self.instance)
        allowed = sensitivities_visible_to(user)
        sensitivity = self.fields["sensitivity"]
        sensitivity.choices = [
            (value, label) for value, label in Sensitivity.choices if value in allowed
        ]
        if len(allowed) == 1:
            # Someone who is not cleared could otherwise record an actor they then cannot see.
            sensitivity.help_text = "You can record public stakeholders only."
        else:
            sensitivity.help_text = (
                "Restricted and confidential stakeholders are shown only to cleared people."
            )
        parents = stakeholder_visible_to(user).only("id", "name", "acronym")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        use_picker(self.fields["parent"], search_url=reverse("stakeholders:stakeholder_search"))
        self._hidden_parent_id = None
        if self.instance.parent_id and not parents.filter(pk=self.instance.parent_id).exists():
            # The current parent is hidden from this editor: keep it unless they choose another.
            self._hidden_parent_id = self.instance.parent_id
        current_ids = {}
        if self.instance.pk:
            current_ids = dict(self.instance.external_ids.values_list("scheme", "value"))
        for scheme, label in IdentifierScheme.choices:
            self.fields[external_id_field_name(scheme)] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                initial=current_ids.get(scheme, ""),
            )
        self.fields[
            external_id_field_name(IdentifierScheme.IATI_ORG)
        ].help_text = "E.g. GB-GOV-1 or XM-DAC-41114."

    @property
    def external_id_fields(self):
        return [self[external_id_field_name(scheme)] for scheme in IdentifierScheme.values]

    @property
    def main_fields(self):
        return [field for field in self if not field.name.startswith("external_id_")]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is None and self._hidden_parent_id is not None:
            return Stakeholder.objects.get(pk=self._hidden_parent_id)
        if parent is not None and self.instance.pk:
            ancestor, depth = parent, 0
            while ancestor is not None and depth < MAX_PARENT_DEPTH:
                if ancestor.pk == self.instance.pk:
                    raise ValidationError(
                        f"{parent.name} sits under this stakeholder already; a stakeholder "
                        "cannot be its own ancestor."
                    )
                ancestor, depth = ancestor.parent, depth + 1
        return parent

    def service_fields(self) -> dict:
        """The cleaned data as keyword arguments for stakeholder_create / stakeholder_update."""
        return {
            **{name: self.cleaned_data[name] for name in self._meta.fields},
            "tags": self.cleaned_data["tags"],
        }

    def external_ids(self) -> dict[str, str]:
        return {
            scheme: self.cleaned_data.get(external_id_field_name(scheme), "")
            for scheme in IdentifierScheme.values
        }


class OutcomeForm(ServiceErrorsMixin, forms.ModelForm):
    tags = TagsField()

    class Meta:
        model = Outcome
        fields = ["title", "theme", "geography", "countries", "needed_capabilities", "description"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "countries": PickerMultiple(placeholder="Type a country…"),
        }
        help_texts = {"countries": "Type to find a country; pick as many as apply."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].initial = _current_tags(self.instance)

    def service_fields(self) -> dict:
        return {
            **{name: self.cleaned_data[name] for name in self._meta.fields},
            "tags": self.cleaned_data["tags"],
        }


class StakeForm(ServiceErrorsMixin, forms.ModelForm):
    """A stake, added from a stakeholder's page (outcome chosen) or an outcome's (actor chosen)."""

    interest = UnitIntervalField(help_text="0 (none) to 1 (vital).")
    influence = UnitIntervalField(help_text="0 (none) to 1 (decisive).")
    assessed_on = forms.DateField(
        required=False,
        label="Assessed on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The day this interest, influence and position held; today if left empty. "
        "Each change is kept as a dated assessment: the outcome's chart of support and "
        "opposition reads them.",
    )

    class Meta:
        model = Stake
        fields = [
            "stakeholder",
            "outcome",
            "interest",
            "influence",
            "position",
            "assessed_on",
            "source",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"notes": "Note"}
        help_texts = {"notes": "Why this assessment: what was seen or heard, what changed."}

    def __init__(self, *args, user, stakeholder=None, outcome=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A change is a new assessment: dated today unless the officer says otherwise.
        self.initial["assessed_on"] = timezone.localdate()
        if self.instance.pk:
            del self.fields["stakeholder"], self.fields["outcome"]
            return
        if stakeholder is not None:
            del self.fields["stakeholder"]
            self.instance.stakeholder = stakeholder
        else:
            self.fields["stakeholder"].queryset = stakeholder_visible_to(user).only(
                "id", "name", "acronym"
            )
            self.fields["stakeholder"].empty_label = "Choose a stakeholder…"
            use_picker(
                self.fields["stakeholder"], search_url=reverse("stakeholders:stakeholder_search")
            )
        if outcome is not None:
            del self.fields["outcome"]
            self.instance.outcome = outcome
        else:
            self.fields["outcome"].empty_label = "Choose an outcome…"
            use_picker(self.fields["outcome"], search_url=reverse("stakeholders:outcome_search"))
        # "Already has a stake in this outcome" belongs on whichever of the two is being chosen.
        self.stray_errors_field = "outcome" if "outcome" in self.fields else "stakeholder"

    def service_fields(self) -> dict:
        names = ["interest", "influence", "position", "source", "notes"]
        return {
            **{name: self.cleaned_data[name] for name in names},
            "assessed_on": self.cleaned_data["assessed_on"] or timezone.localdate(),
        }


class TieForm(ServiceErrorsMixin, forms.ModelForm):
    strength = UnitIntervalField(help_text="0 (nominal) to 1 (very strong).")

    class Meta:
        model = Tie
        fields = [
            "from_stakeholder",
            "kind",
            "to_stakeholder",
            "strength",
            "start_date",
            "end_date",
            "source",
            "notes",
        ]
        labels = {"from_stakeholder": "From", "to_stakeholder": "To", "kind": "Relationship"}
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"kind": "Reads from → to: “A funds B”, “A is a member of B”."}

    # Two stakeholders with a tie of this kind already: the relationship is what to change.
    stray_errors_field = "kind"

    def __init__(self, *args, user, anchor: Stakeholder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.anchor = anchor
        visible = stakeholder_visible_to(user).only("id", "name", "acronym")
        for name in ("from_stakeholder", "to_stakeholder"):
            self.fields[name].queryset = visible
            self.fields[name].empty_label = "Choose a stakeholder…"
            use_picker(self.fields[name], search_url=reverse("stakeholders:stakeholder_search"))
        if anchor is not None and not self.is_bound:
            self.initial.setdefault("from_stakeholder", anchor.pk)
        if not self.instance.pk:
            self.initial.setdefault("strength", Tie._meta.get_field("strength").default)
        self.fields["kind"].choices = [("", "Choose a relationship…"), *Tie.Kind.choices]

    def clean(self):
        cleaned = super().clean()
        ends = {cleaned.get("from_stakeholder"), cleaned.get("to_stakeholder")}
        if self.anchor is not None and None not in ends and self.anchor not in ends:
            self.add_error("to_stakeholder", f"One end of the tie must be {self.anchor.name}.")
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class StakeholderBulkForm(forms.Form):
    """Set the kind, scope or sensitivity of the stakeholders ticked on the list, or delete them.

    The ticked ids are looked up among what the reader may see: one they may not see is refused
    exactly like a missing one."""

    ACTIONS = [
        ("kind", "Set the kind to"),
        ("scope", "Set the scope to"),
        ("sensitivity", "Set the sensitivity to"),
        ("tag_add", "Add the tags"),
        ("tag_remove", "Remove the tags"),
        ("delete", "Delete them"),
    ]

    stakeholders = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        error_messages={
            "required": "Tick at least one stakeholder in the list.",
            "invalid_choice": "One of the ticked stakeholders does not exist (any more).",
        },
    )
    action = forms.ChoiceField(choices=ACTIONS)
    kind = forms.ChoiceField(choices=Kind.choices, required=False)
    scope = forms.ChoiceField(choices=Scope.choices, required=False)
    sensitivity = forms.ChoiceField(choices=Sensitivity.choices, required=False)
    tags = TagsField(help_text="Comma-separated.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["stakeholders"].queryset = stakeholder_visible_to(user)
        allowed = sensitivities_visible_to(user)
        actions = list(self.ACTIONS)
        if len(allowed) == 1:
            actions = [a for a in actions if a[0] != "sensitivity"]
            del self.fields["sensitivity"]
        else:
            self.fields["sensitivity"].choices = [
                (v, label) for v, label in Sensitivity.choices if v in allowed
            ]
        if not user.has_perm("stakeholders.delete_stakeholder"):
            actions = [a for a in actions if a[0] != "delete"]
        self.fields["action"].choices = actions

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in ("tag_add", "tag_remove"):
            if not data.get("tags"):
                self.add_error("tags", "Name at least one tag.")
        elif action and action != "delete" and not data.get(action):
            self.add_error(action, "Choose the value to set.")
        return data
