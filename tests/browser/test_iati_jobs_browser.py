"""The page of a folder job (one task per file): its files' table is usable on a phone."""

import shutil
from pathlib import Path

import pytest

from iati.jobs import iati_folder_job_create
from tests.accounts.factories import UserFactory
from tests.browser.conftest import screenshot

SEVEN = (
    Path(__file__).resolve().parents[1] / "iati" / "files" / "dportal-foodsecurity-7-activities.xml"
)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_folder_jobs_files_are_listed_and_fit(page, live_server, login, tmp_path, width):
    UserFactory(username="admin-iati", roles=["administrator"], is_staff=True)
    folder = tmp_path / "publishers"
    folder.mkdir()
    shutil.copy(SEVEN, folder / "fcdo-activities-2024.xml")
    shutil.copy(SEVEN, folder / "fcdo-activities-2024-copy.xml")
    from accounts.models import User

    token = iati_folder_job_create(user=User.objects.get(username="admin-iati"), paths=[folder])
    page.set_viewport_size({"width": width, "height": 800})
    login("admin-iati")
    page.goto(f"{live_server.url}/registry/iati/{token}/")
    page.wait_for_selector("#iati-job-files")
    assert "Imported" in page.inner_text("#iati-job-state")
    rows = page.locator("#iati-job-files tbody tr")
    assert rows.count() == 2
    assert "skipped (same content)" in page.inner_text("#iati-job-files")
    # Nothing wider than the screen but the scrolling table box itself.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    screenshot(page, f"iati-folder-job-{width}")
