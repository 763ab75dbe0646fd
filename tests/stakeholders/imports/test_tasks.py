"""The import runs as Celery tasks: in process on the embedded default, else on real workers."""

import pytest
from django.core.files.base import ContentFile

from stakeholders.imports.tasks import import_job_import, import_job_validate
from stakeholders.models import ImportJob, Stakeholder
from tests.conftest import wait_for

from .conftest import csv_bytes, fixture_bytes

Status = ImportJob.Status


def stored_job(user, content: bytes, kind: str = "stakeholders") -> ImportJob:
    job = ImportJob(kind=kind, original_filename="actors.csv", created_by=user)
    job.file.save("actors.csv", ContentFile(content), save=False)
    job.save()
    return job


@pytest.mark.django_db
def test_tasks_end_to_end_in_process(officer, sectors):
    job = stored_job(officer, fixture_bytes("stakeholders_good.csv"))
    assert import_job_validate.delay(job.pk).get() == Status.VALIDATED
    # Repeating the task does no harm: the job is past checking.
    assert import_job_validate.delay(job.pk).get() == Status.VALIDATED
    ImportJob.objects.filter(pk=job.pk).update(status=Status.IMPORTING)
    assert import_job_import.delay(job.pk).get() == Status.DONE
    assert import_job_import.delay(job.pk).get() == Status.DONE
    assert Stakeholder.objects.count() == 3


@pytest.mark.django_db
def test_tasks_for_a_vanished_job_return_quietly():
    assert import_job_validate.delay(987654).get() is None
    assert import_job_import.delay(987654).get() is None


@pytest.mark.django_db
def test_dry_run_reports_progress(officer, monkeypatch):
    from stakeholders.imports.planning import files as planning

    monkeypatch.setattr(planning, "BATCH_SIZE", 10)
    seen = []
    rows = [f"Actor {n},ngo,KE" for n in range(45)]
    job = stored_job(officer, csv_bytes("name,kind,country", *rows))
    result = planning.plan_file(
        path=job.file.path,
        kind="stakeholders",
        user=officer,
        on_progress=lambda done, total: seen.append((done, total)),
        progress_every=0,
    )
    assert result.counts["create"] == 45
    assert seen == [(10, 45), (20, 45), (30, 45), (40, 45), (45, 45)]


@pytest.mark.services
# Marked here, not only by the fixture, so that pytest-django runs it after the tests that rely on
# the roles of the data migrations (a transactional test empties the tables when it ends).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_validation_and_import_on_a_real_worker(start_celery_worker, officer, settings, tmp_path):
    # The worker process reads the uploaded file: point both at the same media directory.
    import os

    settings.MEDIA_ROOT = tmp_path / "shared-media"
    os.environ["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    try:
        worker = start_celery_worker()
    finally:
        del os.environ["MEDIA_ROOT"]
    rows = [f"Worker actor {n},ngo,KE" for n in range(2500)]
    job = stored_job(officer, csv_bytes("name,kind,country", *rows))

    import_job_validate.apply_async(args=[job.pk], queue=worker.queue)
    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == Status.VALIDATED,
        timeout=60,
        message=f"the worker did not check the file:\n{worker.log()[-3000:]}",
    )
    job.refresh_from_db()
    assert (job.rows_total, job.create_count, job.error_count) == (2500, 2500, 0)

    ImportJob.objects.filter(pk=job.pk).update(status=Status.IMPORTING)
    import_job_import.apply_async(args=[job.pk], queue=worker.queue)
    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == Status.DONE,
        timeout=60,
        message=f"the worker did not import the file:\n{worker.log()[-3000:]}",
    )
    assert Stakeholder.objects.filter(name__startswith="Worker actor").count() == 2500
    assert Stakeholder.history.filter(history_user=officer).count() == 2500


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_progress_is_visible_while_the_import_transaction_is_open(officer, monkeypatch):
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    from stakeholders.imports import services
    from stakeholders.imports.jobs import import_job_enqueue, import_job_follow
    from stakeholders.imports.planning import files as planning

    if connection.vendor != "postgresql":
        pytest.skip("live import progress needs a second writer: PostgreSQL only")
    monkeypatch.setattr(planning, "BATCH_SIZE", 50)
    monkeypatch.setattr(services, "WRITE_BATCH_SIZE", 50)
    rows = [f"Progress actor {n},ngo,KE" for n in range(200)]
    job = stored_job(officer, csv_bytes("name,kind,country", *rows))
    import_job_enqueue(job)  # its job, as an upload has (import_job_create)
    services.import_job_dry_run(job=job)
    ImportJob.objects.filter(pk=job.pk).update(status=Status.IMPORTING)
    import_job_follow(job.pk, phase="queued")  # as import_job_queue_apply does

    observer = connections.create_connection(DEFAULT_DB_ALIAS)
    seen = []
    original = services.ImportProgress.__call__

    def observed(progress, phase, done, total):
        original(progress, phase, done, total)
        with observer.cursor() as cursor:
            cursor.execute(  # the phase is the job's, the rows the import's own
                "SELECT job.phase, rows_processed, rows_total FROM stakeholders_importjob "
                "JOIN jobs_job job ON job.kind = 'registry_import' AND job.detail_key = "
                "stakeholders_importjob.id::text WHERE stakeholders_importjob.id = %s",
                [job.pk],
            )
            seen.append(cursor.fetchone())
            cursor.execute("SELECT count(*) FROM stakeholders_stakeholder")
            seen[-1] += cursor.fetchone()

    monkeypatch.setattr(services.ImportProgress, "__call__", observed)
    monkeypatch.setattr(planning, "PROGRESS_INTERVAL", 0)
    try:
        job = services.import_job_apply(job=ImportJob.objects.get(pk=job.pk))
    finally:
        observer.close()
    assert job.status == Status.DONE
    writing = [entry for entry in seen if entry[0] == "writing"]
    assert [entry[1:3] for entry in writing] == [(50, 200), (100, 200), (150, 200), (200, 200)]
    # Seen from outside while the transaction was open: progress, but not one stakeholder yet.
    assert all(entry[3] == 0 for entry in seen)
    assert any(entry[0] == "checking" for entry in seen)
