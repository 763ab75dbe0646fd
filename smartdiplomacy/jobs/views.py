"""The Jobs page: every background run the reader may see, newest first; cancelling one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from smartdiplomacy.exceptions import ApplicationError

from .filtersets import JobFilterSet
from .presentation import jobs_annotate
from .selectors import job_visible_to
from .services import job_cancel

PAGE_SIZE = 50


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    filterset = JobFilterSet(request.GET or None, queryset=job_visible_to(request.user))
    jobs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/job_list.html",
        {
            "page_obj": page,
            "jobs": jobs_annotate(page.object_list, user=request.user),
            "filter": filterset,
        },
    )


@login_required
@require_POST
def job_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a queued or running job; a job the reader may not see is missing (404)."""
    job = get_object_or_404(job_visible_to(request.user), pk=pk)
    try:
        job_cancel(job=job, user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{job.get_kind_display()} #{job.detail_key} cancelled.")
    return redirect("jobs:job_list")
