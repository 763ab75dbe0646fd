"""The Jobs page and /api/v1/jobs/: every kind in one list, each reader seeing only their own
share (do no harm: restricted jobs, graph refreshes, imports of other people)."""

import pytest
from django.urls import reverse

from smartdiplomacy.jobs.models import Job
from smartdiplomacy.jobs.selectors import job_visible_to
from smartdiplomacy.jobs.services import job_enqueue, job_finish, job_start
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

PAGE = reverse("jobs:job_list")
API = reverse("jobs-api:job-list")


def _job(kind, key, *, user=None, restricted=False, status="succeeded", error=""):
    job_enqueue(kind=kind, detail_key=key, user=user, restricted=restricted, total=10)
    if status != "queued":
        job_start(kind=kind, detail_key=key)
    if status in ("succeeded", "failed"):
        job_finish(kind=kind, detail_key=key, status=status, error=error)
    return Job.objects.get(kind=kind, detail_key=str(key))


@pytest.fixture
def jobs(officer, administrator):
    other = UserFactory(username="officer.two", roles=["program officer"])
    return {
        "overlap": _job("overlap", 1, user=administrator),
        "overlap_changes": _job("overlap", 2, restricted=True),
        "rescore": _job("rescore", 1, user=administrator, status="failed", error="Boom."),
        "own_import": _job("registry_import", 1, user=officer, status="running"),
        "other_import": _job("registry_import", 2, user=other),
        "restricted_import": _job("registry_import", 3, user=officer, restricted=True),
        "iati": _job("iati_import", "tok1", user=administrator, status="queued"),
        "graph": _job("graph_refresh", "g1", restricted=True),
    }


def _seen(user):
    return {job.pk for job in job_visible_to(user)}


def test_each_reader_sees_the_kinds_and_jobs_their_rules_allow(jobs, officer, administrator):
    cleared_admin = UserFactory(
        username="admin.cleared", roles=["administrator"], is_staff=True, cleared=True
    )
    cleared_officer = UserFactory(
        username="officer.cleared", roles=["program officer"], cleared=True
    )
    pk = {name: job.pk for name, job in jobs.items()}
    # Officers view overlap runs and methodologies; their own imports, never restricted ones.
    assert _seen(officer) == {pk["overlap"], pk["rescore"], pk["own_import"]}
    assert _seen(administrator) == {
        pk["overlap"], pk["rescore"], pk["own_import"], pk["other_import"], pk["iati"],
    }  # fmt: skip
    # The clearance shows restricted jobs; graph refreshes only to cleared administrators.
    assert pk["graph"] in _seen(cleared_admin) and pk["overlap_changes"] in _seen(cleared_admin)
    assert pk["graph"] not in _seen(cleared_officer)
    assert pk["overlap_changes"] in _seen(cleared_officer)
    assert pk["restricted_import"] not in _seen(cleared_officer)  # someone else's import


def test_the_page_lists_jobs_with_progress_error_timing_and_who(client, jobs, administrator):
    login_verified(client, administrator)
    body = client.get(PAGE).content.decode()
    assert "Overlap run" in body and "Rescoring" in body and "IATI import" in body
    assert "Boom." in body  # the failed rescore says why
    assert reverse("partnerships:run_detail", args=[1]) in body
    assert reverse("index:rescore_run_detail", args=[1]) in body
    assert 'aria-valuenow="100"' in body and "0.0 s" in body
    assert "Graph refresh" not in body.split("<table")[1]  # not cleared: no graph refreshes
    assert str(administrator) in body


def test_the_page_filters_by_kind_and_status_and_says_what_is_wrong(client, jobs, administrator):
    login_verified(client, administrator)
    page = client.get(PAGE, {"kind": "rescore"})
    assert [job.kind for job in page.context["jobs"]] == ["rescore"]
    page = client.get(PAGE, {"status": ["queued", "running"]})
    assert {job.status for job in page.context["jobs"]} == {"queued", "running"}
    wrong = client.get(PAGE, {"status": "done"})
    assert wrong.status_code == 200 and "status: Select a valid choice" in wrong.content.decode()


def test_the_api_lists_the_same_jobs_in_one_shape(client, jobs, officer):
    login_verified(client, officer)
    body = client.get(API).json()
    assert body["count"] == 3
    rescore = next(row for row in body["results"] if row["kind"] == "rescore")
    assert rescore["status"] == "failed" and rescore["error"] == "Boom."
    assert rescore["detail_url"] == reverse("index:rescore_run_detail", args=[1])
    assert rescore["started_by"] == "administrator" and rescore["kind_label"] == "Rescoring"
    assert client.get(API, {"kind": "graph_refresh"}).json()["count"] == 0
    hidden = client.get(reverse("jobs-api:job-detail", args=[jobs["graph"].pk]))
    missing = client.get(reverse("jobs-api:job-detail", args=[999_999_999]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    bad = client.get(API, {"kind": "nightly"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["fields"]


def test_signed_out_readers_and_partner_tokens_get_nothing(client, jobs):
    assert client.get(PAGE).status_code == 302
    assert client.get(API).status_code in (401, 403)


def test_the_page_and_the_api_cost_the_same_queries_for_one_job_or_many(
    client, administrator, django_assert_num_queries
):
    login_verified(client, administrator)
    _job("overlap", 1, user=administrator)
    # session, user, second-factor device, the user's permissions (own, groups), roles; then
    # the count and the page of jobs with who started them (one join), whatever their kinds.
    with django_assert_num_queries(8):
        assert len(client.get(PAGE).context["jobs"]) == 1
    with django_assert_num_queries(8):
        assert len(client.get(API).json()["results"]) == 1
    for n in range(2, 40):
        _job("overlap", n, user=UserFactory())
        _job("rescore", n, user=administrator, status="failed", error=f"Error {n}.")
    with django_assert_num_queries(8):
        assert len(client.get(PAGE).context["jobs"]) == 50
    with django_assert_num_queries(8):
        assert len(client.get(API).json()["results"]) == 50
