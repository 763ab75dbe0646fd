"""A run's own page follows its job live through the one poller (static/js/jobs.js): the
rescoring run page (which had a poller of its own, runs.js) and the overlap run page, under the
site's CSP (no inline script), then reloads once the job ends."""

from smartdiplomacy.jobs.services import job_enqueue, job_finish, job_progress, job_start
from tests.accounts.factories import UserFactory
from tests.browser.conftest import screenshot


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _follows(page, done_text: str) -> None:
    page.wait_for_function(
        "text => document.querySelector('[data-job-progress] [data-field=counts]')"
        ".textContent.includes(text)",
        arg=done_text,
    )


def test_the_rescoring_run_page_follows_its_job_and_reloads_when_it_ends(
    django_db_serialized_rollback, page, live_server, login
):
    from index.models import RescoreRun
    from index.selectors import methodology_current

    admin = UserFactory(username="admin-runs", roles=["administrator"], is_staff=True)
    run = RescoreRun.objects.create(
        methodology=methodology_current(), status="running", total=10, done=2, started_by=admin
    )
    job_enqueue(kind="rescore", detail_key=run.pk, user=admin)
    job_start(kind="rescore", detail_key=run.pk, total=10)
    job_progress(kind="rescore", detail_key=run.pk, done=2)
    problems = _watch_console(page)
    login("admin-runs")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    assert "2/10" in page.inner_text("[data-job-progress]")
    job_progress(kind="rescore", detail_key=run.pk, done=7)
    _follows(page, "7/10")
    screenshot(page, "rescore-run-running")
    RescoreRun.objects.filter(pk=run.pk).update(status="done", done=10)
    job_finish(kind="rescore", detail_key=run.pk, status="succeeded")
    page.wait_for_selector('[data-job-progress][data-active="false"] .status-succeeded')
    page.wait_for_load_state()
    assert "10/10" in page.inner_text("[data-job-progress]")
    screenshot(page, "rescore-run-done")
    assert problems == []


def test_the_overlap_run_page_follows_its_job(
    django_db_serialized_rollback, page, live_server, login
):
    from partnerships.models import OverlapRun

    admin = UserFactory(username="admin-overlap", roles=["administrator"], is_staff=True)
    run = OverlapRun.objects.create(status="running", phase="compute", started_by=admin)
    job_enqueue(kind="overlap", detail_key=run.pk, user=admin, total=100)
    job_start(kind="overlap", detail_key=run.pk, phase="Comparing stakeholders")
    job_progress(kind="overlap", detail_key=run.pk, done=30)
    problems = _watch_console(page)
    login("admin-overlap")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    assert "30%" in page.inner_text("[data-job-progress]")
    job_progress(kind="overlap", detail_key=run.pk, done=65)
    page.wait_for_function(
        "() => document.querySelector('[data-job-progress] [data-field=percent]')"
        ".textContent.includes('65%')"
    )
    page.wait_for_timeout(800)  # the bar's width eases in (partnerships.css)
    screenshot(page, "overlap-run-running")
    assert problems == []
