"""The Jobs page: every kind in one table with its progress, on a desktop and on a phone."""

import pytest

from smartdiplomacy.jobs.services import job_enqueue, job_finish, job_progress, job_start
from tests.accounts.factories import UserFactory
from tests.browser.conftest import screenshot


@pytest.mark.parametrize("width", [1280, 390])
def test_the_jobs_page_shows_progress_and_fits(
    django_db_serialized_rollback, page, live_server, login, width
):
    admin = UserFactory(username="admin-jobs", roles=["administrator"], is_staff=True)
    job_enqueue(kind="overlap", detail_key=1, user=admin, total=100)
    job_start(kind="overlap", detail_key=1)
    job_progress(kind="overlap", detail_key=1, done=40, phase="Comparing stakeholders")
    job_enqueue(kind="rescore", detail_key=2, user=admin)
    job_start(kind="rescore", detail_key=2, total=12)
    job_finish(kind="rescore", detail_key=2, status="succeeded")
    job_enqueue(kind="iati_import", detail_key="abc", user=admin)
    job_finish(kind="iati_import", detail_key="abc", status="failed", error="Line 3: not IATI XML.")
    page.set_viewport_size({"width": width, "height": 800})
    login("admin-jobs")
    page.goto(f"{live_server.url}/jobs/")
    table = page.inner_text(".jobs-table")
    assert "Comparing stakeholders" in table and "40%" in table
    assert "Line 3: not IATI XML." in table and "Succeeded" in table
    assert page.locator(".jobs-table tbody tr").count() == 3
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    screenshot(page, f"jobs-{width}")
    # The running job has a Cancel button (its starter is reading); the finished ones do not.
    assert page.locator("form.job-cancel button").count() == 1
    page.click("form.job-cancel button")
    page.wait_for_selector(".messages")
    assert "Overlap run #1 cancelled." in page.inner_text(".messages")
    assert "Cancelled by admin-jobs." in page.inner_text(".jobs-table")
    assert page.locator("form.job-cancel button").count() == 0
    screenshot(page, f"jobs-cancelled-{width}")
