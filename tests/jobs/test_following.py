"""Each kind of background work reports to its job row through the task code it already runs."""

import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from graph.services import graph_snapshots_refresh
from index import services as index_services
from index.models import Methodology, RescoreRun
from partnerships.models import OverlapRun
from partnerships.overlap.runs import overlap_run_request, run_fail
from smartdiplomacy.jobs.models import Job
from stakeholders.imports.services import import_job_create
from stakeholders.models import ImportJob
from tests.index.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_an_overlap_run_is_a_job_from_queued_to_succeeded(
    administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run, created = overlap_run_request(user=administrator)
    run.refresh_from_db()
    job = Job.objects.get(kind="overlap", detail_key=str(run.pk))
    assert run.status == "succeeded"
    assert (job.status, job.percent, job.started_by, job.restricted) == (
        "succeeded", 100, administrator, False,
    )  # fmt: skip
    assert run.started_at <= job.started_at <= job.finished_at


def test_a_failed_overlap_run_fails_its_job_with_the_reason():
    run = OverlapRun.objects.create(trigger="changes")
    from partnerships.jobs import overlap_job_enqueue

    overlap_job_enqueue(run)
    run_fail(run.pk, "The worker w1 stopped.")
    job = Job.objects.get(kind="overlap")
    # Set off by stake changes: possibly hidden ones, so cleared people only.
    assert (job.status, job.error, job.restricted) == ("failed", "The worker w1 stopped.", True)


def test_a_rescore_run_is_a_job_with_its_engagements_as_progress(
    administrator, django_capture_on_commit_callbacks
):
    EngagementFactory.create_batch(3)
    methodology = Methodology.objects.get(published=True)
    with django_capture_on_commit_callbacks(execute=True):
        run = index_services.rescore_run_start(methodology=methodology, user=administrator)
    run.refresh_from_db()
    job = Job.objects.get(kind="rescore", detail_key=str(run.pk))
    assert run.status == RescoreRun.Status.DONE
    assert (job.status, job.progress_done, job.progress_total, job.started_by) == (
        "succeeded", 3, 3, administrator,
    )  # fmt: skip


def test_a_registry_import_is_one_job_checked_then_written(officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(
        "actors.csv", b"name,kind,sensitivity\nWomen of Gao,womens_group,restricted\n"
    )
    from stakeholders.imports.services import import_job_dry_run

    job = import_job_create(user=officer, kind=ImportJob.Kind.STAKEHOLDERS, uploaded_file=upload)
    row = Job.objects.get(kind="registry_import", detail_key=str(job.pk))
    assert (row.status, row.started_by, row.restricted) == ("queued", officer, False)
    job = import_job_dry_run(job=job)
    row.refresh_from_db()
    expected = "succeeded" if job.status == ImportJob.Status.VALIDATED else "failed"
    assert row.status == expected and row.finished_at is not None
    # A file naming a restricted actor makes its job cleared-only, like the import's page.
    assert row.restricted is job.involves_restricted is True


def test_a_graph_refresh_is_a_restricted_job_counted_in_audiences():
    graph_snapshots_refresh(layout=False)
    job = Job.objects.get(kind="graph_refresh")
    assert (job.status, job.progress_done, job.progress_total, job.restricted) == (
        "succeeded", 2, 2, True,
    )  # fmt: skip


def test_the_backfill_makes_a_job_of_every_run_recorded_before(officer):
    migration = importlib.import_module("smartdiplomacy.jobs.migrations.0002_job_backfill_runs")
    methodology = Methodology.objects.get(published=True)
    overlap = OverlapRun.objects.create(
        status="failed", is_active=False, error="Lost.", started_by=officer, trigger="changes"
    )
    rescore = RescoreRun.objects.create(
        methodology=methodology, status="done", total=4, done=4, started_by=officer
    )
    imported = ImportJob.objects.create(
        kind="stakeholders", original_filename="a.csv", status="invalid", error_count=2,
        created_by=officer, involves_restricted=True,
    )  # fmt: skip
    apps.get_model("iati", "IatiImportRun").objects.create(token="t0k", status="running")
    Job.objects.all().delete()
    OverlapRun.objects.filter(pk=overlap.pk).update(created_at="2026-01-02T03:04:05Z")

    migration.backfill(apps, None)
    migration.backfill(apps, None)  # safe to repeat

    jobs = {(job.kind, job.detail_key): job for job in Job.objects.all()}
    assert set(jobs) == {
        ("overlap", str(overlap.pk)), ("rescore", str(rescore.pk)),
        ("registry_import", str(imported.pk)), ("iati_import", "t0k"),
    }  # fmt: skip
    job = jobs["overlap", str(overlap.pk)]
    assert (job.status, job.error, job.restricted, job.started_by) == (
        "failed", "Lost.", True, officer,
    )  # fmt: skip
    assert job.created_at.isoformat() == "2026-01-02T03:04:05+00:00"
    job = jobs["rescore", str(rescore.pk)]
    assert (job.status, job.progress_done, job.progress_total) == ("succeeded", 4, 4)
    job = jobs["registry_import", str(imported.pk)]
    assert (job.status, job.restricted) == ("failed", True)
    assert job.error == "The file has errors in 2 row(s)."
    assert jobs["iati_import", "t0k"].status == "running"
    # The model's own creation time is automatic again afterwards.
    assert Job._meta.get_field("created_at").auto_now_add is True


def test_an_iati_folder_import_is_a_job_with_files_done_of_files_as_progress(
    administrator, tmp_path, django_capture_on_commit_callbacks
):
    import shutil
    from pathlib import Path

    from iati.jobs import iati_folder_job_create, iati_job_resume

    seven = Path(__file__).parents[1] / "iati/files/dportal-foodsecurity-7-activities.xml"
    folder = tmp_path / "two"
    folder.mkdir()
    shutil.copy(seven, folder / "a.xml")
    with django_capture_on_commit_callbacks(execute=True):
        token = iati_folder_job_create(user=administrator, paths=[folder])
    job = Job.objects.get(kind="iati_import", detail_key=token)
    assert (job.status, job.progress_done, job.progress_total, job.started_by, job.error) == (
        "succeeded", 1, 1, administrator, "",
    )  # fmt: skip
    # A finished import cannot be resumed: refused, and its job left as it ended.
    from smartdiplomacy.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        iati_job_resume(token=token)
    assert list(Job.objects.filter(kind="iati_import").values_list("status", flat=True)) == [
        "succeeded"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_registry_import_shows_its_rows_written_on_its_job_while_it_writes(
    officer, settings, tmp_path, monkeypatch
):
    """The write is one transaction; its progress reaches the job row at once (a second
    connection), so the Jobs page and the import's page move while it writes."""
    from smartdiplomacy.jobs.live import JobLiveReport
    from stakeholders.imports import services as import_services

    settings.MEDIA_ROOT = tmp_path
    rows = "".join(f"Group {n},womens_group\n" for n in range(5))
    upload = SimpleUploadedFile("actors.csv", f"name,kind\n{rows}".encode())
    job = import_job_create(user=officer, kind=ImportJob.Kind.STAKEHOLDERS, uploaded_file=upload)
    job = import_services.import_job_dry_run(job=job)
    assert job.status == ImportJob.Status.VALIDATED, job.report
    monkeypatch.setattr(import_services, "WRITE_BATCH_SIZE", 2)
    seen = []
    report = JobLiveReport.progress

    def progress(self, *, done, total=None, phase=""):
        report(self, done=done, total=total, phase=phase)
        # Read from inside the import's transaction: what any other reader sees now.
        row = Job.objects.get(kind="registry_import", detail_key=str(job.pk))
        seen.append((row.phase, row.progress_done, row.progress_total, row.status))

    monkeypatch.setattr(JobLiveReport, "progress", progress)
    monkeypatch.setattr(import_services, "enqueue_on_commit", lambda task, *args, **options: None)
    import_services.import_job_queue_apply(job=job, user=officer)
    job = import_services.import_job_apply(job=job)  # the task's work, here
    assert job.status == ImportJob.Status.DONE, seen
    assert [entry for entry in seen if entry[0] == "writing"] == [
        ("writing", 2, 5, "running"), ("writing", 4, 5, "running"), ("writing", 5, 5, "running"),
    ]  # fmt: skip
    finished = Job.objects.get(kind="registry_import", detail_key=str(job.pk))
    assert (finished.status, finished.progress_done, finished.progress_total) == (
        "succeeded", 5, 5,
    )  # fmt: skip
