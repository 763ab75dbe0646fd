"""/map/: actors and engagements on a world map, clustered, with the index by country.

The page draws what ``relationships.geo.map_view`` gives the reader (the same as
``/api/v1/map/``): the first view is in the page (json_script), later zoom levels come from the
API. Without JavaScript, the table of countries says the same.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render

from smartdiplomacy.widgets import filter_picker

from .geo import LAYERS, map_engagement_filterset, map_stakeholder_filterset, map_view

ENGAGEMENT_VIEW = "index.view_engagement"
STAKEHOLDER_FILTERS = ("q", "kind", "region", "country", "sector", "outcome", "tag")
ENGAGEMENT_FILTERS = ("kind", "outcome", "region", "start_after", "start_before")


def map_layers(request) -> list[str]:
    """The layers asked for (``layer``, repeatable; both by default), engagements only for
    people who may read them."""
    asked = [layer for layer in request.GET.getlist("layer") if layer in LAYERS] or list(LAYERS)
    if not request.user.has_perm(ENGAGEMENT_VIEW):
        asked = [layer for layer in asked if layer != "engagements"]
    return asked


def _sidebar_fields(filterset, names) -> list:
    """The named filters' bound fields, with the lists' sidebar widgets."""
    form = filterset.form
    shown = []
    for name in names:
        if name not in form.fields:
            continue
        field = form.fields[name]
        if isinstance(field.widget, forms.SelectMultiple):
            filter_picker(field, size=5)
        elif isinstance(field, forms.ModelChoiceField):
            field.empty_label = "Any"
            filter_picker(field)
        elif isinstance(field, forms.ChoiceField):
            options = [(value, label) for value, label in field.choices if value not in ("", None)]
            field.widget.choices = [("", "Any"), *options]
        if isinstance(field, forms.DateField):
            field.widget.input_type = "date"
        shown.append(form[name])
    return shown


@login_required
def map_page(request):
    layers = map_layers(request)
    status, view = 200, None
    try:
        view = map_view(user=request.user, filters=request.GET, layers=layers)
    except ValidationError:
        status = 400  # the forms below name the field and what it accepts
    actors = map_stakeholder_filterset(user=request.user, filters=request.GET)
    engagements = map_engagement_filterset(user=request.user, filters=request.GET)
    actors.is_valid(), engagements.is_valid()
    may_see_engagements = request.user.has_perm(ENGAGEMENT_VIEW)
    countries = view.countries if view else []
    return render(
        request,
        "relationships/map.html",
        {
            "view": view,
            "map_data": view.payload() if view else None,
            "layers": layers,
            "may_see_engagements": may_see_engagements,
            "actor_fields": _sidebar_fields(actors, STAKEHOLDER_FILTERS),
            "engagement_fields": _sidebar_fields(engagements, ENGAGEMENT_FILTERS)
            if may_see_engagements
            else [],
            "countries": [c for c in countries if c["stakeholders"] or c["engagements"]],
        },
        status=status,
    )
