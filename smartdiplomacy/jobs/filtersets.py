"""The one FilterSet of the job list, used by the Jobs page and the API."""

import django_filters
from django import forms

from .models import Job, JobKind, JobStatus


class JobFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=JobKind.choices, label="Kind", widget=forms.CheckboxSelectMultiple
    )
    status = django_filters.MultipleChoiceFilter(
        choices=JobStatus.choices, label="Status", widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Job
        fields = ["kind", "status"]
