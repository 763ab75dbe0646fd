"""Pages of coalitions: the list (with the one FilterSet), a coalition's page, proposing one as a
draft partnership in one step, and recomputing on demand. Views parse input; selectors read and
services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.list_tools import Column, list_tools
from accounts.services import restricted_read_record
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.redirects import safe_next_url
from smartdiplomacy.spreadsheets import csv_response
from stakeholders.choices import Sensitivity
from stakeholders.models import Outcome
from stakeholders.selectors import user_is_cleared

from .. import workflow
from . import proposing, services
from .filtersets import CoalitionFilterSet
from .selectors import (
    coalition_explanation,
    coalition_score_rows,
    coalition_visible_to,
    coalitions_explained,
)

PAGE_SIZE = 25
# Coalitions are cards; the optional "columns" are the parts of a card one may fold away.
COALITION_COLUMNS = [
    Column("members", "Members", required=True),
    Column("scores", "Value, coverage and trust"),
    Column("explanation", "Why these actors"),
    Column("computed", "When computed"),
]
VIEW = "partnerships.view_coalition"
PROPOSE = "partnerships.add_partnership"
COMPUTE = "partnerships.add_overlaprun"


@login_required
@permission_required(VIEW, raise_exception=True)
def coalition_list(request):
    filterset = CoalitionFilterSet(
        request.GET, queryset=coalition_visible_to(request.user), request=request
    )
    tools = list_tools(
        request,
        key="coalitions",
        columns=COALITION_COLUMNS,
        filterset=filterset,
        default_per_page=PAGE_SIZE,
    )
    page = Paginator(filterset.qs, tools.per_page).get_page(request.GET.get("page"))
    outcome = filterset.form.cleaned_data.get("outcome") if filterset.is_valid() else None
    return render(
        request,
        "partnerships/coalition_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "coalitions": coalitions_explained(page.object_list),
            "tools": tools,
            "filtered_outcome": outcome,
            "can_propose": workflow.user_may_propose(request.user),
            "can_compute": request.user.has_perm(COMPUTE),
        },
    )


EXPORT_COLUMNS = [
    "key", "outcome", "rank", "value", "coverage", "stake", "trust", "members", "member_kinds",
]  # fmt: skip


def _export_rows(queryset):
    # Names are typed by people: the shared writer defuses any cell a spreadsheet would run.
    for coalition in queryset:
        members = list(coalition.members.all())
        yield [
            coalition.key, coalition.outcome.title, coalition.rank,
            f"{coalition.value:.4f}", f"{coalition.coverage:.4f}", f"{coalition.stake:.4f}",
            f"{coalition.trust:.4f}",
            "; ".join(m.stakeholder.name for m in members),
            "; ".join(m.stakeholder.get_kind_display() for m in members),
        ]  # fmt: skip


@login_required
@permission_required(VIEW, raise_exception=True)
def coalition_export(request):
    """CSV of the coalition list as filtered and sorted on the page (all pages). An export in
    which a cleared person receives restricted members is recorded first."""
    filterset = CoalitionFilterSet(
        request.GET, queryset=coalition_visible_to(request.user), request=request
    )
    if not filterset.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(problems)}" for field, problems in filterset.errors.items()
        )
        return HttpResponseBadRequest(f"Nothing exported. {errors}", content_type="text/plain")
    coalitions = list(filterset.qs)
    if user_is_cleared(request.user):
        restricted_read_record(
            user=request.user,
            method=request.method,
            path=request.get_full_path(),
            stakeholder_ids={
                member.stakeholder_id
                for coalition in coalitions
                for member in coalition.members.all()
                if member.stakeholder.sensitivity != Sensitivity.PUBLIC
            },
        )
    return csv_response(
        filename=f"coalitions-{timezone.now():%Y%m%d-%H%M}.csv",
        header=EXPORT_COLUMNS,
        rows=_export_rows(coalitions),
        streaming=False,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def coalition_detail(request, key: str):
    coalition = get_object_or_404(coalition_visible_to(request.user), key=key)
    return render(
        request,
        "partnerships/coalition_detail.html",
        {
            "coalition": coalition,
            "computation": coalition.computation,
            "explanation": coalition_explanation(coalition),
            "score_rows": coalition_score_rows(coalition),
            "can_propose": workflow.user_may_propose(request.user),
        },
    )


@login_required
@permission_required(PROPOSE, raise_exception=True)
@require_POST
def coalition_propose(request, key: str):
    """Propose the coalition as a draft partnership with all its members and its outcome."""
    coalition = get_object_or_404(coalition_visible_to(request.user), key=key)
    if not workflow.user_may_propose(request.user):
        raise PermissionDenied
    try:
        partnership = proposing.coalition_propose(coalition=coalition, proposer=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect(coalition)
    messages.success(
        request,
        "Draft saved with every member of the coalition. Complete the do-no-harm assessment, "
        "then submit it for review.",
    )
    return redirect(partnership)


@login_required
@permission_required(COMPUTE, raise_exception=True)
@require_POST
def coalition_compute(request):
    """Recompute one outcome's coalitions (``outcome``) or every outcome's."""
    outcome = None
    if request.POST.get("outcome"):
        outcome = get_object_or_404(Outcome, pk=_int(request.POST["outcome"]))
    count = services.coalitions_compute_request(outcome=outcome)
    if outcome is not None:
        messages.success(request, f"Coalitions of “{outcome.title}” are being recomputed.")
    else:
        messages.success(request, f"Coalitions of {count} outcomes are being recomputed.")
    return redirect(safe_next_url(request, reverse("partnerships:coalition_list")))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
