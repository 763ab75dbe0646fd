"""Administrators upload an IATI file; a background job imports it and the page shows progress."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.roles import Role, user_has_role
from smartdiplomacy.exceptions import ApplicationError

from .forms import IatiUploadForm
from .jobs import iati_job_create, iati_job_get


def _administrator_or_403(user) -> None:
    if not user_has_role(user, Role.ADMINISTRATOR):
        raise PermissionDenied("Only administrators import IATI files.")


def _job_or_404(request, token: str) -> dict:
    job = iati_job_get(token)
    if job is None or job.get("user_id") != request.user.pk:
        raise Http404("No such import.")
    return job


@login_required
def upload(request):
    _administrator_or_403(request.user)
    form = IatiUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            token = iati_job_create(user=request.user, uploaded_file=form.cleaned_data["file"])
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            return redirect("iati_import:job", token=token)
    return render(request, "iati/upload.html", {"form": form})


@login_required
def job(request, token: str):
    _administrator_or_403(request.user)
    return render(request, "iati/job.html", {"job": _job_or_404(request, token)})


@login_required
@require_GET
def job_status(request, token: str):
    _administrator_or_403(request.user)
    job = _job_or_404(request, token)
    return JsonResponse(
        {key: job.get(key) for key in ("status", "phase", "done", "error", "report", "seconds")}
    )
