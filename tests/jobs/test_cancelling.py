"""Cancelling a job: who may, what is refused, the page and the API, and that a cancelled run
leaves the last good results in place."""

import dataclasses
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from accounts.services import token_issue
from partnerships.models import Candidate, OverlapRun
from partnerships.overlap import refresh, runs, steps
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.jobs.models import Job
from smartdiplomacy.jobs.services import (
    JobCancelled,
    job_cancel,
    job_cancel_check,
    job_enqueue,
    job_finish,
    job_start,
)
from tests.accounts.factories import UserFactory
from tests.api.conftest import with_token
from tests.conftest import login_verified
from tests.partnerships.conftest import _small_registry

pytestmark = pytest.mark.django_db

PAGE = reverse("jobs:job_list")


def _job(kind, key, *, user=None, restricted=False, status="running"):
    job_enqueue(kind=kind, detail_key=key, user=user, restricted=restricted, total=10)
    if status != "queued":
        job_start(kind=kind, detail_key=key)
    if status in ("succeeded", "failed"):
        job_finish(kind=kind, detail_key=key, status=status, error="Boom." * (status == "failed"))
    return Job.objects.get(kind=kind, detail_key=str(key))


def _cancel_url(job):
    return reverse("jobs:job_cancel", args=[job.pk])


def _api_url(pk):
    return reverse("jobs-api:job-cancel", args=[pk])


# --- the service --------------------------------------------------------------------------------


def test_whoever_started_a_job_cancels_it_and_late_reports_leave_it_cancelled(
    officer, django_capture_on_commit_callbacks
):
    job = _job("registry_import", 1, user=officer)
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, user=officer)
    job.refresh_from_db()
    assert (job.status, job.error) == ("cancelled", "Cancelled by officer.")
    assert job.finished_at is not None and job.phase == ""
    with pytest.raises(JobCancelled):
        job_cancel_check(kind="registry_import", detail_key=1)
    # The task's own report of its end (it failed as it stopped) does not overwrite the cancel.
    job_finish(kind="registry_import", detail_key=1, status="failed", error="Stopped.")
    job_start(kind="registry_import", detail_key=1)
    job.refresh_from_db()
    assert (job.status, job.error) == ("cancelled", "Cancelled by officer.")


def test_an_administrator_cancels_anyone_s_job_and_nobody_else_does(officer, administrator):
    other = UserFactory(username="officer.two", roles=["program officer"])
    job = _job("overlap", 7, user=other)
    with pytest.raises(PermissionDenied, match="whoever started this job"):
        job_cancel(job=job, user=officer)
    assert Job.objects.get(pk=job.pk).status == "running"
    job_cancel(job=job, user=administrator)
    assert Job.objects.get(pk=job.pk).status == "cancelled"


def test_a_finished_job_or_a_kind_that_cannot_stop_is_refused_naming_why(administrator):
    done = _job("overlap", 1, user=administrator, status="succeeded")
    with pytest.raises(ApplicationError) as refused:
        job_cancel(job=done, user=administrator)
    assert refused.value.field == "status" and "already finished (succeeded)" in str(refused.value)
    rescore = _job("rescore", 1, user=administrator)
    with pytest.raises(ApplicationError) as refused:
        job_cancel(job=rescore, user=administrator)
    assert refused.value.field == "kind" and "cannot be cancelled" in str(refused.value)
    assert set(Job.objects.values_list("status", flat=True)) == {"succeeded", "running"}


def test_a_job_one_may_not_see_is_missing_to_the_service(officer, administrator):
    restricted = _job("overlap", 2, user=administrator, restricted=True)
    with pytest.raises(Http404):
        job_cancel(job=restricted, user=administrator)  # an administrator, not cleared
    assert Job.objects.get(pk=restricted.pk).status == "running"


def test_the_kind_s_hook_is_told_by_whom_in_the_words_of_the_job_row(
    officer, monkeypatch, django_capture_on_commit_callbacks
):
    from smartdiplomacy.jobs import registry

    told = []
    spec = registry.kind_spec("overlap")
    monkeypatch.setitem(
        registry._kinds, "overlap", dataclasses.replace(spec, on_cancel=lambda *a: told.append(a))
    )
    job = _job("overlap", 5, user=officer)
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, user=officer)
    assert told == [("5", " by officer")]
    assert Job.objects.get(pk=job.pk).error == "Cancelled by officer."


