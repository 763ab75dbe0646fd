"""A 3W upload is a job of the one job model: queued, running, succeeded or failed, on /jobs/
for its uploader alone, its page showing the one progress partial."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smartdiplomacy.jobs.live import JobLiveReport
from smartdiplomacy.jobs.models import Job, JobKind, JobStatus
from stakeholders.choices import Sensitivity
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post(client, name: str, *, source: str = ""):
    return client.post(
        reverse("threew_import:upload"),
        {"file": SimpleUploadedFile(name, (FILES / name).read_bytes()), "source": source},
    )


def token_of(response) -> str:
    return response.url.rstrip("/").split("/")[-1]


def test_a_tagged_upload_is_a_job_queued_then_succeeded_with_its_rows(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, "well-formed.csv")
    job = Job.objects.get(kind=JobKind.THREEW_IMPORT, detail_key=token_of(response))
    assert job.status == JobStatus.QUEUED and job.started_by == officer
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and not job.error
    assert (job.progress_done, job.progress_total) == (4, 4)
    assert job.started_at and job.finished_at


def test_the_rows_read_are_the_jobs_progress_per_batch(
    client, officer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("threew.services.BATCH_SIZE", 2)
    seen: list[tuple[int, str]] = []
    monkeypatch.setattr(
        JobLiveReport,
        "progress",
        lambda self, done, total=None, phase="": seen.append((done, phase)),
    )
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "well-formed.csv")
    assert seen == [(2, "2 rows read"), (4, "4 rows read")]


def test_a_failed_upload_is_a_failed_job_with_its_error(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "no-org.csv")
    job = Job.objects.get(kind=JobKind.THREEW_IMPORT, detail_key=token_of(response))
    assert job.status == JobStatus.FAILED and "has no organisation column" in job.error
    page = client.get(response.url).content.decode()
    assert 'class="job-progress status-failed"' in page and "Not imported." in page


def test_an_untagged_upload_is_a_job_once_its_columns_are_mapped(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    response = post(client, "untagged.csv", source="Savannah 3W")
    assert not Job.objects.filter(kind=JobKind.THREEW_IMPORT).exists()  # waiting, not a run
    columns = {f"column_{index}": "" for index in range(7)}
    columns.update(column_0="#org+impl", column_3="#sector", column_4="#adm1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, columns)
    job = Job.objects.get(kind=JobKind.THREEW_IMPORT)
    assert job.status == JobStatus.SUCCEEDED and job.progress_done == 3


def test_the_job_is_on_the_jobs_page_for_its_uploader_only(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "well-formed.csv")
    jobs = client.get(reverse("jobs:job_list")).content.decode()
    assert "3W import" in jobs and response.url in jobs
    client.force_login(UserFactory(roles=["program officer"]))
    jobs = client.get(reverse("jobs:job_list")).content.decode()
    assert response.url not in jobs


def test_the_page_shows_the_progress_partial_its_endpoint_polls(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "well-formed.csv")
    token = token_of(response)
    page = client.get(response.url).content.decode()
    assert "data-job-progress" in page and "status-succeeded" in page and "Imported" in page
    assert reverse("threew_import:job_status", args=[token]) in page and "js/jobs.js" in page
    status = client.get(reverse("threew_import:job_status", args=[token])).json()
    assert status["job"]["status"] == "succeeded" and status["job"]["percent"] == 100
    client.force_login(UserFactory(roles=["program officer"]))
    assert client.get(reverse("threew_import:job_status", args=[token])).status_code == 404


def test_a_job_that_matched_a_restricted_stakeholder_is_for_cleared_eyes(
    client, django_capture_on_commit_callbacks
):
    StakeholderFactory(name="Women of the Coast", sensitivity=Sensitivity.RESTRICTED)
    cleared = UserFactory(roles=["program officer"], cleared=True)
    login_verified(client, cleared)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "well-formed.csv")
    assert Job.objects.get(kind=JobKind.THREEW_IMPORT).restricted
    assert response.url in client.get(reverse("jobs:job_list")).content.decode()
    cleared.user_permissions.clear()  # clearance withdrawn: the job is gone with it
    client.force_login(type(cleared).objects.get(pk=cleared.pk))
    assert response.url not in client.get(reverse("jobs:job_list")).content.decode()
    assert (
        client.get(reverse("threew_import:job_status", args=[token_of(response)])).status_code
        == 404
    )


def test_an_upload_queued_before_the_job_model_runs_as_a_job(officer, tmp_path):
    from django.core.cache import cache

    from threew.jobs import threew_job_run

    path = tmp_path / "old.csv"
    path.write_bytes((FILES / "well-formed.csv").read_bytes())
    old = {"token": "abc123", "status": "queued", "filename": "old.csv", "path": str(path)}
    cache.set("threew-job:abc123", {**old, "source": "Old 3W", "user_id": officer.pk})
    assert threew_job_run(token="abc123") == "succeeded"
    job = Job.objects.get(kind=JobKind.THREEW_IMPORT, detail_key="abc123")
    assert job.status == JobStatus.SUCCEEDED and job.started_by == officer
    assert threew_job_run(token="abc123") is None  # safe to repeat
