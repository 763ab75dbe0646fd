"""The registry's pages. Views parse and check input; selectors read, services write.

Every object is looked up through the restriction selectors first, so a hidden stakeholder (and
its stakes and ties) is a 404 for anyone not cleared, whatever their role; only then is the
permission to change it checked (403 for a visible object the user may not change).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries

from accounts.list_tools import Column, list_tools
from smartdiplomacy.object_views import object_delete_view, object_form_view

from . import services
from .choices import Kind, Origin, Position
from .exports import outcome_export_response, stakeholder_export_response
from .fields import to_capability
from .filtersets import LISTING_DEFAULT, OutcomeFilterSet, StakeholderFilterSet
from .forms import OutcomeForm, StakeForm, StakeholderBulkForm, StakeholderForm, TieForm
from .models import Outcome, Sector, Stakeholder
from .power_interest import QUADRANTS, Frame, place_points, quadrant_boxes, quadrant_of
from .provenance import provenance_attach, stakeholder_provenance
from .selectors import (
    outcome_list_with_stake_counts,
    relation_dates_as_seen,
    sensitivities_visible_to,
    stake_visible_to,
    stakeholder_dates_as_seen,
    stakeholder_history,
    stakeholder_names_visible_to,
    stakeholder_ties,
    stakeholder_visible_to,
    tie_visible_to,
    user_is_cleared,
)
from .selectors import outcome_search as search_outcomes
from .selectors import stakeholder_search as search_stakeholders

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


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


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
            field.widget.attrs.update({"size": 6, "data-picker": "", "data-placeholder": "Any"})
        elif isinstance(field.widget, forms.SelectMultiple):
            if len(field.choices) <= CHECKBOX_LIMIT:
                field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
            else:
                field.widget.attrs.update({"size": 6, "data-picker": "", "data-placeholder": "Any"})
        elif isinstance(field.widget, forms.NullBooleanSelect):
            field.widget = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])
        elif isinstance(field, forms.ModelChoiceField):
            field.empty_label = "Any"
        elif isinstance(field, forms.ChoiceField):
            # django-filter's choice iterator keeps its own empty label: replace the options.
            options = [(value, label) for value, label in field.choices if value not in ("", None)]
            field.widget.choices = [("", "Any"), *options]
    return filterset


# --- stakeholders ---------------------------------------------------------------------------------


def _stakeholder_columns(is_cleared: bool) -> list[Column]:
    columns = [
        Column("name", "Name", required=True),
        Column("acronym", "Acronym"),
        Column("kind", "Kind"),
        Column("country", "Country"),
        Column("scope", "Scope"),
        Column("capabilities", "Capabilities"),
        Column("women_led", "Women-led"),
        Column("digital_presence", "Digital presence", default=False),
        Column("tags", "Tags"),
        Column("source", "Source"),
    ]
    if is_cleared:
        columns.append(Column("sensitivity", "Sensitivity"))
    return columns


@login_required
def stakeholder_list(request):
    filterset = StakeholderFilterSet(
        request.GET, queryset=stakeholder_visible_to(request.user), request=request
    )
    is_cleared = user_is_cleared(request.user)
    tools = list_tools(
        request,
        key="stakeholders",
        columns=_stakeholder_columns(is_cleared),
        filterset=filterset,
        default_per_page=PAGE_SIZE,
    )
    page = _paginate(request, _with_tags(filterset.qs, tools), tools.per_page)
    if tools.shows.get("source"):
        page.object_list = provenance_attach(page.object_list, user=request.user)
    _origin_facets(filterset, queryset=stakeholder_visible_to(request.user))
    return render(
        request,
        "stakeholders/stakeholder_list.html",
        {
            "filterset": _sidebar_filterset(filterset),
            "page_obj": page,
            "stakeholders": page.object_list,
            "tools": tools,
            "bulk_form": StakeholderBulkForm(user=request.user, prefix="bulk")
            if request.user.has_perm("stakeholders.change_stakeholder")
            else None,
            "is_cleared": is_cleared,
            "ordering": _sort_value(request),
            "active_filter_count": _active_filter_count(filterset),
        },
    )


def _with_tags(queryset, tools):
    """The tags of the page's rows in one more query, when the Tags column shows. A visible
    record's tags are all visible (only a tag that hidden actors alone carry is withheld)."""
    return queryset.prefetch_related("tags") if tools.shows.get("tags") else queryset


