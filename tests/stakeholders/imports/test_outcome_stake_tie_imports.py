"""Importing outcomes, stakes and ties: references to existing (visible) rows only."""

import datetime

import pytest

from stakeholders.choices import Capability, Position, Sensitivity, Theme, TieKind
from stakeholders.imports import services
from stakeholders.models import ExternalIdentifier, ImportJob, Outcome, Stake, Tie
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

Status = ImportJob.Status


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    def apply_job(job, user):
        with django_capture_on_commit_callbacks(execute=True):
            services.import_job_queue_apply(job=job, user=user)
        job.refresh_from_db()
        return job

    return apply_job


def errors_of(job) -> list[tuple[int, str, str]]:
    return [(error["row"], error["column"], error["message"]) for error in job.report["errors"]]


# --- outcomes ----------------------------------------------------------------------------------


def test_outcomes_create_update_unchanged(officer, upload, apply):
    OutcomeFactory(title="Same", theme=Theme.RECONSTRUCTION, geography="Yemen", countries=["YE"])
    OutcomeFactory(title="Changes", theme=Theme.RECONSTRUCTION, geography="Yemen")
    content = csv_bytes(
        "title,theme,geography,countries,needed_capabilities",
        "Same,reconstruction,Yemen,YE,funding;field_presence",
        "Changes,Climate security,the Sahel,ML;NE;BF,",
        "New one,wps,global,,legal;convening",
    )
    job = upload(officer, "outcomes", content)
    assert (job.create_count, job.update_count, job.unchanged_count) == (1, 1, 1), job.report
    job = apply(job, officer)
    assert job.status == Status.DONE
    changed = Outcome.objects.get(title="Changes")
    assert changed.theme == Theme.CLIMATE_SECURITY
    assert [country.code for country in changed.countries] == ["BF", "ML", "NE"]
    new = Outcome.objects.get(title="New one")
    assert new.needed_capabilities == Capability.LEGAL | Capability.CONVENING
    assert Outcome.history.filter(title="New one", history_type="+").exists()
    assert Outcome.history.filter(title="Changes", history_type="~").exists()


def test_outcome_errors(officer, upload):
    content = csv_bytes(
        "title,theme,countries",
        "A,wps,YE;XX",
        "A,wps,",
        "B,not a theme,",
        ",wps,",
    )
    job = upload(officer, "outcomes", content)
    assert errors_of(job) == [
        (2, "countries", "not ISO 3166-1 alpha-2 country codes: XX."),
        (4, "theme", "'not a theme' is not one of: " + ", ".join(Theme.values) + "."),
        (5, "title", "required: this cell cannot be empty."),
    ]
    # Row 3 repeats row 2's title, but row 2 failed: row 3 alone is fine.
    assert job.create_count == 1


def test_outcome_duplicate_title_in_file(officer, upload):
    job = upload(officer, "outcomes", csv_bytes("title,theme", "A,wps", "A,cyber"))
    assert errors_of(job) == [(3, "title", "row 2 has the same title.")]


# --- stakes ------------------------------------------------------------------------------------


def test_stakes_by_id_ref_and_name(officer, upload, apply):
    by_id = StakeholderFactory(name="By id")
    by_ref = StakeholderFactory(name="By ref")
    ExternalIdentifier.objects.create(stakeholder=by_ref, scheme="iati_org", value="XM-1")
    by_name = StakeholderFactory(name="By name")
    outcome = OutcomeFactory(title="Peace in Taiz")
    StakeFactory(stakeholder=by_name, outcome=outcome, interest=0.1, influence=0.1)
    content = csv_bytes(
        "stakeholder_id,stakeholder_ref,stakeholder_name,outcome,outcome_id,interest,influence,position",
        f"{by_id.pk},,,Peace in Taiz,,0.9,0.2,supports",
        f",XM-1,,,{outcome.pk},0.5,0.5,opposes",
        ",,By name,Peace in Taiz,,0.7,0.1,",
    )
    job = upload(officer, "stakes", content)
    assert (job.create_count, job.update_count) == (2, 1), job.report
    labels = [item["label"] for item in job.report["samples"]["create"]]
    assert labels == ["By id → Peace in Taiz", "By ref → Peace in Taiz"]
    job = apply(job, officer)
    assert job.status == Status.DONE
    assert Stake.objects.get(stakeholder=by_ref).position == Position.OPPOSES
    updated = Stake.objects.get(stakeholder=by_name)
    assert (updated.interest, updated.influence) == (0.7, 0.1)
    assert Stake.history.filter(history_type="+").count() == 3  # factory + 2 imported
    assert Stake.history.filter(history_type="~", stakeholder_id=by_name.pk).count() == 1


