"""The engagement form: the engagement's facts and its participants by role.

Participant choices come from ``stakeholder_visible_to(user)``, so a hidden actor is neither
offered nor accepted (its id fails like one that does not exist).
"""

from typing import cast

from django import forms
from django.urls import reverse

from partnerships.selectors import partnership_visible_to
from smartdiplomacy.widgets import use_picker
from stakeholders.models import Outcome, Stakeholder
from stakeholders.selectors import stakeholder_visible_to

from .choices import Aggregation, ParticipantRole, Pillar
from .models import Engagement
from .scoring import FACT_FIELDS

ROLE_FIELDS = {
    ParticipantRole.CONVENER: "conveners",
    ParticipantRole.FUNDER: "funders",
    ParticipantRole.IMPLEMENTER: "implementers",
    ParticipantRole.PARTICIPANT: "other_participants",
}

UNKNOWN_YES_NO = [(None, "Unknown"), (True, "Yes"), (False, "No")]


class EngagementForm(forms.ModelForm):
    # Each queryset is set per reader in __init__ (what that person may see).
    conveners = forms.ModelMultipleChoiceField(queryset=Stakeholder.objects.none(), required=False)
    funders = forms.ModelMultipleChoiceField(queryset=Stakeholder.objects.none(), required=False)
    implementers = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(), required=False
    )
    other_participants = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(), required=False, label="Participants"
    )

    class Meta:
        model = Engagement
        fields = [
            "title",
            "kind",
            "format",
            "start_date",
            "end_date",
            "place",
            "country",
            "subnational_area",
            "latitude",
            "longitude",
            "partnership",
            "outcomes",
            *FACT_FIELDS,
        ]
        labels = {
            "digital_channels": "Online channels used",
            "realtime_reporting": "Real-time reporting",
            "marginalised_reach": "Reach to marginalised or remote people",
            "disinformation_safeguards": "Safeguards against disinformation",
            "data_protection": "Participants' data protected",
            "participants_total": "Participants (people)",
            "participants_women": "Women among participants",
            "leaders_total": "People who lead or decide",
            "leaders_women": "Women among those who lead or decide",
            "gbv_safeguards": "Gender-based-violence safeguards",
            "results_by_sex": "Results reported by sex",
            "dac_gender_marker": "OECD DAC gender-equality marker",
            "subnational_area": "Area (province, region)",
            "unscr1325_participation": "UNSCR 1325: participation",
            "unscr1325_protection": "UNSCR 1325: protection",
            "unscr1325_prevention": "UNSCR 1325: prevention",
            "unscr1325_relief_recovery": "UNSCR 1325: relief and recovery",
        }
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "any", "min": -90, "max": 90}),
            "longitude": forms.NumberInput(attrs={"step": "any", "min": -180, "max": 180}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = stakeholder_visible_to(user).order_by("name")
        search = reverse("stakeholders:stakeholder_search")
        for name in ROLE_FIELDS.values():
            cast(forms.ModelMultipleChoiceField, self.fields[name]).queryset = visible
            # Type-ahead over what this person may see; only the chosen ones are in the page.
            use_picker(self.fields[name], search_url=search)
        cast(
            forms.ModelMultipleChoiceField, self.fields["outcomes"]
        ).queryset = Outcome.objects.order_by("title")
        use_picker(self.fields["outcomes"], search_url=reverse("stakeholders:outcome_search"))
        use_picker(self.fields["country"], placeholder="Type a country…")
        cast(forms.ModelChoiceField, self.fields["partnership"]).queryset = (
            partnership_visible_to(user).prefetch_related(None).select_related(None)
        )
        for name in (
            "realtime_reporting",
            "disinformation_safeguards",
            "data_protection",
            "gbv_safeguards",
            "results_by_sex",
            "unscr1325_participation",
            "unscr1325_protection",
            "unscr1325_prevention",
            "unscr1325_relief_recovery",
        ):
            self.fields[name].widget = forms.Select(choices=UNKNOWN_YES_NO)
        for name in ("marginalised_reach", "dac_gender_marker"):
            # The blank choice means "not known", which the index keeps apart from 0.
            choice = cast(forms.ChoiceField, self.fields[name])
            # A model field's choices: a list by now (the stubs allow any choices' form).
            choice.choices = [("", "Unknown"), *list(cast(list, choice.choices))[1:]]
        for name in ("digital_channels", "participants_total", "participants_women"):
            self.fields[name].widget.attrs["min"] = 0
        if self.instance.pk:
            current = self.instance.participants.filter(stakeholder__in=visible)
            for participant in current:
                field = ROLE_FIELDS[participant.role]
                self.initial.setdefault(field, []).append(participant.stakeholder_id)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        for women, total, what in (
            ("participants_women", "participants_total", "participants"),
            ("leaders_women", "leaders_total", "those who lead or decide"),
        ):
            w, t = cleaned.get(women), cleaned.get(total)
            if w is not None and t is not None and w > t:
                self.add_error(women, f"Must be between 0 and {t}, the number of {what}.")
        seen: dict[int, str] = {}
        for role, name in ROLE_FIELDS.items():
            for stakeholder in cleaned.get(name) or ():
                if stakeholder.pk in seen:
                    self.add_error(
                        name,
                        f"{stakeholder.name} is already listed as {seen[stakeholder.pk]}; "
                        "each participant has one role.",
                    )
                seen[stakeholder.pk] = ParticipantRole(role).label.lower()
        return cleaned

    def participant_pairs(self) -> list[tuple[int, str]]:
        return [
            (stakeholder.pk, role)
            for role, name in ROLE_FIELDS.items()
            for stakeholder in self.cleaned_data.get(name) or ()
        ]

    def engagement_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "outcomes"}


