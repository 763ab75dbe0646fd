"""Pages of the overlap job: candidates (list, detail, dismiss), runs (list, detail, start,
live status) and the methodology. Views parse input and call selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.list_tools import Column, list_tools
from accounts.services import restricted_read_record
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.redirects import safe_next_url
from smartdiplomacy.spreadsheets import csv_response
from stakeholders.choices import Sensitivity
from stakeholders.selectors import audience_of, user_is_cleared

from . import candidates as candidate_services
from .choices import RunTrigger
from .filtersets import CandidateFilterSet
from .forms import CandidateBulkForm, DismissForm, RunStartForm
from .jobs import overlap_run_progress
from .models import OverlapRun
from .overlap.loading import INCLUSIVE_KINDS
from .overlap.parameters import Parameters
from .overlap.runs import ROWS_PER_CHUNK, overlap_run_request
from .selectors import (
    candidate_dismissal,
    candidate_explanations,
    candidate_of_pair,
    candidate_score_rows,
    candidate_visible_to,
    methodology_examples,
    overlap_run_active,
    overlap_run_current,
    overlap_run_list,
    overlap_run_status,
    url_or_none,
)

PAGE_SIZE = 25
VIEW_CANDIDATES = "partnerships.view_candidate"
VIEW_RUNS = "partnerships.view_overlaprun"
START_RUN = "partnerships.add_overlaprun"
DISMISS = "partnerships.add_candidatedismissal"
PROPOSE = "partnerships.add_partnership"


def _proposal_url(user) -> str | None:
    """Where to propose a partnership, for those who may (a link others would meet as a 403)."""
    if not user.has_perm(PROPOSE):
        return None
    return url_or_none("partnerships:partnership_create")


CANDIDATE_COLUMNS = [
    Column("pair", "Pair", required=True),
    Column("score", "Priority"),
    Column("likelihood", "Likelihood"),
    Column("overlap", "Overlap"),
    Column("complementarity", "Complementarity"),
    Column("inclusion", "Inclusion"),
    Column("shared", "Shared outcomes", default=False),
]


@login_required
@permission_required(VIEW_CANDIDATES, raise_exception=True)
def candidate_list(request):
    filterset = CandidateFilterSet(
        request.GET, queryset=candidate_visible_to(request.user), request=request
    )
    tools = list_tools(
        request,
        key="candidates",
        columns=CANDIDATE_COLUMNS,
        filterset=filterset,
        default_per_page=PAGE_SIZE,
    )
    queryset = filterset.qs
    if queryset.query.order_by:  # a stable order when the chosen sort key has ties
        queryset = queryset.order_by(*queryset.query.order_by, "pk")
    page = Paginator(queryset, tools.per_page).get_page(request.GET.get("page"))
    candidates = list(page.object_list)
    explanations = candidate_explanations(candidates)
    for candidate in candidates:
        candidate.explanation = explanations[candidate.pk]
    can_dismiss = request.user.has_perm(DISMISS)
    return render(
        request,
        "partnerships/candidate_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "candidates": candidates,
            "tools": tools,
            "filtered_stakeholder": filterset.form.cleaned_data.get("stakeholder")
            if filterset.is_valid()
            else None,
            "current_run": overlap_run_current(),
            "proposal_url": _proposal_url(request.user),
            "can_dismiss": can_dismiss,
            "bulk_form": CandidateBulkForm(prefix="bulk") if can_dismiss else None,
        },
    )


CANDIDATE_EXPORT_COLUMNS = [
    "stakeholder_a_id", "stakeholder_a", "kind_a", "stakeholder_b_id", "stakeholder_b", "kind_b",
    "priority", "likelihood", "overlap", "complementarity", "inclusion", "shared_outcomes",
    "dismissed", "run",
]  # fmt: skip


def _candidate_export_rows(queryset):
    # Names are typed by people: the shared writer defuses any cell a spreadsheet would run.
    for c in queryset.iterator(chunk_size=500):
        yield [
            c.stakeholder_a_id, c.stakeholder_a.name, c.stakeholder_a.get_kind_display(),
            c.stakeholder_b_id, c.stakeholder_b.name, c.stakeholder_b.get_kind_display(),
            f"{c.score:.4f}", f"{c.likelihood:.4f}", f"{c.overlap:.4f}",
            f"{c.complementarity:.4f}", "yes" if c.inclusion else "no", c.shared_count,
            "yes" if c.is_dismissed else "no", c.run_id,
        ]  # fmt: skip


@login_required
@permission_required(VIEW_CANDIDATES, raise_exception=True)
def candidate_export(request):
    """CSV of the candidate list as filtered and sorted on the page (all pages). An export in
    which a cleared person receives restricted actors is recorded first, like the API's reads."""
    filterset = CandidateFilterSet(
        request.GET, queryset=candidate_visible_to(request.user), request=request
    )
    if not filterset.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(problems)}" for field, problems in filterset.errors.items()
        )
        return HttpResponseBadRequest(f"Nothing exported. {errors}", content_type="text/plain")
    queryset = filterset.qs
    if user_is_cleared(request.user):
        restricted = set()
        for a, a_level, b, b_level in queryset.values_list(
            "stakeholder_a_id", "stakeholder_a__sensitivity", "stakeholder_b_id",
            "stakeholder_b__sensitivity",
        ):  # fmt: skip
            restricted.update(
                pk for pk, level in ((a, a_level), (b, b_level)) if level != Sensitivity.PUBLIC
            )
        restricted_read_record(
            user=request.user,
            method=request.method,
            path=request.get_full_path(),
            stakeholder_ids=restricted,
        )
    return csv_response(
        filename=f"candidates-{timezone.now():%Y%m%d-%H%M}.csv",
        header=CANDIDATE_EXPORT_COLUMNS,
        rows=_candidate_export_rows(queryset),
    )


