"""Pages of the overlap job: candidates (list, detail, dismiss), runs (list, detail, start,
live status) and the methodology. Views parse input and call selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.selectors import audience_of

from . import services
from .choices import RunTrigger
from .filtersets import CandidateFilterSet
from .forms import DismissForm, RunStartForm
from .models import OverlapRun
from .overlap import Parameters
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


@login_required
@permission_required(VIEW_CANDIDATES, raise_exception=True)
def candidate_list(request):
    filterset = CandidateFilterSet(
        request.GET, queryset=candidate_visible_to(request.user), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    candidates = list(page.object_list)
    explanations = candidate_explanations(candidates)
    for candidate in candidates:
        candidate.explanation = explanations[candidate.pk]
    return render(
        request,
        "partnerships/candidate_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "candidates": candidates,
            "filtered_stakeholder": filterset.form.cleaned_data.get("stakeholder")
            if filterset.is_valid()
            else None,
            "current_run": overlap_run_current(),
            "proposal_url": _proposal_url(request.user),
            "can_dismiss": request.user.has_perm(DISMISS),
        },
    )


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
            services.candidate_dismiss(
                candidate=candidate, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Dismissed. The pair stays dismissed after later runs.")
            return redirect(request.POST.get("next") or candidate.get_absolute_url())
    return _candidate_page(request, candidate, dismiss_form=form, status=400)


@login_required
@permission_required(DISMISS, raise_exception=True)
@require_POST
def candidate_restore(request, a: int, b: int):
    candidate = candidate_of_pair(user=request.user, a=a, b=b)
    if candidate is None:
        raise Http404("No such candidate.")
    services.candidate_restore(candidate=candidate)
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
    return render(
        request,
        "partnerships/run_list.html",
        {
            "page_obj": page,
            "runs": runs,
            "active_run": overlap_run_active(),
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
        run, created = services.overlap_run_request(
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
        {"run": run, "counts": run.counts_for(audience_of(request.user))},
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
            "rows_per_chunk": services.ROWS_PER_CHUNK,
            "inclusive_kinds": [kind.label for kind in services.INCLUSIVE_KINDS],
            "examples": methodology_examples(Parameters()),
            "k_examples": [int(k) for k in Parameters().k_of([1, 16, 100])],
        },
    )
