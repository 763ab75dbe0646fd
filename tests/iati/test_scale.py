"""Issue 21: the batched importer (memory bounded by a batch) equals the whole-import one, and a
folder imported as a job of one task per file survives a killed worker.

``tests/iati/whole_import.py`` is the importer as it was (everything held until the end), kept
as the reference. Each comparison imports with it inside a savepoint rolled back, snapshots the
registry, then imports with the batched importer and snapshots again.
"""

import shutil
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from iati.importing import collecting, iati_import, runs
from iati.jobs import iati_folder_job_create, iati_job_resume, iati_job_step
from iati.models import (
    IatiActivity,
    IatiImportFile,
    IatiImportRun,
    IatiStagedOrg,
    IatiStagedPair,
    KindOverride,
)
from index.models import Engagement
from stakeholders.choices import IdentifierScheme
from stakeholders.models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder
from tests.iati import whole_import
from tests.iati.synthetic import synthetic_folder_write
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "iati/sample/dportal-covid-401-activities.xml"
SEVEN = Path(__file__).parent / "files" / "dportal-foodsecurity-7-activities.xml"


def registry() -> dict:
    """Everything an import writes, keyed by natural keys (ids differ between two runs)."""
    refs: dict[int, tuple] = {}
    for pk, value in ExternalIdentifier.objects.filter(
        scheme=IdentifierScheme.IATI_ORG
    ).values_list("stakeholder_id", "value"):
        refs.setdefault(pk, []).append(value)
    people = {
        row[0]: (row[1], tuple(sorted(refs.get(row[0], []))))
        for row in Stakeholder.objects.values_list("pk", "name")
    }
    outcomes = dict(Outcome.objects.values_list("pk", "title"))
    engagements = {}
    for engagement in Engagement.objects.select_related("iati_activity").prefetch_related(
        "participants", "outcomes"
    ):
        engagements[engagement.iati_activity.iati_identifier] = (
            engagement.title,
            engagement.start_date,
            engagement.end_date,
            str(engagement.country),
            tuple(
                sorted((people[p.stakeholder_id], p.role) for p in engagement.participants.all())
            ),
            tuple(sorted(outcomes[o.pk] for o in engagement.outcomes.all())),
        )
    return {
        "stakeholders": sorted(
            (name, people[pk][1], kind, scope, int(capabilities), description)
            for pk, name, kind, scope, capabilities, description in Stakeholder.objects.values_list(
                "pk", "name", "kind", "scope", "capabilities", "description"
            )
        ),
        "stakeholder history": Stakeholder.history.filter(history_type="+").count(),
        "sectors": sorted(Sector.objects.values_list("code", "name")),
        "outcomes": sorted(
            Outcome.objects.values_list("title", "theme", "geography", "description")
        ),
        "stakes": sorted(
            (people[s], outcomes[o], round(interest, 6), round(influence, 6), source)
            for s, o, interest, influence, source in Stake.objects.values_list(
                "stakeholder_id", "outcome_id", "interest", "influence", "source"
            )
        ),
        "activities": sorted(IatiActivity.objects.values_list("iati_identifier", "digest")),
        "engagements": engagements,
    }


def summary(report) -> dict:
    return {
        "counts": {name: vars(counts) for name, counts in report.counts.items()},
        "notes": dict(report.notes),
        "read": report.activities_read,
        "usable": report.activities_usable,
        "problems": report.problem_count,
    }


class _Undo(Exception):
    pass


def whole_import_then_undone(paths) -> tuple[dict, dict]:
    """The reference: the old importer's registry and report, rolled back afterwards."""
    result = {}
    with pytest.raises(_Undo), transaction.atomic():
        report = whole_import.iati_import(paths=paths)
        result.update(registry=registry(), report=summary(report))
        raise _Undo
    assert not IatiActivity.objects.exists()
    return result["registry"], result["report"]


def existing_stakeholders() -> None:
    """A registry that already knows some of the organisations, by ref and by name."""
    known = StakeholderFactory(name="Registry's own record of 41114")
    ExternalIdentifier.objects.create(
        stakeholder=known, scheme=IdentifierScheme.IATI_ORG, value="XM-DAC-41114"
    )
    StakeholderFactory(name="Synthetic organisation 00007")
    StakeholderFactory(name="United Nations Development Programme")