class MethodologyDraftForm(forms.Form):
    """Edit an unpublished methodology version: each indicator's weight and goalposts, the pillar
    weights and the aggregation. Field names are ``weight_<code>``, ``low_<code>``, ``high_<code>``
    and ``pillar_<pillar>``."""

    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    aggregation = forms.ChoiceField(choices=Aggregation.choices)

    def __init__(self, *args, methodology, **kwargs):
        super().__init__(*args, **kwargs)
        self.methodology = methodology
        self.initial.setdefault("description", methodology.description)
        self.initial.setdefault("aggregation", methodology.aggregation)
        for pillar, label in Pillar.choices:
            self.fields[f"pillar_{pillar}"] = forms.FloatField(
                label=f"{label} pillar weight",
                min_value=0,
                initial=methodology.pillar_weights.get(pillar, 0),
            )
        for spec in methodology.indicators:
            code = spec["code"]
            low, high = spec["goalposts"]
            self.fields[f"weight_{code}"] = forms.FloatField(
                label=f"{code} weight", min_value=0, initial=spec["weight"]
            )
            self.fields[f"low_{code}"] = forms.FloatField(label=f"{code} low goalpost", initial=low)
            self.fields[f"high_{code}"] = forms.FloatField(
                label=f"{code} high goalpost", initial=high
            )

    def indicator_rows(self):
        """(spec, weight field, low field, high field) per indicator, for the template."""
        return [
            (
                spec,
                self[f"weight_{spec['code']}"],
                self[f"low_{spec['code']}"],
                self[f"high_{spec['code']}"],
            )
            for spec in self.methodology.indicators
        ]

    def pillar_fields(self):
        return [self[f"pillar_{pillar}"] for pillar in Pillar.values]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for spec in self.methodology.indicators:
            code = spec["code"]
            low, high = cleaned.get(f"low_{code}"), cleaned.get(f"high_{code}")
            if low is not None and high is not None and high <= low:
                self.add_error(
                    f"high_{code}",
                    f"{code}'s high goalpost must be above its low goalpost ({low}).",
                )
        weights = [cleaned.get(f"pillar_{pillar}") for pillar in Pillar.values]
        known = [weight for weight in weights if weight is not None]
        if len(known) == len(weights) and sum(known) <= 0:
            self.add_error(None, "At least one pillar needs a weight above 0.")
        return cleaned

    def methodology_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "aggregation": data["aggregation"],
            "pillar_weights": {pillar: data[f"pillar_{pillar}"] for pillar in Pillar.values},
            "indicators": [
                {
                    **spec,
                    "weight": data[f"weight_{spec['code']}"],
                    "goalposts": [data[f"low_{spec['code']}"], data[f"high_{spec['code']}"]],
                }
                for spec in self.methodology.indicators
            ],
        }
