"""The administrators' upload page: a background job imports the file, the page shows progress."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from iati.jobs import ActivityCounter, iati_job_run
from iati.models import IatiActivity
from smartdiplomacy.jobs.models import Job
from smartdiplomacy.jobs.services import job_cancel
from stakeholders.models import Stakeholder
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.iati.urls")]

SEVEN = Path(__file__).parent / "files" / "dportal-foodsecurity-7-activities.xml"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, name: str, content: bytes, capture):
    with capture(execute=True):
        return client.post(
            reverse("iati_import:upload"), {"file": SimpleUploadedFile(name, content)}
        )


def test_only_administrators_see_the_page(client, officer, analyst):
    for user in (officer, analyst):
        login_verified(client, user)
        assert client.get(reverse("iati_import:upload")).status_code == 403


def test_an_upload_is_imported_by_a_job_with_a_report(
    client, administrator, tmp_path, django_capture_on_commit_callbacks
):
    login_verified(client, administrator)
    page = client.get(reverse("iati_import:upload"))
    assert page.status_code == 200 and b"Import IATI activities" in page.content
    response = upload(client, "seven.xml", SEVEN.read_bytes(), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    token = response.url.rstrip("/").split("/")[-1]
    status = client.get(reverse("iati_import:job_status", args=[token])).json()
    assert (status["status"], status["done"], status["total"]) == ("succeeded", 7, 7)
    assert any("stakes       created     20" in line for line in status["report"])
    assert IatiActivity.objects.count() == 7
    assert not list((tmp_path / "iati-uploads").iterdir())  # the upload is deleted once imported
    page = client.get(response.url)
    assert b"Imported" in page.content and b"seven.xml" in page.content
    assert b"Activities read: 7" in page.content and b"{{" not in page.content


def test_an_upload_s_job_has_its_activities_as_total_before_it_runs(
    client, administrator, django_capture_on_commit_callbacks
):
    login_verified(client, administrator)
    response = upload(
        client, "seven.xml", SEVEN.read_bytes(), _not_run(django_capture_on_commit_callbacks)
    )
    token = response.url.rstrip("/").split("/")[-1]
    job = Job.objects.get(kind="iati_import", detail_key=token)
    assert (job.status, job.progress_done, job.progress_total) == ("queued", 0, 7)
    assert b"0/7" in client.get(response.url).content  # the one progress partial: done/total


def test_activities_are_counted_across_chunks_and_the_file_s_root_is_not_one():
    counter = ActivityCounter()
    body = b'<iati-activities version="2.03"><iati-activity default-currency="EUR"/>'
    body += b"<iati-activity>x</iati-activity><iati-activity\n>y</iati-activity></iati-activities>"
    for size in (1, 3, 7, 15, len(body)):
        counter = ActivityCounter()
        for start in range(0, len(body), size):
            counter.feed(body[start : start + size])
        assert counter.count == 3, size


def test_a_cancelled_upload_reads_cancelled_on_its_page_as_on_the_jobs_page(
    client, administrator, django_capture_on_commit_callbacks
):
    login_verified(client, administrator)
    response = upload(
        client, "seven.xml", SEVEN.read_bytes(), _not_run(django_capture_on_commit_callbacks)
    )
    token = response.url.rstrip("/").split("/")[-1]
    job = Job.objects.get(kind="iati_import", detail_key=token)
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, user=administrator)
    assert iati_job_run(token=token) is None  # its task, delivered after all, does nothing
    status = client.get(reverse("iati_import:job_status", args=[token])).json()
    assert (status["status"], status["job"]["status"]) == ("cancelled", "cancelled")
    assert status["error"] == "Cancelled by administrator."
    page = client.get(response.url).content.decode()
    assert "Cancelled." in page and "Nothing was imported" in page and "Not imported" not in page
    assert not IatiActivity.objects.exists()


def _not_run(capture):
    """The upload's task queued, not run (as on a busy worker)."""
    return lambda execute: capture(execute=False)


def test_a_broken_upload_fails_and_changes_nothing(
    client, administrator, django_capture_on_commit_callbacks
):
    login_verified(client, administrator)
    response = upload(
        client,
        "broken.xml",
        b"<iati-activities><iati-activity>",
        django_capture_on_commit_callbacks,
    )
    token = response.url.rstrip("/").split("/")[-1]
    status = client.get(reverse("iati_import:job_status", args=[token])).json()
    assert status["status"] == "failed"
    assert "broken.xml" in status["error"] and "truncated" in status["error"]
    assert Stakeholder.objects.count() == 0
    assert b"The registry is unchanged" in client.get(response.url).content


def test_an_upload_where_nothing_could_be_used_fails_naming_why(
    client, administrator, django_capture_on_commit_callbacks
):
    login_verified(client, administrator)
    body = b"<iati-activity><iati-identifier/></iati-activity>" * 2
    response = upload(
        client,
        "no-ids.xml",
        b'<iati-activities version="1.01">' + body + b"</iati-activities>",
        django_capture_on_commit_callbacks,
    )
    token = response.url.rstrip("/").split("/")[-1]
    status = client.get(reverse("iati_import:job_status", args=[token])).json()
    assert status["status"] == "failed"
    assert "none of the 2 activities" in status["error"]
    assert "2 × no iati-identifier" in status["error"]
    assert any("Activities read: 2" in line for line in status["report"])
    assert b"Not imported" in client.get(response.url).content


def test_not_an_xml_file_name_is_refused_on_the_form(client, administrator):
    login_verified(client, administrator)
    response = client.post(
        reverse("iati_import:upload"), {"file": SimpleUploadedFile("data.csv", b"a,b")}
    )
    assert response.status_code == 200
    assert b"Upload an IATI activity file ending in .xml." in response.content


def test_another_administrators_job_is_not_found(
    client, administrator, django_capture_on_commit_callbacks
):
    login_verified(client, administrator)
    response = upload(client, "seven.xml", SEVEN.read_bytes(), django_capture_on_commit_callbacks)
    token = response.url.rstrip("/").split("/")[-1]
    login_verified(client, UserFactory(username="admin2", roles=["administrator"]))
    assert client.get(reverse("iati_import:job", args=[token])).status_code == 404
    assert client.get(reverse("iati_import:job_status", args=[token])).status_code == 404
    assert client.get(reverse("iati_import:job", args=["nosuchjob"])).status_code == 404
