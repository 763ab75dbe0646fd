"""The registry's outcome pages: list, CSV export, detail (with its power–interest grid), create,
edit, promote a machine-made outcome, delete, and the outcomes' type-ahead for pickers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST

from accounts.list_tools import Column, list_tools
from smartdiplomacy.object_views import object_form_view

from . import services
from .as_of_views import outcome_as_of_page
from .exports import outcome_export_response
from .filtersets import LISTING_DEFAULT, OutcomeFilterSet
from .forms import OutcomeForm, StakeForm
from .left_stakes import left_stakes_visible_to
from .models import Outcome
from .selectors import (
    outcome_list_with_stake_counts,
    relation_dates_as_seen,
    stake_visible_to,
)
from .selectors import outcome_search as search_outcomes
from .view_helpers import (
    PAGE_SIZE,
    _active_filter_count,
    _origin_facets,
    _paginate,
    _positions,
    _power_interest_grid,
    _require,
    _sidebar_filterset,
    _sort_value,
    _with_tags,
)

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
        "positions": _positions(stakes),
    }
    if user.has_perm("stakeholders.add_stake"):
        context["stake_form"] = StakeForm(user=user, outcome=outcome)
    return render(request, "stakeholders/outcome_detail.html", context)


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
            waiting = left_stakes_visible_to(request.user).filter(outcome=outcome).count()
            review = (
                f" Its {waiting} imported stake{pluralize(waiting)} wait{pluralize(waiting, 's,')}"
                " for review under “Left stakes”."
                if waiting
                else ""
            )
            messages.success(
                request, f"Promoted “{outcome.title}”: it now shows in the default lists.{review}"
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


@login_required
def outcome_search(request):
    _require(request.user, "stakeholders.view_outcome")
    return JsonResponse({"results": search_outcomes(query=request.GET.get("q", ""))})
