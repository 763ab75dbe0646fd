"""Officers upload a 3W file; untagged files get their columns mapped; a job imports it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from smartdiplomacy.exceptions import ApplicationError

from .forms import ThreeWMappingForm, ThreeWUploadForm
from .jobs import (
    threew_job_create,
    threew_job_get,
    threew_job_map,
    threew_job_row,
    threew_job_status_payload,
    threew_job_waits_for_mapping,
    user_can_import_3w,
)


def _officer_or_403(user) -> None:
    if not user_can_import_3w(user):
        raise PermissionDenied("Only program officers and administrators import 3W files.")


def _job_or_404(request, token: str) -> dict:
    job = threew_job_get(token=token, user=request.user)
    if job is None:
        raise Http404("No such import.")
    return job


@login_required
def upload(request):
    _officer_or_403(request.user)
    form = ThreeWUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = threew_job_create(
                user=request.user,
                uploaded_file=form.cleaned_data["file"],
                source_name=form.cleaned_data["source"],
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            if threew_job_waits_for_mapping(job):
                return redirect("threew_import:job_map", token=job["token"])
            return redirect("threew_import:job", token=job["token"])
    return render(request, "threew/upload.html", {"form": form})


@login_required
def job_map(request, token: str):
    _officer_or_403(request.user)
    job = _job_or_404(request, token)
    if not threew_job_waits_for_mapping(job):
        return redirect("threew_import:job", token=token)
    form = ThreeWMappingForm(
        request.POST or None, headers=job["headers"], proposed=job.get("proposed") or {}
    )
    if request.method == "POST" and form.is_valid():
        try:
            threew_job_map(token=token, user=request.user, mapping=form.mapping())
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            return redirect("threew_import:job", token=token)
    return render(request, "threew/map.html", {"job": job, "form": form})


@login_required
def job(request, token: str):
    _officer_or_403(request.user)
    job = _job_or_404(request, token)
    if threew_job_waits_for_mapping(job):
        return redirect("threew_import:job_map", token=token)
    return render(request, "threew/job.html", {"job": job, "progress": threew_job_row(job)})


@login_required
@require_GET
def job_status(request, token: str):
    """The upload's job for ``static/js/jobs.js``: the one progress partial's fields."""
    _officer_or_403(request.user)
    job = _job_or_404(request, token)
    if threew_job_waits_for_mapping(job):
        raise Http404("This upload is waiting for its columns to be mapped.")
    return JsonResponse(threew_job_status_payload(job))