def test_the_sample_in_small_batches_equals_the_whole_import(monkeypatch):
    existing_stakeholders()
    expected, expected_report = whole_import_then_undone([SAMPLE, SEVEN])
    monkeypatch.setattr(collecting, "FLUSH_ACTIVITIES", 37)  # many batches, cut anywhere
    report = iati_import(paths=[SAMPLE, SEVEN])
    assert summary(report) == expected_report
    assert registry() == expected
    assert expected["stakes"] and expected["engagements"]
    # The staging tables are emptied with the run.
    assert not IatiImportRun.objects.exists() and not IatiStagedOrg.objects.exists()


def test_a_synthetic_folder_in_batches_equals_the_whole_import(monkeypatch, tmp_path):
    existing_stakeholders()
    paths = synthetic_folder_write(tmp_path / "folder", 1500, 3)
    expected, expected_report = whole_import_then_undone(paths)
    monkeypatch.setattr(collecting, "FLUSH_ACTIVITIES", 400)
    report = iati_import(paths=paths, validation="off")
    expected_report["problems"] = 0  # the reference validated; validation is not at issue
    assert summary(report) == expected_report
    assert registry() == expected
    assert len(expected["stakes"]) > 4000


def test_a_folder_job_resumes_after_a_killed_worker_with_the_same_result(
    monkeypatch, tmp_path, administrator
):
    folder = tmp_path / "registry"
    paths = synthetic_folder_write(folder, 600, 3)
    shutil.copy(SEVEN, folder / "synthetic-0003.xml")
    shutil.copy(paths[0], folder / "synthetic-0004-copy.xml")  # same content: skipped by digest
    expected, _ = whole_import_then_undone([*paths, folder / "synthetic-0003.xml"])
    monkeypatch.setattr(collecting, "FLUSH_ACTIVITIES", 150)
    monkeypatch.setattr(runs, "STEP_BYTES", 0)  # a step of one file each

    # The job, with its tasks run one by one here; the worker dies during the third file.
    monkeypatch.setattr("iati.jobs._step_enqueue", lambda token: None)
    monkeypatch.setattr("iati.jobs._eager", lambda: False)
    token = iati_folder_job_create(user=administrator, paths=[folder])
    real = collecting._RunImporter.file_import

    def dies_on_the_third_file(self, path, **kwargs):
        if path.name == "synthetic-0002.xml":
            real(self, path, **kwargs)  # part of the work done, then the worker is killed
            raise SystemExit("worker killed")
        return real(self, path, **kwargs)

    monkeypatch.setattr(collecting._RunImporter, "file_import", dies_on_the_third_file)
    assert iati_job_step(token=token) == "file"
    assert iati_job_step(token=token) == "file"
    with pytest.raises(SystemExit):
        iati_job_step(token=token)
    run = IatiImportRun.objects.get(token=token)
    assert list(run.files.values_list("status", flat=True)) == [
        "done", "done", "pending", "pending", "pending",
    ]  # fmt: skip
    assert IatiStagedPair.objects.filter(run=run).exists()  # the first two files' aggregates
    monkeypatch.setattr(collecting._RunImporter, "file_import", real)

    # Restarted: the files done are not read again; the result is the whole import's.
    iati_job_resume(token=token)
    outcomes = [iati_job_step(token=token) for _ in range(4)]
    assert outcomes == ["file", "file", "file", "done"]
    assert iati_job_step(token=token) is None  # a repeated task does nothing
    statuses = list(run.files.order_by("position").values_list("status", flat=True))
    assert statuses == ["done", "done", "done", "done", IatiImportFile.Status.SKIPPED]
    assert registry() == expected
    assert not IatiStagedOrg.objects.filter(run=run).exists()
    # Importing the folder again as another job changes nothing.
    again = iati_folder_job_create(user=administrator, paths=[folder])
    while iati_job_step(token=again) == "file":
        pass
    assert registry() == expected
    assert IatiImportRun.objects.get(token=again).report["counts"]["stakes"]["created"] == 0