@login_required
@permission_required(DISMISS, raise_exception=True)
@require_POST
def candidate_bulk(request):
    """Dismiss (with one reason) or restore the ticked candidate pairs, through the services.
    Ticked ids the reader may not see are ignored like ids that do not exist."""
    back = safe_next_url(request, reverse("partnerships:candidate_list"))
    form = CandidateBulkForm(request.POST, prefix="bulk")
    if not form.is_valid():
        for field, problems in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {problems[0]}")
        return redirect(back)
    ids = [value for value in request.POST.getlist("bulk-candidates") if value.isdigit()]
    candidates = list(candidate_visible_to(request.user).filter(pk__in=ids))
    if not candidates:
        messages.error(request, "Tick at least one pair in the list first.")
        return redirect(back)
    action = form.cleaned_data["action"]
    try:
        with transaction.atomic():
            for candidate in candidates:
                if action == "dismiss":
                    candidate_services.candidate_dismiss(
                        candidate=candidate, user=request.user, reason=form.cleaned_data["reason"]
                    )
                else:
                    candidate_services.candidate_restore(candidate=candidate)
    except ApplicationError as error:
        messages.error(request, f"Reason: {error}")
        return redirect(back)
    n = len(candidates)
    done = "Dismissed" if action == "dismiss" else "Restored"
    messages.success(request, f"{done} {n} pair{pluralize(n)}.")
    return redirect(back)


def _candidate_or_404(request, a: int, b: int):
    """The pair's current candidate for this reader; a pair named the other way round is sent to
    its one address; a pair that is no candidate for this reader answers like a missing page."""
    if a > b:
        return None, redirect("partnerships:candidate_detail", a=b, b=a)
    candidate = candidate_of_pair(user=request.user, a=a, b=b)
    if candidate is None:
        raise Http404("No such candidate.")
    return candidate, None


@login_required
@permission_required(VIEW_CANDIDATES, raise_exception=True)
def candidate_detail(request, a: int, b: int):
    candidate, moved = _candidate_or_404(request, a, b)
    if moved:
        return moved
    return _candidate_page(request, candidate, dismiss_form=DismissForm())


