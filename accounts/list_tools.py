"""The tools every list page offers, one way: page size and columns remembered per person, the
active filters as chips that remove themselves, and saved views.

A list view calls :func:`list_tools` with its key, its columns and its bound FilterSet, then
renders ``includes/list_tools.html`` and shows a column when ``tools.shows.<key>`` is true.
Reading costs two queries (the person's preference for the list and their saved views for it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import QueryDict

from .models import ListPreference, SavedView

PAGE_SIZES = (25, 50, 100, 200)
# Parameters that are not filters: they get no chip and a saved view does not keep the page.
NOT_FILTERS = {"page", "per_page", "columns", "columns_set", "ordering", "q", "sort"}
SAVED_VIEW_LIMIT = 50


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False  # always shown (the column that links to the record)
    default: bool = True  # shown until the person chooses otherwise


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    remove_url: str


@dataclass
class ListTools:
    key: str
    columns: list[Column]
    shows: dict[str, bool]
    per_page: int
    page_sizes: tuple[int, ...]
    chips: list[Chip]
    saved_views: list[SavedView]
    query: str  # the current filters, search and sort (no page): what "save this view" keeps
    search: str = ""

    @property
    def optional_columns(self) -> list[Column]:
        return [column for column in self.columns if not column.required]

    @property
    def column_choices(self) -> list[tuple[Column, bool]]:
        return [(column, self.shows[column.key]) for column in self.optional_columns]


def _query_without(data: QueryDict, name: str, value: str | None = None) -> str:
    params = data.copy()
    params.pop("page", None)
    if value is None:
        params.pop(name, None)
    else:
        params.setlist(name, [v for v in params.getlist(name) if v != value])
    return "?" + params.urlencode()


def _display(value) -> list[str]:
    if value in (None, "", [], ()):
        return []
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return ["Yes" if value else "No"]
    return [str(value)]


def _flat_choices(choices):
    for key, text in choices:
        if isinstance(text, list | tuple):  # an optgroup
            yield from _flat_choices(text)
        else:
            yield key, text


def _chips(filterset, data: QueryDict) -> list[Chip]:
    """One chip per active filter value, from the validated form only (what the reader may see:
    a filter's choices are those of their audience, so a value they may not see never has a
    label here)."""
    form = filterset.form
    if not form.is_valid():
        return []
    chips = []
    for name, form_field in form.fields.items():
        raw = [value for value in data.getlist(name) if value]
        if name in NOT_FILTERS or not raw:
            continue
        label = str(form_field.label or name.replace("_", " ").capitalize())
        value = form.cleaned_data.get(name)
        if hasattr(form_field, "queryset"):
            # Rows (sectors, actors): the validated objects, which are those the reader may see.
            key = getattr(form_field, "to_field_name", None) or "pk"
            objects = [value] if isinstance(value, Model) else list(value or [])
            labels = {str(getattr(obj, key)): str(obj) for obj in objects}
        elif getattr(form_field, "choices", None):
            # Plain choices (kinds, scopes, countries): their labels, not their codes.
            labels = {str(key): str(text) for key, text in _flat_choices(form_field.choices)}
        else:
            labels = {raw[0]: ", ".join(_display(value))} if len(raw) == 1 else {}
        if len(raw) > 1:
            for raw_value in raw:
                text = labels.get(raw_value, raw_value)
                chips.append(Chip(label, text, _query_without(data, name, raw_value)))
        else:
            text = labels.get(raw[0]) or raw[0]
            chips.append(Chip(label, text, _query_without(data, name)))
    return chips


def _choice_from(data: QueryDict, preference: ListPreference | None, default: int) -> int:
    asked = data.get("per_page", "")
    if asked.isdigit() and int(asked) in PAGE_SIZES:
        return int(asked)
    if preference and preference.per_page in PAGE_SIZES:
        return preference.per_page
    return default


@transaction.atomic
def list_preference_set(*, user, list_key: str, per_page=None, columns=None) -> ListPreference:
    """Remember a page size or a column choice (validated: known sizes, known columns)."""
    preference, _ = ListPreference.objects.select_for_update().get_or_create(
        user=user, list_key=list_key
    )
    if per_page is not None:
        if per_page not in PAGE_SIZES:
            raise ValidationError({"per_page": f"Choose one of {', '.join(map(str, PAGE_SIZES))}."})
        preference.per_page = per_page
    if columns is not None:
        preference.columns = list(columns)
    preference.save()
    return preference


def list_tools(
    request, *, key: str, columns: list[Column], filterset=None, default_per_page: int = 50
) -> ListTools:
    data = request.GET
    user = request.user
    preference = ListPreference.objects.filter(user=user, list_key=key).first()
    per_page = _choice_from(data, preference, default_per_page)
    known = {column.key for column in columns}
    if data.get("columns_set"):
        chosen = [value for value in data.getlist("columns") if value in known]
        preference = list_preference_set(user=user, list_key=key, columns=chosen)
    asked = data.get("per_page", "")
    if (
        asked.isdigit()
        and int(asked) in PAGE_SIZES
        and (preference is None or preference.per_page != per_page)
    ):
        preference = list_preference_set(user=user, list_key=key, per_page=per_page)
    if preference and preference.columns:
        chosen_keys = set(preference.columns)
        shows = {c.key: c.required or c.key in chosen_keys for c in columns}
    else:
        shows = {c.key: c.required or c.default for c in columns}
    query = data.copy()
    for name in ("page", "per_page", "columns", "columns_set"):
        query.pop(name, None)
    return ListTools(
        key=key,
        columns=columns,
        shows=shows,
        per_page=per_page,
        page_sizes=PAGE_SIZES,
        chips=_chips(filterset, data) if filterset is not None else [],
        saved_views=list(SavedView.objects.filter(user=user, list_key=key)[:SAVED_VIEW_LIMIT]),
        query=query.urlencode(),
        search=data.get("q", ""),
    )


@transaction.atomic
def saved_view_create(*, user, list_key: str, name: str, query: str) -> SavedView:
    """Save the current filters of a list under a name (replacing a view of the same name)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the view a name."
    elif len(name) > 80:
        errors["name"] = "A view's name has at most 80 characters."
    if not list_key or len(list_key) > 60:
        errors["list_key"] = "Unknown list."
    params = QueryDict(query or "", mutable=True)
    for parameter in ("page", "per_page", "columns", "columns_set"):
        params.pop(parameter, None)
    if not any(params.getlist(name_) for name_ in params):
        errors.setdefault(
            "query", "Set a filter, a search or a sort first: there is nothing to save."
        )
    if errors:
        raise ValidationError(errors)
    if SavedView.objects.filter(user=user, list_key=list_key).exclude(name=name).count() >= (
        SAVED_VIEW_LIMIT
    ):
        raise ValidationError({"name": f"At most {SAVED_VIEW_LIMIT} saved views per list."})
    view, _ = SavedView.objects.update_or_create(
        user=user, list_key=list_key, name=name, defaults={"query": params.urlencode()}
    )
    return view


def saved_view_delete(*, user, pk: int) -> None:
    SavedView.objects.filter(user=user, pk=pk).delete()
