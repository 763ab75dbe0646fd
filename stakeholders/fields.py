"""A model field holding a set of capabilities as one integer bit set.

One integer per row keeps toolboxes cheap to store, to filter (``capabilities__has=...``) and to
load as a NumPy array for the overlap job, while forms and the admin see a list of checkboxes.
"""

from django import forms
from django.core import validators
from django.db import models
from django.db.models import Lookup

from .choices import ALL_CAPABILITIES, CAPABILITY_CHOICES, Capability


def to_capability(value) -> Capability:
    if value is None or value == "":
        return Capability(0)
    if isinstance(value, Capability):
        return value
    if isinstance(value, int):
        if not 0 <= value <= ALL_CAPABILITIES:
            raise ValueError(f"{value} is not a set of known capabilities")
        return Capability(value)
    if isinstance(value, str):
        if value.isdigit():
            return to_capability(int(value))
        return Capability.from_names(part for part in value.replace(";", ",").split(",") if part)
    result = Capability(0)
    for item in value:
        result |= to_capability(item)
    return result


class CapabilitiesFormField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", CAPABILITY_CHOICES)
        kwargs["coerce"] = int
        kwargs.setdefault("required", False)
        for unused in ("max_length", "min_value", "max_value", "step_size"):
            kwargs.pop(unused, None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return [str(member.value) for member in Capability if member in Capability(value)]
        return value

    def clean(self, value):
        return to_capability(super().clean(value))

    def has_changed(self, initial, data):
        try:
            return int(to_capability(initial)) != int(to_capability(data or []))
        except ValueError:
            return True


class CapabilitiesField(models.PositiveIntegerField):
    description = "A set of capabilities (bit set)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", 0)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    @property
    def validators(self):
        return [*super().validators, validators.MaxValueValidator(ALL_CAPABILITIES)]

    def from_db_value(self, value, expression, connection):
        return None if value is None else Capability(value)

    def to_python(self, value):
        try:
            return to_capability(value)
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(str(error), code="invalid") from error

    def get_prep_value(self, value):
        if value is None:
            return None
        return int(to_capability(value))

    def value_to_string(self, obj):
        return str(int(self.value_from_object(obj)))

    def formfield(self, **kwargs):
        # Skip IntegerField.formfield: a bit set is edited as checkboxes, not as a number.
        return models.Field.formfield(self, **{"form_class": CapabilitiesFormField, **kwargs})


@CapabilitiesField.register_lookup
class HasAll(Lookup):
    """``capabilities__has=Capability.LEGAL | Capability.MEDIA_REACH``: every given bit is set."""

    lookup_name = "has"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [int(to_capability(value))]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} & {rhs}) = {rhs}", [*lhs_params, *rhs_params, *rhs_params]
