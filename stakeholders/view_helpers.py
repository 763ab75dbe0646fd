"""What the registry's pages share: permission checks, paging, the safe "next" address, the
list pages' sidebar (its widgets, the source facets, the count of active filters), the change
history as people read it and the outcome's power–interest grid (also drawn as of a past day)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django_countries import countries

from smartdiplomacy.widgets import filter_picker

from .choices import Kind, Origin, Position
from .fields import to_capability
from .models import Stakeholder
from .power_interest import QUADRANTS, Frame, place_points, quadrant_boxes, quadrant_of
from .provenance import publisher_counts
from .selectors import (
    stakeholder_names_visible_to,
    stakeholder_visible_to,
)

PAGE_SIZE = 50


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _paginate(request, queryset, per_page: int = PAGE_SIZE):
    # A stable order makes pages well defined when the chosen sort key has ties.
    if queryset.query.order_by:
        queryset = queryset.order_by(*queryset.query.order_by, "pk")
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def _visible_stakeholder(request, pk: int):
    return get_object_or_404(stakeholder_visible_to(request.user), pk=pk)


def _sort_value(request) -> str:
    return request.GET.get("ordering", "")


# Multiple-choice filters with this many options or fewer read best as checkboxes.
CHECKBOX_LIMIT = 12


def _sidebar_filterset(filterset):
    """The filterset with sidebar-friendly widgets: short lists as checkboxes, long ones sized."""
    for field in filterset.form.fields.values():
        if isinstance(field, forms.ModelMultipleChoiceField):
            # Rows from the database (sectors): a type-ahead over the options; counting them
            # would cost a query.
            filter_picker(field, size=6)
        elif isinstance(field.widget, forms.SelectMultiple):
            if len(field.choices) <= CHECKBOX_LIMIT:
                field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
            else:
                filter_picker(field, size=6)
        elif isinstance(field.widget, forms.NullBooleanSelect):
            field.widget = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])
        elif isinstance(field, forms.ModelChoiceField):
            field.empty_label = "Any"
        elif isinstance(field, forms.ChoiceField):
            # django-filter's choice iterator keeps its own empty label: replace the options.
            options = [(value, label) for value, label in field.choices if value not in ("", None)]
            field.widget.choices = [("", "Any"), *options]
    return filterset


def _with_tags(queryset, tools):
    """The tags of the page's rows in one more query, when the Tags column shows. A visible
    record's tags are all visible (only a tag that hidden actors alone carry is withheld)."""
    return queryset.prefetch_related("tags") if tools.shows.get("tags") else queryset


def _without(filterset, name: str, *, queryset):
    """The same filters but ``name`` (and the sort), over ``queryset``: what a facet counts."""
    data = filterset.data.copy()
    data.pop(name, None)
    data.pop("ordering", None)
    return type(filterset)(data, queryset=queryset, request=filterset.request)


def _origin_facets(filterset, *, queryset) -> None:
    """Label the "Source" filter's choices with how many records of each origin the other
    filters leave (one query): counted over ``queryset``, which is what the reader may see, so
    a hidden actor never adds to a count."""
    field = filterset.form.fields.get("origin")
    if field is None:
        return
    others = _without(filterset, "origin", queryset=queryset)
    counts = dict(
        others.qs.order_by()
        .values_list("origin")
        .annotate(n=Count("id"))
        .values_list("origin", "n")
    )
    field.choices = [
        (value, f"{label} ({counts.get(value, 0):,})") for value, label in Origin.choices
    ]


def _publisher_facets(filterset, *, queryset, user) -> None:
    """Offer as the "Publisher" filter's choices the publishers ``user`` may see, each with how
    many of the records the other filters leave it published (one query, over ``queryset``:
    what ``user`` may see), most first; a chosen publisher stays offered at 0. A record whose
    publisher is hidden counts under none, as if the import had linked none."""
    field = filterset.form.fields.get("publisher")
    if field is None:
        return
    others = _without(filterset, "publisher", queryset=queryset)
    counts = publisher_counts(others.qs, user=user)
    choices = [(row.publisher_id, f"{row.label} ({row.count:,})") for row in counts]
    offered = {row.publisher_id for row in counts}
    # Chosen ones were validated against what ``user`` may see (no query: already loaded).
    for chosen in getattr(filterset.form, "cleaned_data", {}).get("publisher") or []:
        if chosen.pk not in offered:
            label = f"{chosen.name} ({chosen.acronym})" if chosen.acronym else chosen.name
            choices.append((chosen.pk, f"{label} (0)"))
    # Only what is drawn: the field still validates against every stakeholder ``user`` may see.
    field.widget.choices = choices