# --- the page -----------------------------------------------------------------------------------


def test_the_page_offers_cancel_on_one_s_own_active_jobs_and_cancels_by_post(client, officer):
    other = UserFactory(username="officer.two", roles=["program officer"])
    mine = _job("overlap", 1, user=officer)
    theirs = _job("overlap", 2, user=other)
    finished = _job("overlap", 3, user=officer, status="failed")
    login_verified(client, officer)
    body = client.get(PAGE).content.decode()
    assert _cancel_url(mine) in body
    assert _cancel_url(theirs) not in body and _cancel_url(finished) not in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert client.get(_cancel_url(mine)).status_code == 405  # POST only
    response = client.post(_cancel_url(mine), follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert "Overlap run #1 cancelled." in response.content.decode()
    assert Job.objects.get(pk=mine.pk).status == "cancelled"
    # Someone else's job and a finished one: refused with the reason, nothing changed.
    body = client.post(_cancel_url(theirs), follow=True).content.decode()
    assert Job.objects.get(pk=theirs.pk).status == "running"
    body = client.post(_cancel_url(finished), follow=True).content.decode()
    assert "already finished (failed)" in body
    assert Job.objects.get(pk=finished.pk).status == "failed"


def test_the_page_answers_a_hidden_job_exactly_as_a_missing_one(client, administrator):
    hidden = _job("overlap", 2, user=administrator, restricted=True)
    login_verified(client, administrator)
    answer = client.post(_cancel_url(hidden))
    missing = client.post(reverse("jobs:job_cancel", args=[hidden.pk + 1000]))
    assert answer.status_code == missing.status_code == 404

    def page(response):  # the same page but for the request's own nonce and path
        text = re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())
        return text.replace(response.request["PATH_INFO"], "")

    assert page(answer) == page(missing)
    assert Job.objects.get(pk=hidden.pk).status == "running"


# --- the API ------------------------------------------------------------------------------------


def test_the_api_cancels_and_refuses_in_its_one_error_shape(client, officer):
    mine = _job("registry_import", 5, user=officer)
    login_verified(client, officer)
    answer = client.post(_api_url(mine.pk))
    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled" and answer.json()["error"] == (
        "Cancelled by officer."
    )
    again = client.post(_api_url(mine.pk))
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {
        "status": [
            "This job has already finished (cancelled): only a queued or running job can be "
            "cancelled."
        ]
    }
    token = token_issue(partner="Partner portal", created_by=None)
    assert with_token(token.plaintext).post(_api_url(mine.pk)).status_code in (401, 403)


def test_the_api_answers_a_hidden_job_exactly_as_a_missing_one(client, officer):
    other = UserFactory(username="officer.two", roles=["program officer"])
    theirs = _job("registry_import", 6, user=other)  # another officer's import: not visible
    restricted = _job("overlap", 9, user=officer, restricted=True)
    login_verified(client, officer)
    missing = client.post(_api_url(theirs.pk + 1000))
    for hidden in (theirs, restricted):
        answer = client.post(_api_url(hidden.pk))
        assert answer.status_code == missing.status_code == 404
        assert answer.json() == missing.json()
    assert set(Job.objects.values_list("status", flat=True)) == {"running"}


def test_the_api_refuses_someone_else_s_visible_job(client, officer):
    other = UserFactory(username="officer.two", roles=["program officer"])
    theirs = _job("overlap", 3, user=other)
    login_verified(client, officer)
    answer = client.post(_api_url(theirs.pk))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "permission_denied"
    assert Job.objects.get(pk=theirs.pk).status == "running"


# --- an overlap run cancelled while it writes ----------------------------------------------------


@pytest.fixture
def small_registry(db):
    with refresh.overlap_refresh_suspended():
        return _small_registry()


