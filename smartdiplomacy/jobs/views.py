"""The Jobs page: every background run the reader may see, newest first."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .filtersets import JobFilterSet
from .presentation import jobs_annotate
from .selectors import job_visible_to

PAGE_SIZE = 50


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    filterset = JobFilterSet(request.GET or None, queryset=job_visible_to(request.user))
    jobs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/job_list.html",
        {"page_obj": page, "jobs": jobs_annotate(page.object_list), "filter": filterset},
    )
