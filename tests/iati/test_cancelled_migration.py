"""Migration iati/0007: folder imports cancelled before it, which read "failed", turn cancelled
as their jobs are; the others are left as they were, and going back undoes it."""

import importlib

import pytest
from django.apps import apps

from iati.models import IatiImportRun
from smartdiplomacy.jobs.models import Job

pytestmark = pytest.mark.django_db

migration = importlib.import_module("iati.migrations.0007_import_run_cancelled")


def test_runs_whose_jobs_were_cancelled_turn_cancelled_and_back():
    for token, run_status, job_status in (
        ("cancelled1", "failed", "cancelled"),
        ("failed1", "failed", "failed"),
        ("done1", "done", "succeeded"),
    ):
        IatiImportRun.objects.create(token=token, status=run_status, error="…")
        Job.objects.create(kind="iati_import", detail_key=token, status=job_status)

    migration.forwards(apps, None)
    statuses = dict(IatiImportRun.objects.values_list("token", "status"))
    assert statuses == {"cancelled1": "cancelled", "failed1": "failed", "done1": "done"}
    migration.backwards(apps, None)
    assert IatiImportRun.objects.get(token="cancelled1").status == "failed"
