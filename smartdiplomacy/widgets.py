"""Form widgets shared by every app: type-ahead pickers (Tom Select, static/js/pickers.js).

``Picker`` and ``PickerMultiple`` turn a select into a type-ahead box. Given ``search_url`` (a
JSON endpoint answering ``?q=`` with ``[{"id", "name", "label"}]`` for what the reader may see),
the page renders only the chosen options and the rest are fetched as one types, so a field over
tens of thousands of stakeholders stays light; validation still checks the field's whole queryset.
"""

from typing import TYPE_CHECKING, cast

from django import forms

# The mixin sits before a Select or SelectMultiple: type it as one, so that its attrs, choices and
# the optgroups it overrides are known.
if TYPE_CHECKING:
    _SelectBase = forms.Select
else:
    _SelectBase = object


class _PickerMixin(_SelectBase):
    def __init__(self, *args, search_url: str | None = None, placeholder: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.search_url = search_url
        self.attrs.setdefault("data-picker", "")
        if search_url:
            self.attrs["data-picker-url"] = search_url
        if placeholder:
            self.attrs["data-placeholder"] = placeholder

    def optgroups(self, name, value, attrs=None):
        if not self.search_url or not hasattr(self.choices, "queryset"):
            return super().optgroups(name, value, attrs)
        # Fetched as one types: only the chosen options (and the empty one) are in the page,
        # read with one query for what is chosen and none when nothing is.
        original = self.choices
        iterator = cast(forms.models.ModelChoiceIterator, original)  # it has a queryset
        field = iterator.field
        chosen = [v for v in value if v not in ("", None)]
        rows = iterator.queryset.filter(pk__in=chosen) if chosen else []
        self.choices = ([("", field.empty_label)] if field.empty_label is not None else []) + [
            (field.prepare_value(row), field.label_from_instance(row)) for row in rows
        ]
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = original


class Picker(_PickerMixin, forms.Select):
    pass


class PickerMultiple(_PickerMixin, forms.SelectMultiple):
    pass


def use_picker(field, *, search_url: str | None = None, placeholder: str = "") -> None:
    """Give a choice field a picker, keeping its choices (a widget set after the field was
    made does not get them by itself)."""
    widget_class = PickerMultiple if isinstance(field.widget, forms.SelectMultiple) else Picker
    field.widget = widget_class(search_url=search_url, placeholder=placeholder)
    field.widget.choices = field.choices