def test_stake_errors(officer, upload):
    actor = StakeholderFactory(name="Actor")
    StakeholderFactory(name="Twin")
    StakeholderFactory(name="Twin")
    outcome = OutcomeFactory(title="Outcome")
    content = csv_bytes(
        "stakeholder_id,stakeholder_name,outcome,interest,influence",
        f"{actor.pk},,Outcome,1.5,0.2",
        f"{actor.pk},,Nowhere,0.5,0.5",
        ",Twin,Outcome,0.5,0.5",
        ",Nobody,Outcome,0.5,0.5",
        f"{actor.pk},,Outcome,0.5,",
        f"{actor.pk},,Outcome,0.4,0.4",
        f"{actor.pk},,Outcome,0.4,0.4",
    )
    job = upload(officer, "stakes", content)
    assert errors_of(job) == [
        (2, "interest", "Ensure this value is less than or equal to 1.0."),
        (3, "outcome", "no outcome titled 'Nowhere'."),
        (
            4,
            "stakeholder_name",
            "2 stakeholders are named 'Twin': use stakeholder_id or stakeholder_ref to say which.",
        ),
        (5, "stakeholder_name", "no visible stakeholder named 'Nobody'."),
        (6, "influence", "required: this cell cannot be empty."),
        (8, "", "row 7 is about the same stakeholder and outcome."),
    ]
    assert job.create_count == 1 and Stake.objects.count() == 0
    assert outcome.stakes.count() == 0


def test_stake_of_hidden_stakeholder_reads_like_a_missing_one(officer, upload):
    hidden = StakeholderFactory(name="Hidden women's group", sensitivity=Sensitivity.CONFIDENTIAL)
    ExternalIdentifier.objects.create(stakeholder=hidden, scheme="iati_org", value="XM-SECRET")
    OutcomeFactory(title="Outcome")
    content = csv_bytes(
        "stakeholder_id,stakeholder_ref,stakeholder_name,outcome,interest,influence",
        f"{hidden.pk},,,Outcome,0.5,0.5",
        "99999,,,Outcome,0.5,0.5",
        ",XM-SECRET,,Outcome,0.5,0.5",
        ",XM-NOBODY,,Outcome,0.5,0.5",
        ",,Hidden women's group,Outcome,0.5,0.5",
        ",,Nobody at all,Outcome,0.5,0.5",
    )
    job = upload(officer, "stakes", content)
    assert errors_of(job) == [
        (2, "stakeholder_id", f"no visible stakeholder with id {hidden.pk}."),
        (3, "stakeholder_id", "no visible stakeholder with id 99999."),
        (4, "stakeholder_ref", "no visible stakeholder with IATI identifier 'XM-SECRET'."),
        (5, "stakeholder_ref", "no visible stakeholder with IATI identifier 'XM-NOBODY'."),
        (6, "stakeholder_name", "no visible stakeholder named 'Hidden women's group'."),
        (7, "stakeholder_name", "no visible stakeholder named 'Nobody at all'."),
    ]
    assert not job.involves_restricted


def test_stakes_header_needs_a_stakeholder_and_an_outcome_column(officer, upload):
    job = upload(officer, "stakes", csv_bytes("interest,influence", "0.5,0.5"))
    assert errors_of(job) == [
        (
            1,
            "stakeholder_id",
            "missing column: give one of stakeholder_id, stakeholder_ref, stakeholder_name.",
        ),
        (1, "outcome", "missing column: give one of outcome, outcome_id."),
    ]


# --- ties --------------------------------------------------------------------------------------