def test_a_job_reads_steps_of_files_and_a_killed_step_is_read_again_whole(
    monkeypatch, tmp_path, administrator
):
    """Files are read a step (``STEP_BYTES`` of XML) per task and transaction, each file keeping
    its own progress; a worker killed in a step loses the whole step, never a part of it."""
    folder = tmp_path / "registry"
    paths = synthetic_folder_write(folder, 500, 5)
    # Read first (names sort "-copy" before "."), so that its original is skipped in the step.
    shutil.copy(paths[0], folder / "synthetic-0000-copy.xml")
    expected, _ = whole_import_then_undone(paths)
    monkeypatch.setattr(collecting, "FLUSH_ACTIVITIES", 70)  # batches cut across files
    monkeypatch.setattr(runs, "STEP_BYTES", 2 * max(path.stat().st_size for path in paths))
    monkeypatch.setattr("iati.jobs._step_enqueue", lambda token: None)
    monkeypatch.setattr("iati.jobs._eager", lambda: False)
    token = iati_folder_job_create(user=administrator, paths=[folder])
    run = IatiImportRun.objects.get(token=token)

    def progress() -> list[tuple[str, int]]:
        return list(run.files.order_by("position").values_list("status", "activities"))

    assert iati_job_step(token=token) == "file"
    assert progress() == [("done", 100), ("skipped", 0), *[("pending", 0)] * 4]
    real = collecting._RunImporter.file_import

    def dies_in_the_second_file_of_a_step(self, path, **kwargs):
        read = real(self, path, **kwargs)
        if path.name == "synthetic-0002.xml":
            raise SystemExit("worker killed")  # after a batch of the step was written
        return read

    monkeypatch.setattr(collecting._RunImporter, "file_import", dies_in_the_second_file_of_a_step)
    with pytest.raises(SystemExit):
        iati_job_step(token=token)
    # The step's first file (read, its batches written) is rolled back with it.
    assert progress() == [("done", 100), ("skipped", 0), *[("pending", 0)] * 4]
    assert IatiActivity.objects.count() == 100
    monkeypatch.setattr(collecting._RunImporter, "file_import", real)

    iati_job_resume(token=token)
    assert [iati_job_step(token=token) for _ in range(3)] == ["file", "file", "done"]
    assert progress() == [("done", 100), ("skipped", 0), *[("done", 100)] * 4]
    assert registry() == expected
    report = IatiImportRun.objects.get(token=token).report
    assert report["activities_read"] == 500
    assert report["counts"]["activities"]["created"] == 500


