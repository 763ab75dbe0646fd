"""The officers' upload page: tagged files imported by a job, untagged ones mapped first."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from stakeholders.choices import Sensitivity
from stakeholders.models import Stakeholder
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory
from threew.models import ThreeWSource

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, name: str, capture, *, source: str = "", content: bytes | None = None):
    content = (FILES / name).read_bytes() if content is None else content
    with capture(execute=True):
        return client.post(
            reverse("threew_import:upload"),
            {"file": SimpleUploadedFile(name, content), "source": source},
        )


def test_only_officers_and_administrators_may_import(client, analyst, officer):
    login_verified(client, analyst)
    assert client.get(reverse("threew_import:upload")).status_code == 403
    login_verified(client, officer)
    page = client.get(reverse("threew_import:upload"))
    assert page.status_code == 200 and b"Import 3W / 4W data" in page.content


def test_a_tagged_file_is_imported_and_the_report_shown(
    client, officer, tmp_path, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    response = upload(client, "well-formed.csv", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and "/columns/" not in response.url
    page = client.get(response.url)
    assert b"Imported" in page.content and b"Rows read 4: imported 4" in page.content
    assert Stakeholder.objects.count() == 5
    assert not list((tmp_path / "threew-uploads").iterdir())  # deleted once imported
    # Another officer does not see the job.
    client.force_login(UserFactory(roles=["program officer"]))
    assert client.get(response.url).status_code == 404


def test_an_untagged_file_is_mapped_on_a_form_then_imported(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    response = upload(
        client, "untagged.csv", django_capture_on_commit_callbacks, source="Savannah 3W"
    )
    assert response.url.endswith("/columns/")
    form = client.get(response.url)
    # The guesses are offered: Organisation → #org, Region → #adm1.
    assert b'<option value="#org" selected>' in form.content
    assert b'<option value="#adm1" selected>' in form.content
    columns = {f"column_{index}": "" for index in range(7)}
    refused = client.post(response.url, columns)
    assert b"Map at least one column to an organisation" in refused.content
    columns.update(column_0="#org+impl", column_3="#sector", column_4="#adm1")
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response.url, columns)
    page = client.get(done.url)
    assert b"Rows read 3: imported 3" in page.content
    assert ThreeWSource.objects.get(name="Savannah 3W").column_map["Organisation"] == "#org+impl"
    assert Stakeholder.objects.count() == 2  # the donor column was not mapped


def test_a_broken_file_is_refused_on_the_form(client, officer, django_capture_on_commit_callbacks):
    login_verified(client, officer)
    response = upload(client, "junk.csv", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and b"contains NUL bytes" in response.content
    response = upload(client, "notes.txt", django_capture_on_commit_callbacks, content=b"a")
    assert b"is not a .csv or .xlsx file" in response.content


def test_a_file_with_nothing_to_import_fails_and_says_why(
    client, officer, django_capture_on_commit_callbacks
):
    login_verified(client, officer)
    response = upload(client, "no-org.csv", django_capture_on_commit_callbacks)
    page = client.get(response.url)
    assert b"Not imported." in page.content and b"has no organisation column" in page.content
    assert b"The registry is unchanged" in page.content


def test_an_uncleared_officer_learns_nothing_of_a_restricted_namesake(
    client, officer, django_capture_on_commit_callbacks
):
    StakeholderFactory(name="Women of the Coast", sensitivity=Sensitivity.RESTRICTED)
    login_verified(client, officer)
    response = upload(client, "well-formed.csv", django_capture_on_commit_callbacks)
    page = client.get(response.url).content.decode()
    # Exactly the report of a registry without it: nothing found, five created.
    assert "organisations found in the registry: 0" in page
    assert "stakeholders created       5" in page


def test_a_report_that_counts_a_restricted_match_is_for_cleared_eyes(
    client, django_capture_on_commit_callbacks
):
    StakeholderFactory(name="Women of the Coast", sensitivity=Sensitivity.RESTRICTED)
    cleared = UserFactory(roles=["program officer"], cleared=True)
    login_verified(client, cleared)
    response = upload(client, "well-formed.csv", django_capture_on_commit_callbacks)
    assert b"organisations found in the registry: 1" in client.get(response.url).content
    cleared.user_permissions.clear()  # clearance withdrawn: the report is gone with it
    client.force_login(type(cleared).objects.get(pk=cleared.pk))
    assert client.get(response.url).status_code == 404
