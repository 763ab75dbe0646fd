"""The import pages: who may use them, the upload, the job page, its live status, the import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from stakeholders.models import ImportJob, Stakeholder
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified

from .conftest import csv_bytes, fixture_bytes

pytestmark = pytest.mark.django_db

Status = ImportJob.Status


def make_job(user, **fields) -> ImportJob:
    defaults = {"kind": "stakeholders", "original_filename": "x.csv", "file": "imports/x.csv"}
    return ImportJob.objects.create(created_by=user, **{**defaults, **fields})


def page_urls(job) -> list[str]:
    return [
        reverse("stakeholder_imports:job_list"),
        reverse("stakeholder_imports:job_detail", args=[job.pk]),
        reverse("stakeholder_imports:job_status", args=[job.pk]),
        reverse("stakeholder_imports:template_download", args=["stakeholders"]),
    ]


def test_anonymous_is_sent_to_log_in(client, officer):
    job = make_job(officer)
    for url in page_urls(job):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["analyst", "reviewer"])
def test_readers_may_not_import(client, role, officer):
    job = make_job(officer)
    login_verified(client, UserFactory(roles=[role]))
    for url in page_urls(job):
        assert client.get(url).status_code == 403, url
    apply_url = reverse("stakeholder_imports:job_apply", args=[job.pk])
    assert client.post(apply_url).status_code == 403


@pytest.mark.parametrize("fixture", ["officer", "administrator"])
def test_officers_and_administrators_may_import(client, fixture, request):
    user = request.getfixturevalue(fixture)
    job = make_job(user)
    login_verified(client, user)
    for url in page_urls(job):
        assert client.get(url).status_code == 200, url


def test_users_see_their_own_jobs_and_administrators_all(client, officer, administrator):
    other = UserFactory(roles=["program officer"])
    mine, theirs = (
        make_job(officer, original_filename="mine.csv"),
        make_job(other, original_filename="theirs.csv"),
    )
    login_verified(client, officer)
    page = client.get(reverse("stakeholder_imports:job_list")).content.decode()
    assert "mine.csv" in page and "theirs.csv" not in page
    assert (
        client.get(reverse("stakeholder_imports:job_detail", args=[theirs.pk])).status_code == 404
    )
    assert (
        client.get(reverse("stakeholder_imports:job_status", args=[theirs.pk])).status_code == 404
    )
    login_verified(client, administrator)
    page = client.get(reverse("stakeholder_imports:job_list")).content.decode()
    assert "mine.csv" in page and "theirs.csv" in page
    assert client.get(reverse("stakeholder_imports:job_detail", args=[mine.pk])).status_code == 200


def test_only_the_uploader_may_start_the_import(client, officer, administrator):
    job = make_job(officer, status=Status.VALIDATED, create_count=1)
    login_verified(client, administrator)
    page = client.get(reverse("stakeholder_imports:job_detail", args=[job.pk])).content.decode()
    assert "Only the person who uploaded the file can import it." in page
    assert client.post(reverse("stakeholder_imports:job_apply", args=[job.pk])).status_code == 403


def test_upload_refuses_other_file_types_with_a_clear_message(client, officer):
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholder_imports:job_list"),
        {"kind": "stakeholders", "file": SimpleUploadedFile("actors.txt", b"name,kind\nA,ngo\n")},
    )
    assert response.status_code == 400
    assert "&#x27;actors.txt&#x27; is not a .csv or .xlsx file" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_refuses_a_file_over_the_limit(client, officer, monkeypatch):
    from stakeholders.imports import services

    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 10)
    login_verified(client, officer)
    response = client.post(
        reverse("stakeholder_imports:job_list"),
        {"kind": "stakeholders", "file": SimpleUploadedFile("big.csv", b"name,kind\nA,ngo\n")},
    )
    assert response.status_code == 400
    assert "the largest file accepted is 0 MB" in response.content.decode()


def test_upload_check_and_import_in_the_browser(
    client, officer, sectors, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stakeholder_imports:job_list"),
            {
                "kind": "stakeholders",
                "file": SimpleUploadedFile("good.csv", fixture_bytes("stakeholders_good.csv")),
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Ready to import" in page and "Import 3 rows" in page
    assert "Women&#x27;s Peace Network (YE)" in page

    status = client.get(reverse("stakeholder_imports:job_status", args=[job.pk])).json()
    assert status["status"] == "validated" and status["active"] is False
    assert status["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("stakeholder_imports:job_apply", args=[job.pk]))
    assert response.status_code == 302
    assert Stakeholder.objects.count() == 3
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Imported." in page and "3 created" in page


def test_job_page_lists_every_error_with_row_column_and_reason(client, officer, sectors, upload):
    job = upload(officer, "stakeholders", fixture_bytes("stakeholders_bad.csv"))
    login_verified(client, officer)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Has errors" in page and "What is wrong" in page
    assert '<td class="num">4</td>' in page
    assert "Ensure this value is less than or equal to 1.0." in page
    assert "/import/" not in page, "no import button for a file with errors"


def test_job_page_of_a_running_job_polls_its_status(client, officer):
    job = make_job(officer, status=Status.VALIDATING, rows_total=200, rows_processed=50)
    login_verified(client, officer)
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'data-status-url="/registry/imports/{job.pk}/status/"' in page
    assert "js/jobs.js" in page and "data-job-progress" in page  # the one progress partial
    assert " · 50/200<" in page and " · 25%<" in page
    status = client.get(reverse("stakeholder_imports:job_status", args=[job.pk])).json()
    assert status == {
        "status": "validating",
        "status_label": "Checking",
        "phase": "",
        "rows_processed": 50,
        "rows_total": 200,
        "percent": 25,
        "active": True,
        "counts": {"create": 0, "update": 0, "unchanged": 0, "error": 0},
        "job": {
            "status": "running", "status_label": "Running", "phase": "", "detail": "",
            "progress_done": 50, "progress_total": 200, "percent": 25, "error": "",
            "active": True,
        },
    }  # fmt: skip


def test_what_an_import_is_doing_now_is_its_job_s_phase_alone(client, officer):
    from smartdiplomacy.jobs.services import job_enqueue, job_progress, job_start

    job = make_job(officer, status=Status.IMPORTING, rows_total=200, rows_processed=50)
    job_enqueue(kind="registry_import", detail_key=job.pk, user=officer)
    job_start(kind="registry_import", detail_key=job.pk, total=200)
    job_progress(kind="registry_import", detail_key=job.pk, done=50, phase="writing")
    assert "phase" not in {field.name for field in ImportJob._meta.get_fields()}
    login_verified(client, officer)
    status = client.get(reverse("stakeholder_imports:job_status", args=[job.pk])).json()
    assert (status["phase"], status["job"]["phase"]) == ("writing", "writing")
    assert ">writing<" in client.get(job.get_absolute_url()).content.decode()


def test_template_csv_has_every_column(client, officer):
    login_verified(client, officer)
    response = client.get(reverse("stakeholder_imports:template_download", args=["ties"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("from_stakeholder_id,from_stakeholder_ref,from_stakeholder_name,")
    assert client.get("/registry/imports/templates/nothing.csv").status_code == 404


def test_stakeholder_template_imports_as_is(officer, sectors, upload, client):
    login_verified(client, officer)
    response = client.get(reverse("stakeholder_imports:template_download", args=["stakeholders"]))
    job = upload(officer, "stakeholders", response.content, "template.csv")
    assert job.status == Status.VALIDATED and job.create_count == 1, job.report


@pytest.mark.parametrize("rows", [5, 50])
def test_job_list_query_count_does_not_grow(client, officer, django_assert_num_queries, rows):
    others = [UserFactory(roles=["program officer"]) for _ in range(3)]
    for n in range(rows):
        make_job(others[n % 3] if n % 2 else officer, original_filename=f"{n}.csv")
    admin = UserFactory(username="admin2", roles=["administrator"])
    login_verified(client, admin)
    client.get(reverse("stakeholder_imports:job_list"))  # warm the session
    # session, user, groups (role), permissions (x2: user + group), the device the session
    # passed the second factor with, the jobs: constant.
    with django_assert_num_queries(7):
        response = client.get(reverse("stakeholder_imports:job_list"))
    assert response.status_code == 200


def test_a_file_with_a_wrong_header_is_reported_on_its_page(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stakeholder_imports:job_list"),
            {
                "kind": "outcomes",
                "file": SimpleUploadedFile("o.csv", csv_bytes("title", "No theme")),
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Status.INVALID
    assert job.report["errors"][0]["message"] == "missing column 'theme': it is required."


# --- the import pages: role × clearance × job --------------------------------------------------
#
# A job is "restricted" when its file names restricted or confidential actors: its report shows
# their names and values, so only cleared users may open it, whoever uploaded it. Readers may not
# import at all (403 before any job is looked up, so they learn nothing about which jobs exist).

IMPORT_ROLES = ["analyst", "reviewer", "program officer", "administrator"]
IMPORTERS = {"program officer", "administrator"}
IMPORT_PAGES = {
    "job_list": lambda jobs: ("get", reverse("stakeholder_imports:job_list")),
    "template": lambda jobs: (
        "get",
        reverse("stakeholder_imports:template_download", args=["ties"]),
    ),
    "public_detail": lambda jobs: (
        "get",
        reverse("stakeholder_imports:job_detail", args=[jobs["public"].pk]),
    ),
    "public_status": lambda jobs: (
        "get",
        reverse("stakeholder_imports:job_status", args=[jobs["public"].pk]),
    ),
    "public_apply": lambda jobs: (
        "post",
        reverse("stakeholder_imports:job_apply", args=[jobs["public"].pk]),
    ),
    "restricted_detail": lambda jobs: (
        "get",
        reverse("stakeholder_imports:job_detail", args=[jobs["restricted"].pk]),
    ),
    "restricted_status": lambda jobs: (
        "get",
        reverse("stakeholder_imports:job_status", args=[jobs["restricted"].pk]),
    ),
    "restricted_apply": lambda jobs: (
        "post",
        reverse("stakeholder_imports:job_apply", args=[jobs["restricted"].pk]),
    ),
}


def expected_status(page: str, role: str, cleared: bool) -> int:
    if role not in IMPORTERS:
        return 403
    if page.startswith("restricted_") and not cleared:
        return 404  # exactly like a job that does not exist
    if page.endswith("_apply"):
        return 302  # back to the job's page, which says why (or that the import started)
    return 200


@pytest.fixture
def own_jobs():
    """build(user): a public and a restricted job by ``user``, with errors (not importable)."""

    def build(user) -> dict[str, ImportJob]:
        return {
            "public": make_job(
                user, original_filename="public-actors.csv", status=Status.INVALID, error_count=1
            ),
            "restricted": make_job(
                user,
                original_filename="restricted-actors.csv",
                status=Status.INVALID,
                error_count=1,
                involves_restricted=True,
            ),
        }

    return build


@pytest.mark.parametrize("page", list(IMPORT_PAGES))
@pytest.mark.parametrize("cleared", [False, True], ids=["uncleared", "cleared"])
@pytest.mark.parametrize("role", IMPORT_ROLES)
def test_import_page_matrix(client, own_jobs, role, cleared, page):
    user = UserFactory(roles=[role], cleared=cleared)
    jobs = own_jobs(user)
    method, url = IMPORT_PAGES[page](jobs)
    login_verified(client, user)
    assert getattr(client, method)(url).status_code == expected_status(page, role, cleared)


@pytest.mark.parametrize("cleared", [False, True], ids=["uncleared", "cleared"])
@pytest.mark.parametrize("role", sorted(IMPORTERS))
def test_import_list_names_a_restricted_job_only_to_the_cleared(client, own_jobs, role, cleared):
    user = UserFactory(roles=[role], cleared=cleared)
    own_jobs(user)
    login_verified(client, user)
    page = client.get(reverse("stakeholder_imports:job_list")).content.decode()
    assert "public-actors.csv" in page
    assert ("restricted-actors.csv" in page) is cleared


@pytest.mark.parametrize("cleared", [False, True], ids=["uncleared", "cleared"])
def test_an_administrator_sees_other_peoples_restricted_jobs_only_when_cleared(
    client, own_jobs, officer, cleared
):
    jobs = own_jobs(UserFactory(roles=["program officer"], cleared=True))
    administrator = UserFactory(roles=["administrator"], cleared=cleared)
    login_verified(client, administrator)
    url = reverse("stakeholder_imports:job_detail", args=[jobs["restricted"].pk])
    assert client.get(url).status_code == (200 if cleared else 404)
    # An officer never sees someone else's job, cleared or not.
    login_verified(client, officer)
    assert client.get(url).status_code == 404
