"""The registry's stakeholder pages (outcomes: ``outcome_views``; stakes and ties:
``relation_views``; what they share: ``view_helpers``). Views parse and check input; selectors
read, services write.

Every object is looked up through the restriction selectors first, so a hidden stakeholder (and
its stakes and ties) is a 404 for anyone not cleared, whatever their role; only then is the
permission to change it checked (403 for a visible object the user may not change).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.list_tools import Column, list_tools
from smartdiplomacy.object_views import object_delete_view, object_form_view
from smartdiplomacy.redirects import safe_next_url

from . import services
from .as_of_views import stakeholder_as_of_page
from .exports import stakeholder_export_response
from .filtersets import StakeholderFilterSet
from .forms import StakeForm, StakeholderBulkForm, StakeholderForm
from .models import Sector
from .provenance import provenance_attach, stakeholder_provenance
from .selectors import (
    relation_dates_as_seen,
    sensitivities_visible_to,
    stake_visible_to,
    stakeholder_dates_as_seen,
    stakeholder_history,
    stakeholder_ties,
    stakeholder_visible_to,
    user_is_cleared,
)
from .selectors import stakeholder_search as search_stakeholders
from .view_helpers import (
    PAGE_SIZE,
    _active_filter_count,
    _origin_facets,
    _paginate,
    _publisher_facets,
    _readable_history,
    _require,
    _sidebar_filterset,
    _sort_value,
    _visible_stakeholder,
    _with_tags,
)


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
    _publisher_facets(filterset, queryset=stakeholder_visible_to(request.user), user=request.user)
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


# --- type-ahead for pickers (smartdiplomacy.widgets) ---------------------------------------------


@login_required
def stakeholder_search(request):
    """``?q=``: the stakeholders the reader may see matching it, as JSON, for pickers."""
    _require(request.user, "stakeholders.view_stakeholder")
    return JsonResponse(
        {"results": search_stakeholders(user=request.user, query=request.GET.get("q", ""))}
    )


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
    back = safe_next_url(request, reverse("stakeholders:stakeholder_list"))
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