def _origin_facets(filterset, *, queryset) -> None:
    """Label the "Source" filter's choices with how many records of each origin the other
    filters leave (one query): counted over ``queryset``, which is what the reader may see, so
    a hidden actor never adds to a count."""
    field = filterset.form.fields.get("origin")
    if field is None:
        return
    data = filterset.data.copy()
    data.pop("origin", None)
    data.pop("ordering", None)
    others = type(filterset)(data, queryset=queryset, request=filterset.request)
    counts = dict(
        others.qs.order_by()
        .values_list("origin")
        .annotate(n=Count("id"))
        .values_list("origin", "n")
    )
    field.choices = [
        (value, f"{label} ({counts.get(value, 0):,})") for value, label in Origin.choices
    ]


def _active_filter_count(filterset) -> int:
    """How many sidebar filters are set (search and sort are not filters)."""
    return sum(
        1
        for name in filterset.filters
        if name not in ("ordering", "q") and any(filterset.data.getlist(name))
    )


@login_required
def stakeholder_export(request):
    filterset = StakeholderFilterSet(
        request.GET, queryset=stakeholder_visible_to(request.user), request=request
    )
    return stakeholder_export_response(
        queryset=filterset.qs, user=request.user, query=request.GET.urlencode()
    )


@login_required
def stakeholder_detail(request, pk: int):
    if request.GET.get("as_of"):
        from .as_of_views import stakeholder_as_of_page  # it builds on this module's helpers

        return stakeholder_as_of_page(request, pk)
    user = request.user
    stakeholder = get_object_or_404(
        # seen_created_at: an actor declassified later began, for the uncleared, when it was
        # made public (its provenance date never tells of a hidden past).
        stakeholder_dates_as_seen(
            stakeholder_visible_to(user)
            .select_related("parent")
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.order_by("code")))
            .prefetch_related("external_ids"),
            user=user,
        ),
        pk=pk,
    )
    allowed = sensitivities_visible_to(user)
    parent = (
        stakeholder.parent
        if stakeholder.parent and stakeholder.parent.sensitivity in allowed
        else None
    )
    history = stakeholder_history(stakeholder=stakeholder, user=user)
    ties = list(
        relation_dates_as_seen(
            stakeholder_ties(stakeholder=stakeholder, user=user),
            user=user,
            ends=("from_stakeholder_id", "to_stakeholder_id"),
        )
    )
    context = {
        "stakeholder": stakeholder,
        "parent": parent,
        "children": stakeholder_visible_to(user)
        .filter(parent=stakeholder)
        .only("id", "name", "acronym", "kind"),
        "stakes": relation_dates_as_seen(
            stake_visible_to(user).filter(stakeholder=stakeholder).select_related("outcome"),
            user=user,
            ends=("stakeholder_id",),
        ),
        "ties": [_tie_row(tie, stakeholder) for tie in ties],
        "history": _readable_history(history, user),
        "is_cleared": user_is_cleared(user),
        "provenance": stakeholder_provenance(stakeholder, user=user),
    }
    if user.has_perm("stakeholders.add_stake"):
        context["stake_form"] = StakeForm(user=user, stakeholder=stakeholder)
    return render(request, "stakeholders/stakeholder_detail.html", context)


def _tie_row(tie, stakeholder) -> dict:
    outgoing = tie.from_stakeholder_id == stakeholder.pk
    return {
        "tie": tie,
        "outgoing": outgoing,
        "other": tie.to_stakeholder if outgoing else tie.from_stakeholder,
    }


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