def test_a_folder_job_runs_as_tasks_and_shows_progress_per_file(
    client, administrator, tmp_path, settings, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from tests.conftest import login_verified

    settings.ROOT_URLCONF = "tests.iati.urls"
    folder = tmp_path / "two"
    folder.mkdir()
    shutil.copy(SEVEN, folder / "a.xml")
    (folder / "b.xml").write_text(SEVEN.read_text())
    with django_capture_on_commit_callbacks(execute=True):
        token = iati_folder_job_create(user=administrator, paths=[folder])
    login_verified(client, administrator)
    status = client.get(reverse("iati_import:job_status", args=[token])).json()
    assert status["status"] == "succeeded", status
    assert [(f["name"], f["status"], f["activities"]) for f in status["files"]] == [
        ("a.xml", "imported", 7),
        ("b.xml", "skipped (same content)", 0),
    ]
    page = client.get(reverse("iati_import:job", args=[token]))
    assert b"a.xml" in page.content and b"skipped (same content)" in page.content
    assert Engagement.objects.count() == 7


def _named_activity(identifier: str, *names: str) -> str:
    orgs = "".join(
        f'<participating-org role="{role}" type="22"><narrative>{name}</narrative>'
        "</participating-org>"
        for role, name in zip(("1", "4", "4"), names, strict=False)
    )
    return f"""
 <iati-activity last-updated-datetime="2024-01-01T00:00:00">
  <iati-identifier>{identifier}</iati-identifier>
  <reporting-org ref="XI-TEST-9" type="10"><narrative>Test Publisher</narrative></reporting-org>
  {orgs}
  <recipient-country code="TZ"/>
  <sector vocabulary="1" code="16010"/>
 </iati-activity>"""


def test_a_name_cut_in_one_batch_and_full_in_a_later_one_is_folded_as_the_whole_import(
    monkeypatch, tmp_path
):
    from tests.iati.test_services import write

    cut, full = (
        "Smart Youth Effort For Advanced Community, Tanzani",
        ("Smart Youth Effort For Advanced Community, Tanzania"),
    )
    path = write(
        tmp_path,
        _named_activity("XI-TEST-9-A", "Kilimo Trust", cut),
        _named_activity("XI-TEST-9-B", "Kilimo Trust", full),
        # Both in one activity: one participant, the stronger role.
        _named_activity("XI-TEST-9-C", full, "Kilimo Trust", cut),
    )
    expected, expected_report = whole_import_then_undone([path])
    monkeypatch.setattr(collecting, "FLUSH_ACTIVITIES", 1)  # the cut name is written first
    report = iati_import(paths=[path])
    assert summary(report) == expected_report
    assert registry() == expected
    names = [row[0] for row in expected["stakeholders"]]
    assert full in names and cut not in names
    assert Stakeholder.history.filter(name=cut).count() == 0  # never existed, as in the whole


def test_a_batch_writes_only_its_own_publishers_of_an_organisation_and_overrides_still_apply(
    monkeypatch, tmp_path
):
    """An organisation the whole registry names has thousands of publishers: the list of them
    was loaded and rewritten with every batch (memory and time growing with the import). Each
    (organisation, publisher) is now staged once; a publisher override read batches after the
    organisation was created still gives its kind at the run's end, as in the whole import."""
    from tests.iati.test_services import write

    activities = [
        f"""
 <iati-activity last-updated-datetime="2024-01-01T00:00:00">
  <iati-identifier>XI-PUB-{n:03d}-A</iati-identifier>
  <reporting-org ref="XI-PUB-{n:03d}" type="10"><narrative>Publisher {n}</narrative></reporting-org>
  <participating-org role="4" type="22"><narrative>Shared Partner</narrative></participating-org>
  <recipient-country code="TZ"/>
  <sector vocabulary="1" code="16010"/>
 </iati-activity>"""
        for n in range(60)
    ]
    path = write(tmp_path, *activities)
    KindOverride.objects.create(scope="publisher", ref="XI-PUB-055", org_type="22", kind="media")
    expected, expected_report = whole_import_then_undone([path])
    monkeypatch.setattr(collecting, "FLUSH_ACTIVITIES", 10)  # six batches
    with CaptureQueriesContext(connection) as queries:
        report = iati_import(paths=[path])
    assert summary(report) == expected_report
    assert registry() == expected
    assert Stakeholder.objects.get(name="Shared Partner").kind == "media"
    # The first batch's publisher is not written again by the five batches after it.
    rewritten = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "iati_iatistagedorg"') and "XI-PUB-000" in query["sql"]
    ]
    assert rewritten == []


@pytest.mark.django_db
def test_an_array_literal_gives_back_every_value_as_sent():
    """The importer sends each column of an ``unnest`` INSERT as one array literal (an
    ``ARRAY[…]`` of parameters cost the server 4–5× as much): quotes, backslashes, braces,
    NULL, floats to the last bit, dates, booleans and choices come back unchanged."""
    import datetime

    from iati.importing.sql import array_literal
    from stakeholders.choices import Origin

    texts = ['a "quoted" \\ back\\slash', "{braces}, commas", "", None, "NULL", "ünï"]
    floats = [0.1 + 0.2, 1e-300, 123456789.123456789, -0.0, None]
    moments = [datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC), None]
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::text[])", [array_literal(texts)])
        assert [row[0] for row in cursor.fetchall()] == texts
        cursor.execute("SELECT unnest(%s::float8[])", [array_literal(floats)])
        assert [row[0] for row in cursor.fetchall()] == floats
        cursor.execute("SELECT unnest(%s::timestamptz[])", [array_literal(moments)])
        assert [row[0] for row in cursor.fetchall()] == moments
        cursor.execute(
            "SELECT unnest(%s::boolean[]), unnest(%s::varchar[]), unnest(%s::bigint[])",
            [
                array_literal([True, False]),
                array_literal([Origin.IATI] * 2),
                array_literal([7, 2**40]),
            ],
        )
        assert cursor.fetchall() == [(True, "iati", 7), (False, "iati", 2**40)]
