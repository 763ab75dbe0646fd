"""The one FilterSet of the job list, used by the Jobs page and the API."""

import django_filters

from .models import Job, JobKind, JobStatus


class JobFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=JobKind.choices, label="Kind")
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices, label="Status")

    class Meta:
        model = Job
        fields = ["kind", "status"]
