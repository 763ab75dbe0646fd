"""Migration 0015: registry imports cancelled before it, which read "failed", turn cancelled as
their jobs are; the others are left as they were, and going back undoes it."""

import importlib

import pytest
from django.apps import apps

from smartdiplomacy.jobs.models import Job
from stakeholders.models import ImportJob

from .test_views import make_job

pytestmark = pytest.mark.django_db

migration = importlib.import_module("stakeholders.migrations.0015_import_job_cancelled")


def test_imports_whose_jobs_were_cancelled_turn_cancelled_and_back(officer):
    cancelled = make_job(officer, status="failed", error_message="Cancelled: nothing was imported.")
    failed = make_job(officer, status="failed", error_message="The file has no header.")
    done = make_job(officer, status="done")
    for imported, status in ((cancelled, "cancelled"), (failed, "failed"), (done, "succeeded")):
        Job.objects.create(kind="registry_import", detail_key=str(imported.pk), status=status)

    migration.forwards(apps, None)
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {cancelled.pk: "cancelled", failed.pk: "failed", done.pk: "done"}
    migration.backwards(apps, None)
    assert ImportJob.objects.get(pk=cancelled.pk).status == "failed"