def test_a_run_cancelled_before_its_write_commits_keeps_the_previous_candidates(
    small_registry, administrator, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        good, _ = runs.overlap_run_request(user=administrator)
    good.refresh_from_db()
    assert good.status == "succeeded" and good.is_current
    before = sorted(Candidate.objects.filter(run=good).values_list("stakeholder_a", "score"))

    def cancelled_meanwhile():
        # As a cancel from another process, committed while the write was under way.
        Job.objects.filter(kind="overlap", status="running").update(status="cancelled")

    monkeypatch.setattr(steps, "_pause_before_commit", cancelled_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        doomed, _ = runs.overlap_run_request(user=administrator)
    doomed.refresh_from_db()
    good.refresh_from_db()
    assert doomed.status == "cancelled" and not doomed.is_current and not doomed.is_active
    assert doomed.error == "Cancelled. The previous candidates are still in place."
    assert good.is_current
    assert not Candidate.objects.filter(run=doomed).exists()
    assert sorted(Candidate.objects.filter(run=good).values_list("stakeholder_a", "score")) == (
        before
    )


def test_cancelling_a_queued_run_ends_it_and_its_task_does_nothing(
    small_registry, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # queued: its task not sent yet
        run, _ = runs.overlap_run_request(user=administrator)
    job = Job.objects.get(kind="overlap", detail_key=str(run.pk))
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, user=administrator)
    run.refresh_from_db()
    assert (run.status, run.is_active) == ("cancelled", False)
    assert run.error == "Cancelled by administrator. The previous candidates are still in place."
    steps.overlap_run_execute(run_id=run.pk)  # the task, delivered after all: nothing to do
    assert not OverlapRun.objects.get(pk=run.pk).is_current
    assert not Candidate.objects.filter(run=run).exists()
    assert Job.objects.get(pk=job.pk).status == "cancelled"
    # A new run may start at once (the cancelled one is no longer active).
    with django_capture_on_commit_callbacks(execute=False):
        _fresh, created = runs.overlap_run_request(user=administrator)
    assert created


# --- a registry import ----------------------------------------------------------------------------


def _upload(officer, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stakeholders.imports.services import import_job_create
    from stakeholders.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("actors.csv", b"name,kind\nWomen of Gao,womens_group\n")
    return import_job_create(user=officer, kind=ImportJob.Kind.STAKEHOLDERS, uploaded_file=upload)


def test_a_cancelled_registry_import_says_so_and_its_check_writes_nothing(
    client, officer, tmp_path, settings, django_capture_on_commit_callbacks
):
    from stakeholders.imports.services import import_job_dry_run

    imported = _upload(officer, tmp_path, settings)
    job = Job.objects.get(kind="registry_import", detail_key=str(imported.pk))
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, user=officer)
    imported.refresh_from_db()
    assert (imported.status, imported.error_message) == (
        "cancelled", "Cancelled by officer: nothing was imported."
    )  # fmt: skip
    imported = import_job_dry_run(job=imported)  # its task, delivered after all
    assert imported.status == "cancelled" and imported.create_count == 0
    assert Job.objects.get(pk=job.pk).status == "cancelled"
    # Its own page, its status endpoint and /jobs/ say the same word.
    login_verified(client, officer)
    page = client.get(imported.get_absolute_url()).content.decode()
    assert re.search(r'id="job-status-label">Cancelled<', page)
    assert "Cancelled by officer: nothing was imported." in page and "The import failed" not in page
    status = client.get(reverse("stakeholder_imports:job_status", args=[imported.pk])).json()
    assert (status["status"], status["job"]["status"]) == ("cancelled", "cancelled")


def test_a_check_that_finds_its_job_cancelled_stops_before_recording_a_result(
    officer, tmp_path, settings
):
    from stakeholders.imports.services import import_job_dry_run
    from stakeholders.models import ImportJob

    imported = _upload(officer, tmp_path, settings)
    # Cancelled by another process whose own end of the import has not run yet.
    ImportJob.objects.filter(pk=imported.pk).update(status="validating")
    Job.objects.filter(kind="registry_import").update(status="cancelled")
    imported = import_job_dry_run(job=imported)
    assert (imported.status, imported.error_message) == (
        "cancelled", "Cancelled: nothing was imported."
    )  # fmt: skip
    assert imported.validated_at is None


@pytest.mark.django_db(transaction=True)
def test_a_registry_import_cancelled_while_it_writes_rolls_back_at_its_next_batch(
    officer, tmp_path, settings, monkeypatch
):
    from django.db import DEFAULT_DB_ALIAS, connections

    from smartdiplomacy.jobs.live import JobLiveReport
    from stakeholders.imports import services as import_services
    from stakeholders.models import ImportJob, Stakeholder

    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "".join(f"Group {n},womens_group\n" for n in range(6))
    upload = SimpleUploadedFile("actors.csv", f"name,kind\n{rows}".encode())
    imported = import_services.import_job_create(
        user=officer, kind=ImportJob.Kind.STAKEHOLDERS, uploaded_file=upload
    )
    imported = import_services.import_job_dry_run(job=imported)
    monkeypatch.setattr(import_services, "WRITE_BATCH_SIZE", 2)
    monkeypatch.setattr(import_services, "enqueue_on_commit", lambda task, *a, **o: None)
    report = JobLiveReport.progress

    def progress(self, *, done, total=None, phase=""):
        if phase == "writing" and done == 2:
            # Someone cancels from another process (committed) while the first batch is in.
            other = connections.create_connection(DEFAULT_DB_ALIAS)
            with other.cursor() as cursor:
                cursor.execute(
                    "UPDATE jobs_job SET status = 'cancelled' WHERE kind = 'registry_import'"
                )
            other.close()
        report(self, done=done, total=total, phase=phase)

    monkeypatch.setattr(JobLiveReport, "progress", progress)
    import_services.import_job_queue_apply(job=imported, user=officer)
    imported = import_services.import_job_apply(job=imported)
    assert (imported.status, imported.error_message) == (
        "cancelled", "Cancelled: nothing was imported."
    )  # fmt: skip
    assert not Stakeholder.objects.filter(name__startswith="Group ").exists()  # rolled back
    assert Job.objects.get(kind="registry_import").status == "cancelled"


def test_an_iati_folder_import_cancelled_before_its_next_step_stops_there(
    administrator, tmp_path, django_capture_on_commit_callbacks
):
    import shutil
    from pathlib import Path

    from iati.jobs import (
        CANCELLED_FILES_KEPT,
        iati_folder_job_create,
        iati_job_get,
        iati_job_status_payload,
        iati_job_step,
    )
    from iati.models import IatiActivity, IatiImportRun

    seven = Path(__file__).parents[1] / "iati/files/dportal-foodsecurity-7-activities.xml"
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(seven, folder / "a.xml")
    with django_capture_on_commit_callbacks(execute=False):  # its first step not sent yet
        token = iati_folder_job_create(user=administrator, paths=[folder])
    job = Job.objects.get(kind="iati_import", detail_key=token)
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, user=administrator)
    status = iati_job_status_payload(iati_job_get(token))
    assert (status["status"], status["error"]) == ("cancelled", "Cancelled by administrator.")
    assert iati_job_step(token=token) == "cancelled"  # the step's task, delivered after all
    run = IatiImportRun.objects.get(token=token)
    assert (run.status, run.error) == (
        "cancelled",
        CANCELLED_FILES_KEPT.format(by=" by administrator"),
    )
    assert not IatiActivity.objects.exists()
    assert Job.objects.get(pk=job.pk).status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_cancelling_an_iati_folder_import_never_waits_for_its_step_at_work(
    administrator, tmp_path, monkeypatch
):
    from django.db import DEFAULT_DB_ALIAS, connections

    from iati import jobs as iati_jobs
    from iati.models import IatiImportRun

    monkeypatch.setattr(iati_jobs, "_step_enqueue", lambda token: None)

    seven = Path(__file__).parents[1] / "iati/files/dportal-foodsecurity-7-activities.xml"
    (tmp_path / "a.xml").write_bytes(seven.read_bytes())
    token = iati_jobs.iati_folder_job_create(user=administrator, paths=[tmp_path / "a.xml"])
    job = Job.objects.get(kind="iati_import", detail_key=token)
    # A step at work holds the run's row in its transaction, from another process.
    step = connections.create_connection(DEFAULT_DB_ALIAS)
    step.set_autocommit(False)
    with step.cursor() as cursor:
        cursor.execute("SET lock_timeout = '5s'")
        cursor.execute("SELECT id FROM iati_iatiimportrun WHERE token = %s FOR UPDATE", [token])
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # were the cancel to wait, it would fail
        job_cancel(job=job, user=administrator)
    finally:
        step.rollback()
        step.close()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert Job.objects.get(pk=job.pk).status == "cancelled"
    assert IatiImportRun.objects.get(token=token).status == "running"  # left to its step
