"""Form widgets shared by every app: type-ahead pickers (Tom Select, static/js/pickers.js).

``Picker`` and ``PickerMultiple`` turn a select into a type-ahead box. Given ``search_url`` (a
JSON endpoint answering ``?q=`` with ``[{"id", "name", "label"}]`` for what the reader may see),
the page renders only the chosen options and the rest are fetched as one types, so a field over
tens of thousands of stakeholders stays light; validation still checks the field's whole queryset.
Given ``suggest`` too (a query of the ids worth offering before anything is typed, such as the
actors one met lately), those options come with the page and the box opens on them.

A picker closes after each choice: on a form the open list covers the fields below it, and the
next click would land on it. ``filter_picker`` makes a list page's filter a picker, and a
multi-choice one stays open for the next pick (``data-picker-keep-open``): the filters are what
lies under it, and one picks several countries or sectors in a row.
"""

from typing import TYPE_CHECKING, cast

from django import forms
from django.db.models import Q, QuerySet

# The mixin sits before a Select or SelectMultiple: type it as one, so that its attrs, choices and
# the optgroups it overrides are known.
if TYPE_CHECKING:
    _SelectBase = forms.Select
else:
    _SelectBase = object


class _PickerMixin(_SelectBase):
    def __init__(
        self,
        *args,
        search_url: str | None = None,
        placeholder: str = "",
        suggest: QuerySet | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.search_url = search_url
        self.suggest = suggest
        self.attrs.setdefault("data-picker", "")
        if search_url:
            self.attrs["data-picker-url"] = search_url
        if placeholder:
            self.attrs["data-placeholder"] = placeholder

    def optgroups(self, name, value, attrs=None):
        if not self.search_url or not hasattr(self.choices, "queryset"):
            return super().optgroups(name, value, attrs)
        # Fetched as one types: only the chosen options, the suggested ones (and the empty one)
        # are in the page, read with one query (none when nothing is chosen or suggested). The
        # suggestions are taken within the field's queryset: never what the reader may not see.
        original = self.choices
        iterator = cast(forms.models.ModelChoiceIterator, original)  # it has a queryset
        field = iterator.field
        chosen = [v for v in value if v not in ("", None)]
        wanted = Q(pk__in=chosen) if chosen else Q()
        if self.suggest is not None:
            wanted |= Q(pk__in=self.suggest)
        rows = iterator.queryset.filter(wanted) if wanted else []
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


def use_picker(
    field, *, search_url: str | None = None, placeholder: str = "", suggest: QuerySet | None = None
) -> None:
    """Give a choice field a picker, keeping its choices (a widget set after the field was
    made does not get them by itself); ``suggest``: ids offered before anything is typed."""
    widget_class = PickerMultiple if isinstance(field.widget, forms.SelectMultiple) else Picker
    field.widget = widget_class(search_url=search_url, placeholder=placeholder, suggest=suggest)
    field.widget.choices = field.choices


def filter_picker(field, *, size: int | None = None, placeholder: str = "Any") -> None:
    """Make a list page's filter (a FilterSet form's choice field) a picker; a multi-choice one
    stays open after each pick, for the next. ``size``: rows shown without JavaScript."""
    attrs: dict[str, str | int] = {"data-picker": "", "data-placeholder": placeholder}
    if isinstance(field.widget, forms.SelectMultiple):
        attrs["data-picker-keep-open"] = ""
    if size is not None:
        attrs["size"] = size
    field.widget.attrs.update(attrs)