def _candidate_page(request, candidate, *, dismiss_form, status: int = 200):
    weights = Parameters.from_dict(candidate.run.parameters)
    return render(
        request,
        "partnerships/candidate_detail.html",
        {
            "candidate": candidate,
            "explanation": candidate_explanations([candidate])[candidate.pk],
            "dismissal": candidate_dismissal(candidate),
            "dismiss_form": dismiss_form,
            "weights": weights,
            "score_rows": candidate_score_rows(candidate, weights),
            "proposal_url": _proposal_url(request.user),
            "can_dismiss": request.user.has_perm(DISMISS),
        },
        status=status,
    )


@login_required
@permission_required(DISMISS, raise_exception=True)
@require_POST
def candidate_dismiss(request, a: int, b: int):
    candidate = candidate_of_pair(user=request.user, a=a, b=b)
    if candidate is None:
        raise Http404("No such candidate.")
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            candidate_services.candidate_dismiss(
                candidate=candidate, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Dismissed. The pair stays dismissed after later runs.")
            return redirect(safe_next_url(request, candidate.get_absolute_url()))
    return _candidate_page(request, candidate, dismiss_form=form, status=400)


@login_required
@permission_required(DISMISS, raise_exception=True)
@require_POST
def candidate_restore(request, a: int, b: int):
    candidate = candidate_of_pair(user=request.user, a=a, b=b)
    if candidate is None:
        raise Http404("No such candidate.")
    candidate_services.candidate_restore(candidate=candidate)
    messages.success(request, "The pair is a candidate again.")
    return redirect(candidate.get_absolute_url())


@login_required
@permission_required(VIEW_RUNS, raise_exception=True)
def run_list(request):
    page = Paginator(overlap_run_list(), 20).get_page(request.GET.get("page"))
    audience = audience_of(request.user)
    runs = list(page.object_list)
    for run in runs:
        run.shown_counts = run.counts_for(audience)
    current_run = overlap_run_current()
    if current_run is not None:
        current_run.shown_counts = current_run.counts_for(audience)
    active_run = overlap_run_active()
    return render(
        request,
        "partnerships/run_list.html",
        {
            "page_obj": page,
            "runs": runs,
            "active_run": active_run,
            "progress": overlap_run_progress(active_run) if active_run else None,
            "current_run": current_run,
            "can_start": request.user.has_perm(START_RUN),
            "start_form": RunStartForm(),
        },
    )


@login_required
@permission_required(START_RUN, raise_exception=True)
@require_POST
def run_start(request):
    form = RunStartForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {errors[0]}")
        return redirect("partnerships:run_list")
    try:
        run, created = overlap_run_request(
            trigger=RunTrigger.MANUAL, user=request.user, parameters=form.parameters()
        )
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("partnerships:run_list")
    if created:
        messages.success(request, f"Run #{run.pk} started.")
    else:
        messages.info(request, f"Run #{run.pk} is already in progress; follow it below.")
    return redirect("partnerships:run_list")


@login_required
@permission_required(VIEW_RUNS, raise_exception=True)
def run_detail(request, pk: int):
    run = get_object_or_404(overlap_run_list(), pk=pk)
    return render(
        request,
        "partnerships/run_detail.html",
        {
            "run": run,
            "counts": run.counts_for(audience_of(request.user)),
            "progress": overlap_run_progress(run),
        },
    )


@login_required
@permission_required(VIEW_RUNS, raise_exception=True)
def run_status(request, pk: int):
    run = get_object_or_404(OverlapRun, pk=pk)
    return JsonResponse(overlap_run_status(run))


@login_required
def methodology(request):
    return render(
        request,
        "partnerships/methodology.html",
        {
            "defaults": Parameters(),
            "current_run": overlap_run_current(),
            "rows_per_chunk": ROWS_PER_CHUNK,
            "inclusive_kinds": [kind.label for kind in INCLUSIVE_KINDS],
            "examples": methodology_examples(Parameters()),
            "k_examples": [int(k) for k in Parameters().k_of([1, 16, 100])],
        },
    )