def test_ties_create_and_update_from_xlsx(officer, upload, apply):
    a, b, c = (StakeholderFactory(name=name) for name in ("A", "B", "C"))
    TieFactory(from_stakeholder=a, to_stakeholder=b, kind=TieKind.FUNDS, strength=0.2)
    content = xlsx_bytes(
        [
            [
                "from_stakeholder_name",
                "to_stakeholder_name",
                "kind",
                "strength",
                "start_date",
                "end_date",
            ],
            ["A", "B", "funds", 0.9, datetime.date(2020, 1, 1), None],
            ["B", "C", "Partners with", None, "2021-06-01", "2023-12-31"],
        ]
    )
    job = upload(officer, "ties", content, "ties.xlsx")
    assert (job.create_count, job.update_count) == (1, 1), job.report
    job = apply(job, officer)
    assert job.status == Status.DONE
    funds = Tie.objects.get(from_stakeholder=a, to_stakeholder=b)
    assert funds.strength == 0.9 and funds.start_date == datetime.date(2020, 1, 1)
    partners = Tie.objects.get(from_stakeholder=b, to_stakeholder=c)
    assert partners.kind == TieKind.PARTNERS_WITH and partners.strength == 0.5
    assert partners.end_date == datetime.date(2023, 12, 31)
    assert Tie.history.filter(history_type="~").count() == 1


def test_tie_errors_from_the_model_rules(officer, upload):
    a, b = StakeholderFactory(name="A"), StakeholderFactory(name="B")
    TieFactory(from_stakeholder=a, to_stakeholder=b, kind=TieKind.PARTNERS_WITH)
    content = csv_bytes(
        "from_stakeholder_id,to_stakeholder_id,kind,start_date,end_date,strength",
        f"{a.pk},{a.pk},funds,,,",
        f"{a.pk},{b.pk},funds,2024-01-01,2023-01-01,",
        f"{b.pk},{a.pk},partners_with,,,",
        f"{a.pk},{b.pk},opposes,,,",
        f"{b.pk},{a.pk},opposes,,,",
        f"{a.pk},{b.pk},member_of,01/02/2020,,",
        f"{a.pk},{b.pk},communicates_with,,,-0.1",
    )
    job = upload(officer, "ties", content)
    assert errors_of(job) == [
        (2, "to_stakeholder_id", "A tie must link two different stakeholders."),
        (3, "end_date", "The end date cannot be before the start date."),
        (4, "kind", "'Partners with' reads both ways and the reverse tie already exists."),
        (
            6,
            "kind",
            "row 5 records this tie the other way round, and 'Opposes' reads both ways: "
            "give it once.",
        ),
        (7, "start_date", "'01/02/2020' is not a date in the form YYYY-MM-DD."),
        (8, "strength", "Ensure this value is greater than or equal to 0.0."),
    ]
    assert Tie.objects.count() == 1


def test_tie_to_hidden_stakeholder_reads_like_a_missing_one(officer, upload):
    public = StakeholderFactory(name="Public")
    hidden = StakeholderFactory(name="Hidden", sensitivity=Sensitivity.RESTRICTED)
    content = csv_bytes(
        "from_stakeholder_id,to_stakeholder_id,kind",
        f"{public.pk},{hidden.pk},funds",
        f"{public.pk},{hidden.pk + 500},funds",
    )
    job = upload(officer, "ties", content)
    assert errors_of(job) == [
        (2, "to_stakeholder_id", f"no visible stakeholder with id {hidden.pk}."),
        (3, "to_stakeholder_id", f"no visible stakeholder with id {hidden.pk + 500}."),
    ]


def test_cleared_user_may_tie_restricted_stakeholders(cleared_analyst, upload, apply):
    from django.contrib.auth.models import Group

    cleared_analyst.groups.add(Group.objects.get(name="program officer"))
    user = type(cleared_analyst).objects.get(pk=cleared_analyst.pk)
    public = StakeholderFactory(name="Public")
    hidden = StakeholderFactory(name="Hidden", sensitivity=Sensitivity.RESTRICTED)
    content = csv_bytes(
        "from_stakeholder_id,to_stakeholder_id,kind", f"{public.pk},{hidden.pk},funds"
    )
    job = apply(upload(user, "ties", content), user)
    assert job.status == Status.DONE and job.involves_restricted
    assert Tie.objects.filter(to_stakeholder=hidden).exists()


def test_an_applied_stakes_import_asks_for_one_full_overlap_run(officer, upload, apply):
    from partnerships.models import OverlapRun

    actor, outcome = StakeholderFactory(name="Taiz Relief"), OutcomeFactory(title="Peace in Taiz")
    content = csv_bytes(
        "stakeholder_id,outcome,interest,influence", f"{actor.pk},Peace in Taiz,0.9,0.2"
    )
    job = upload(officer, "stakes", content)
    assert not OverlapRun.objects.exists()  # a dry run changes nothing
    apply(job, officer)
    [run] = OverlapRun.objects.all()
    assert run.trigger == "changes"
    assert outcome.stakes.get().interest == 0.9