@login_required
@permission_required("stakeholders.add_stakeholder", raise_exception=True)
def stakeholder_create(request):

    @transaction.atomic
    def save(form):
        stakeholder = services.stakeholder_create(**form.service_fields())
        services.stakeholder_external_ids_set(
            stakeholder=stakeholder, external_ids=form.external_ids(), user=request.user
        )
        return stakeholder

    return object_form_view(
        request,
        form=StakeholderForm(request.POST or None, user=request.user),
        save=save,
        template="stakeholders/stakeholder_form.html",
        context={"stakeholder": None},
        message=lambda stakeholder: f"Recorded {stakeholder.name}.",
        success_url=lambda stakeholder: stakeholder.get_absolute_url(),
    )


@login_required
def stakeholder_update(request, pk: int):
    stakeholder = _visible_stakeholder(request, pk)
    _require(request.user, "stakeholders.change_stakeholder")

    @transaction.atomic
    def save(form):
        services.stakeholder_update(stakeholder=stakeholder, **form.service_fields())
        services.stakeholder_external_ids_set(
            stakeholder=stakeholder, external_ids=form.external_ids()
        )
        return stakeholder

    return object_form_view(
        request,
        form=StakeholderForm(request.POST or None, instance=stakeholder, user=request.user),
        save=save,
        template="stakeholders/stakeholder_form.html",
        context={"stakeholder": stakeholder},
        message=lambda saved: f"Saved {saved.name}.",
        success_url=lambda saved: saved.get_absolute_url(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_delete(request, pk: int):
    stakeholder = _visible_stakeholder(request, pk)
    _require(request.user, "stakeholders.delete_stakeholder")
    return object_delete_view(
        request,
        # Deleted, or (when it holds what this person may not see) archived: the same here.
        delete=lambda: services.stakeholder_delete(stakeholder=stakeholder, user=request.user),
        template="stakeholders/confirm_delete.html",
        context={
            "object_label": stakeholder.name,
            "what": "stakeholder",
            "consequences": "Its stakes, ties and identifiers are deleted with it; stakeholders "
            "under it lose their parent. The change history is kept.",
            "cancel_url": stakeholder.get_absolute_url(),
        },
        message=f"Deleted {stakeholder.name}.",
        success_url=reverse("stakeholders:stakeholder_list"),
    )


# --- outcomes -----------------------------------------------------------------------------------


OUTCOME_COLUMNS = [
    Column("title", "Outcome", required=True),
    Column("theme", "Theme"),
    Column("geography", "Geography"),
    Column("needs", "Needs"),
    Column("stakes", "Stakes"),
    Column("positions", "Positions"),
    Column("tags", "Tags"),
    Column("updated", "Updated"),
]


@login_required
def outcome_list(request):
    filterset = OutcomeFilterSet(
        request.GET,
        queryset=outcome_list_with_stake_counts(user=request.user).select_related("sector"),
        request=request,
    )
    tools = list_tools(
        request,
        key="outcomes",
        columns=OUTCOME_COLUMNS,
        filterset=filterset,
        default_per_page=PAGE_SIZE,
    )
    page = _paginate(request, _with_tags(filterset.qs, tools), tools.per_page)
    _origin_facets(filterset, queryset=Outcome.objects.all())
    listing = filterset.form.cleaned_data.get("listing") or LISTING_DEFAULT
    return render(
        request,
        "stakeholders/outcome_list.html",
        {
            "listing": listing,
            # How many machine-made outcomes the default list leaves out (outcomes are not
            # restricted; nothing here depends on a stakeholder).
            "machine_made_count": Outcome.objects.machine_made().count()
            if listing == LISTING_DEFAULT
            else 0,
            "filterset": _sidebar_filterset(filterset),
            "page_obj": page,
            "outcomes": page.object_list,
            "tools": tools,
            "ordering": _sort_value(request),
            "active_filter_count": _active_filter_count(filterset),
        },
    )


@login_required
def outcome_export(request):
    filterset = OutcomeFilterSet(
        request.GET, queryset=outcome_list_with_stake_counts(user=request.user), request=request
    )
    return outcome_export_response(queryset=filterset.qs)


@login_required
def outcome_detail(request, pk: int):
    if request.GET.get("as_of"):
        from .as_of_views import outcome_as_of_page  # it builds on this module's helpers

        return outcome_as_of_page(request, pk)
    user = request.user
    outcome = get_object_or_404(
        outcome_list_with_stake_counts(user=user).select_related("sector"), pk=pk
    )
    stakes = list(
        relation_dates_as_seen(
            stake_visible_to(user)
            .filter(outcome=outcome)
            .select_related("stakeholder")
            .order_by("-influence", "-interest", "stakeholder__name"),
            user=user,
            ends=("stakeholder_id",),
        )
    )
    context = {
        "outcome": outcome,
        "stakes": stakes,
        "grid": _power_interest_grid(stakes),
        "positions": [
            {
                "key": value,
                "label": label,
                "stakes": [stake for stake in stakes if stake.position == value],
            }
            for value, label in Position.choices
        ],
    }
    if user.has_perm("stakeholders.add_stake"):
        context["stake_form"] = StakeForm(user=user, outcome=outcome)
    return render(request, "stakeholders/outcome_detail.html", context)


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


@login_required
@permission_required("stakeholders.add_outcome", raise_exception=True)
def outcome_create(request):
    return object_form_view(
        request,
        form=OutcomeForm(request.POST or None),
        save=lambda form: services.outcome_create(**form.service_fields()),
        template="stakeholders/outcome_form.html",
        context={"outcome": None},
        message=lambda outcome: f"Recorded the outcome “{outcome.title}”.",
        success_url=lambda outcome: outcome.get_absolute_url(),
    )


@login_required
def outcome_update(request, pk: int):
    outcome = get_object_or_404(outcome_list_with_stake_counts(user=request.user), pk=pk)
    _require(request.user, "stakeholders.change_outcome")
    return object_form_view(
        request,
        form=OutcomeForm(request.POST or None, instance=outcome),
        save=lambda form: services.outcome_update(outcome=outcome, **form.service_fields()),
        template="stakeholders/outcome_form.html",
        context={"outcome": outcome},
        message=lambda saved: f"Saved the outcome “{outcome.title}”.",
        success_url=lambda saved: outcome.get_absolute_url(),
    )


@login_required
@require_POST
def outcome_promote(request, pk: int):
    """Promote a machine-made outcome into the default lists (or, with ``undo``, take it out)."""
    outcome = get_object_or_404(Outcome, pk=pk)
    _require(request.user, "stakeholders.change_outcome")
    try:
        if request.POST.get("undo"):
            services.outcome_demote(outcome=outcome)
            messages.success(
                request, f"“{outcome.title}” is machine-made again: left out of the default lists."
            )
        else:
            services.outcome_promote(outcome=outcome, user=request.user)
            messages.success(
                request, f"Promoted “{outcome.title}”: it now shows in the default lists."
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(outcome.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def outcome_delete(request, pk: int):
    outcome = get_object_or_404(outcome_list_with_stake_counts(user=request.user), pk=pk)
    _require(request.user, "stakeholders.delete_outcome")
    if request.method == "POST":
        title = outcome.title
        services.outcome_delete(outcome=outcome, user=request.user)
        messages.success(request, f"Deleted the outcome “{title}”.")
        return redirect("stakeholders:outcome_list")
    return render(
        request,
        "stakeholders/confirm_delete.html",
        {
            "object_label": outcome.title,
            "what": "outcome",
            # No count: it would include stakes of actors the reader may not see.
            "consequences": "Every stake recorded in this outcome is deleted with it.",
            "cancel_url": outcome.get_absolute_url(),
        },
    )


# --- stakes -------------------------------------------------------------------------------------


@login_required
def stakeholder_stake_add(request, pk: int):
    stakeholder = _visible_stakeholder(request, pk)
    _require(request.user, "stakeholders.add_stake")
    form = StakeForm(request.POST or None, user=request.user, stakeholder=stakeholder)
    return _stake_add(request, form, stakeholder=stakeholder, outcome=None)


@login_required
def outcome_stake_add(request, pk: int):
    outcome = get_object_or_404(Outcome, pk=pk)
    _require(request.user, "stakeholders.add_stake")
    form = StakeForm(request.POST or None, user=request.user, outcome=outcome)
    return _stake_add(request, form, stakeholder=None, outcome=outcome)


def _stake_add(request, form, *, stakeholder, outcome):
    back = _next_url(request, (stakeholder or outcome).get_absolute_url())
    return object_form_view(
        request,
        form=form,
        save=lambda form: services.stake_create(
            stakeholder=stakeholder or form.cleaned_data["stakeholder"],
            outcome=outcome or form.cleaned_data["outcome"],
            **form.service_fields(),
        ),
        template="stakeholders/stake_form.html",
        context={"stake": None, "stakeholder": stakeholder, "outcome": outcome, "cancel_url": back},
        message=lambda stake: f"Recorded the stake of {stake.stakeholder.name}.",
        success_url=lambda stake: back,
    )


def _visible_stake(request, pk: int):
    return get_object_or_404(
        stake_visible_to(request.user).select_related("stakeholder", "outcome"), pk=pk
    )


@login_required
def stake_update(request, pk: int):
    stake = _visible_stake(request, pk)
    _require(request.user, "stakeholders.change_stake")
    back = _next_url(request, stake.stakeholder.get_absolute_url())
    return object_form_view(
        request,
        form=StakeForm(request.POST or None, instance=stake, user=request.user),
        save=lambda form: services.stake_update(stake=stake, **form.service_fields()),
        template="stakeholders/stake_form.html",
        context={
            "stake": stake,
            "stakeholder": stake.stakeholder,
            "outcome": stake.outcome,
            "cancel_url": back,
        },
        message=lambda saved: f"Saved the stake of {stake.stakeholder.name}.",
        success_url=lambda saved: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def stake_delete(request, pk: int):
    stake = _visible_stake(request, pk)
    _require(request.user, "stakeholders.delete_stake")
    back = _next_url(request, stake.stakeholder.get_absolute_url())
    return object_delete_view(
        request,
        delete=lambda: services.stake_delete(stake=stake),
        template="stakeholders/confirm_delete.html",
        context={
            "object_label": f"{stake.stakeholder.name} → {stake.outcome.title}",
            "what": "stake",
            "consequences": "Only this stake is deleted; the stakeholder and outcome stay.",
            "cancel_url": back,
        },
        message=f"Deleted the stake of {stake.stakeholder.name}.",
        success_url=back,
    )


# --- ties ---------------------------------------------------------------------------------------


@login_required
def stakeholder_tie_add(request, pk: int):
    stakeholder = _visible_stakeholder(request, pk)
    _require(request.user, "stakeholders.add_tie")
    back = stakeholder.get_absolute_url()
    return object_form_view(
        request,
        form=TieForm(request.POST or None, user=request.user, anchor=stakeholder),
        save=lambda form: services.tie_create(**form.service_fields()),
        template="stakeholders/tie_form.html",
        context={"tie": None, "stakeholder": stakeholder, "cancel_url": back},
        message=lambda tie: "Recorded the tie.",
        success_url=lambda tie: f"{back}#ties",
    )


def _visible_tie(request, pk: int):
    return get_object_or_404(
        tie_visible_to(request.user).select_related("from_stakeholder", "to_stakeholder"), pk=pk
    )


@login_required
def tie_update(request, pk: int):
    tie = _visible_tie(request, pk)
    _require(request.user, "stakeholders.change_tie")
    back = _next_url(request, tie.from_stakeholder.get_absolute_url())
    return object_form_view(
        request,
        form=TieForm(request.POST or None, instance=tie, user=request.user),
        save=lambda form: services.tie_update(tie=tie, **form.service_fields()),
        template="stakeholders/tie_form.html",
        context={"tie": tie, "stakeholder": tie.from_stakeholder, "cancel_url": back},
        message=lambda saved: "Saved the tie.",
        success_url=lambda saved: back,
    )


@login_required
@require_http_methods(["GET", "POST"])
def tie_delete(request, pk: int):
    tie = _visible_tie(request, pk)
    _require(request.user, "stakeholders.delete_tie")
    back = _next_url(request, tie.from_stakeholder.get_absolute_url())
    return object_delete_view(
        request,
        delete=lambda: services.tie_delete(tie=tie),
        template="stakeholders/confirm_delete.html",
        context={
            "object_label": str(tie),
            "what": "tie",
            "consequences": "Only this tie is deleted; both stakeholders stay.",
            "cancel_url": back,
        },
        message="Deleted the tie.",
        success_url=back,
    )


# --- type-ahead for pickers (smartdiplomacy.widgets) ---------------------------------------------


@login_required
def stakeholder_search(request):
    """``?q=``: the stakeholders the reader may see matching it, as JSON, for pickers."""
    _require(request.user, "stakeholders.view_stakeholder")
    return JsonResponse(
        {"results": search_stakeholders(user=request.user, query=request.GET.get("q", ""))}
    )


@login_required
def outcome_search(request):
    _require(request.user, "stakeholders.view_outcome")
    return JsonResponse({"results": search_outcomes(query=request.GET.get("q", ""))})


BULK_FIELD_LABELS = {
    "stakeholders": "Stakeholders",
    "action": "Action",
    "kind": "Kind",
    "scope": "Scope",
    "sensitivity": "Sensitivity",
    "tags": "Tags",
}


@login_required
@permission_required("stakeholders.change_stakeholder", raise_exception=True)
@require_http_methods(["POST"])
def stakeholder_bulk(request):
    """Apply one change to the stakeholders ticked on the list, all or none."""
    back = _next_url(request, reverse("stakeholders:stakeholder_list"))
    form = StakeholderBulkForm(request.POST, user=request.user, prefix="bulk")
    if not form.is_valid():
        for name, problems in form.errors.items():
            for problem in problems:
                messages.error(request, f"{BULK_FIELD_LABELS.get(name, name)}: {problem}")
        return redirect(back)
    chosen = list(form.cleaned_data["stakeholders"].order_by("name"))
    action = form.cleaned_data["action"]
    try:
        if action == "delete":
            deleted = services.stakeholder_bulk_delete(stakeholders=chosen, user=request.user)
            messages.success(request, f"Deleted {deleted} stakeholder{pluralize(deleted)}.")
        elif action in ("tag_add", "tag_remove"):
            names = form.cleaned_data["tags"]
            changed = services.stakeholder_bulk_tag(
                stakeholders=chosen,
                add=names if action == "tag_add" else (),
                remove=names if action == "tag_remove" else (),
            )
            messages.success(
                request,
                f"{'Tagged' if action == 'tag_add' else 'Untagged'} {changed} "
                f"stakeholder{pluralize(changed)} ({', '.join(names)}).",
            )
        else:
            value = form.cleaned_data[action]
            changed = services.stakeholder_bulk_update(
                stakeholders=chosen, field=action, value=value
            )
            label = dict(form.fields[action].choices)[value]
            messages.success(
                request,
                f"Set the {BULK_FIELD_LABELS[action].lower()} of {changed} "
                f"stakeholder{pluralize(changed)} to {label}"
                + (f" ({len(chosen) - changed} had it already)." if changed < len(chosen) else "."),
            )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, f"Nothing was changed. {problem}")
    return redirect(back)
