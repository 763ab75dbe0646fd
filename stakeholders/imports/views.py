"""Pages of registry imports: upload and recent jobs, one job's check and import, templates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from smartdiplomacy.jobs.presentation import job_progress_payload
from smartdiplomacy.spreadsheets import csv_response
from stakeholders.models import ImportJob

from .forms import ImportUploadForm
from .jobs import import_job_of
from .planning.files import PLANNERS
from .selectors import import_job_recent_for, import_job_visible_to, import_kinds_for
from .services import import_job_create, import_job_queue_apply

ACTIVE_STATUSES = (
    ImportJob.Status.UPLOADED,
    ImportJob.Status.VALIDATING,
    ImportJob.Status.IMPORTING,
)


def _kinds_or_403(user) -> list[str]:
    kinds = import_kinds_for(user)
    if not kinds:
        raise PermissionDenied("Only program officers and administrators import registry data.")
    return kinds


def _formats(kinds: list[str]) -> list[dict]:
    labels = dict(ImportJob.Kind.choices)
    return [
        {
            "kind": kind,
            "label": labels[kind],
            "columns": PLANNERS[kind].columns,
            "template_url": reverse("stakeholder_imports:template_download", args=[kind]),
        }
        for kind in kinds
    ]


@login_required
def job_list(request):
    kinds = _kinds_or_403(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                user=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect(job.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "stakeholder_imports/job_list.html",
        {
            "form": form,
            "jobs": import_job_recent_for(request.user),
            "formats": _formats(kinds),
        },
        status=status,
    )


def _visible_job(request, pk: int) -> ImportJob:
    _kinds_or_403(request.user)
    return get_object_or_404(import_job_visible_to(request.user), pk=pk)


@login_required
def job_detail(request, pk: int):
    job = _visible_job(request, pk)
    report = job.report or {}
    return render(
        request,
        "stakeholder_imports/job_detail.html",
        {
            "job": job,
            "report": report,
            # A whole-file problem is already said in the box at the top.
            "errors": [
                error for error in report.get("errors", []) if error["message"] != job.error_message
            ],
            "samples": report.get("samples", {}),
            "is_active": job.status in ACTIVE_STATUSES,
            "can_apply": job.status == ImportJob.Status.VALIDATED
            and job.error_count == 0
            and job.created_by_id == request.user.pk,
            "rows_to_write": job.create_count + job.update_count,
            "progress": import_job_of(job) if job.status in ACTIVE_STATUSES else None,
        },
    )


def _status_payload(job: ImportJob) -> dict:
    row = import_job_of(job)
    percent = None
    if job.rows_total:
        percent = min(100, round(100 * job.rows_processed / job.rows_total))
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "phase": row.phase,
        "rows_processed": job.rows_processed,
        "rows_total": job.rows_total,
        "percent": percent,
        "active": job.status in ACTIVE_STATUSES,
        "counts": {
            "create": job.create_count,
            "update": job.update_count,
            "unchanged": job.unchanged_count,
            "error": job.error_count,
        },
        # The one progress partial's fields (static/js/jobs.js).
        "job": job_progress_payload(row),
    }


@login_required
@require_GET
def job_status(request, pk: int):
    job = _visible_job(request, pk)
    return JsonResponse(_status_payload(job))


@login_required
@require_POST
def job_apply(request, pk: int):
    job = _visible_job(request, pk)
    try:
        import_job_queue_apply(job=job, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(job.get_absolute_url())


@login_required
@require_GET
def template_download(request, kind: str):
    kinds = _kinds_or_403(request.user)
    if kind not in kinds:
        raise Http404("No such template.")
    columns = PLANNERS[kind].columns
    return csv_response(
        filename=f"{kind}-template.csv",
        header=[column.name for column in columns],
        rows=[[column.example for column in columns]],
        streaming=False,
    )
