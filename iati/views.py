"""Administrators upload an IATI file; a background job imports it and the page shows progress."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET

from accounts.roles import Role, user_has_role
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Kind

from . import mapping
from .codelists import codelist
from .forms import IatiUploadForm, KindOverrideForm
from .jobs import iati_job_create, iati_job_get, iati_job_row, iati_job_status_payload
from .kind_services import kind_override_delete, kind_override_set
from .models import KindOverride
from .selectors import kind_override_visible_to, organisation_type_counts


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
    job = _job_or_404(request, token)
    return render(request, "iati/job.html", {"job": job, "progress": iati_job_row(job)})


@login_required
@require_GET
def job_status(request, token: str):
    _administrator_or_403(request.user)
    job = _job_or_404(request, token)
    return JsonResponse(iati_job_status_payload(job))


def _officer_or_403(user) -> None:
    if not user_has_role(user, Role.PROGRAM_OFFICER, Role.ADMINISTRATOR):
        raise PermissionDenied("Only program officers and administrators review the kind mapping.")


@login_required
def kind_mapping(request):
    """The organisation type → kind mapping with the organisations per type the reader may see,
    and the overrides (per organisation, or per type in one publisher's activities)."""
    _officer_or_403(request.user)
    form = KindOverrideForm(request.POST if request.POST.get("action") == "set" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                override_id = request.POST.get("override", "")
                if not override_id.isdigit():
                    raise ApplicationError("No such override.", "override")
                kind_override_delete(override_id=int(override_id), user=request.user)
                messages.success(request, "Override deleted; stakeholders keep their kinds.")
                return redirect("iati_import:kind_mapping")
            if form.is_valid():
                override, changed = kind_override_set(user=request.user, **form.cleaned_data)
                messages.success(
                    request,
                    f"Saved “{override}”; {changed} existing stakeholder{pluralize(changed)} "
                    "changed kind.",
                )
                return redirect("iati_import:kind_mapping")
        except ApplicationError as error:
            error.add_to_form(form)
    overrides = list(kind_override_visible_to(request.user).order_by("scope", "ref", "org_type"))
    counts = organisation_type_counts(request.user)
    names = codelist("OrganisationType")
    rows = []
    for code in [*names, *sorted(set(counts) - set(names))]:
        kind, note = mapping.kind_for_org_type(code)
        rows.append(
            {
                "code": code or "—",
                "name": names.get(code, "not in the codelist" if code else "no type given"),
                "kind": dict(Kind.choices)[kind],
                "assumed": bool(note),
                "count": counts.get(code, 0),
                "publisher_overrides": [
                    o for o in overrides if o.scope == "publisher" and o.org_type == code
                ],
            }
        )
    return render(
        request,
        "iati/kind_mapping.html",
        {
            "form": form,
            "rows": rows,
            "organisation_overrides": [
                o for o in overrides if o.scope == KindOverride.Scope.ORGANISATION
            ],
            "publisher_overrides": [
                o for o in overrides if o.scope == KindOverride.Scope.PUBLISHER
            ],
            "total": sum(counts.values()),
        },
    )