def _active_filter_count(filterset) -> int:
    """How many sidebar filters are set (search and sort are not filters)."""
    return sum(
        1
        for name in filterset.filters
        if name not in ("ordering", "q") and any(filterset.data.getlist(name))
    )


HISTORY_LABELS = {
    "women_leadership_share": "Share of women in leadership",
    "country_of_origin": "Country of origin",
    "digital_presence": "Digital presence",
    "women_led": "Women-led",
}


def _readable_history(entries: list[dict], user) -> list[dict]:
    """History entries with field names and values as people read them."""
    parent_ids = {
        value
        for entry in entries
        for change in entry["changes"]
        if change["field"] == "parent"
        for value in (change["old"], change["new"])
    }
    parent_names = stakeholder_names_visible_to(user, parent_ids)
    readable = []
    for entry in entries:
        changes = []
        for change in entry["changes"]:
            name = change["field"]
            field = Stakeholder._meta.get_field(name)
            label = HISTORY_LABELS.get(name, str(field.verbose_name).capitalize())
            changes.append(
                {
                    "label": label,
                    "old": _history_value(field, change["old"], parent_names),
                    "new": _history_value(field, change["new"], parent_names),
                }
            )
        readable.append({**entry, "changes": changes})
    return readable


def _history_value(field, value, parent_names) -> str:
    if value in (None, "", []):
        return "—"
    if field.name == "parent":
        # A parent the reader may not see is not named.
        return parent_names.get(value, "another stakeholder")
    if field.name == "capabilities":
        return ", ".join(to_capability(value).labels()) or "—"
    if field.name in ("sectors", "tags"):
        return ", ".join(value)
    if field.name in ("country", "country_of_origin"):
        return countries.name(str(value)) or str(value)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _positions(stakes) -> list[dict]:
    """The stakes grouped by position (supports, neutral, opposes…), every position listed."""
    return [
        {
            "key": value,
            "label": label,
            "stakes": [stake for stake in stakes if stake.position == value],
        }
        for value, label in Position.choices
    ]


def _power_interest_grid(stakes) -> dict:
    frame = Frame()
    centres = place_points([(stake.interest, stake.influence) for stake in stakes], frame)
    points = []
    for stake, (x, y) in zip(stakes, centres, strict=True):
        # The hover label goes on the side of the point with more room.
        on_left = x > frame.mid_x
        points.append(
            {
                "stake": stake,
                "x": x,
                "y": y,
                "kind": stake.stakeholder.kind,
                "label_x": round(x - 11 if on_left else x + 11, 1),
                "label_anchor": "end" if on_left else "start",
            }
        )
    quadrants = {quadrant.key: {"quadrant": quadrant, "stakes": []} for quadrant in QUADRANTS}
    for stake in stakes:
        quadrant = quadrant_of(interest=stake.interest, influence=stake.influence)
        quadrants[quadrant.key]["stakes"].append(stake)
    for entry in quadrants.values():
        entry["stakes"].sort(key=lambda stake: (-stake.influence * stake.interest, stake.pk))
    present = {stake.stakeholder.kind for stake in stakes}
    return {
        "frame": frame,
        "boxes": quadrant_boxes(frame),
        "axis": {
            "x_label_x": (frame.left + frame.plot_right) / 2,
            "y_label_y": (frame.top + frame.plot_bottom) / 2,
        },
        "points": points,
        # Quadrants in reading order, matching the chart: top row then bottom row.
        "quadrants": [quadrants[quadrant.key] for quadrant in QUADRANTS],
        "legend": [(value, label) for value, label in Kind.choices if value in present],
        "ticks": [
            {"value": value, "x": frame.x(value), "y": frame.y(value)}
            for value in (0, 0.25, 0.5, 0.75, 1)
        ],
    }
