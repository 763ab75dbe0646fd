"""Importing stakeholders: the dry run, then all or nothing, with history."""

import pytest
from django.db.models import QuerySet

from stakeholders.choices import Capability, IdentifierScheme, Kind, Sensitivity
from stakeholders.imports import services
from stakeholders.models import ExternalIdentifier, ImportJob, Stakeholder
from tests.stakeholders.factories import StakeholderFactory

from .conftest import csv_bytes, fixture_bytes, xlsx_bytes

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


def registry_snapshot() -> list[tuple]:
    """Everything an import could touch, to compare before and after a failure."""
    tables: list[QuerySet] = [
        Stakeholder.objects.values_list(),
        ExternalIdentifier.objects.values_list(),
        Stakeholder.sectors.through.objects.values_list(),
        Stakeholder.history.values_list("history_id"),
    ]
    return [sorted(table) for table in tables]


def errors_by_row(job) -> dict[int, list[tuple[str, str]]]:
    found = {}
    for error in job.report["errors"]:
        found.setdefault(error["row"], []).append((error["column"], error["message"]))
    return found


def test_good_csv_dry_run_then_import(officer, sectors, upload, apply):
    job = upload(officer, "stakeholders", fixture_bytes("stakeholders_good.csv"), "good.csv")
    assert job.status == Status.VALIDATED, job.report
    assert (job.create_count, job.update_count, job.unchanged_count, job.error_count) == (
        3,
        0,
        0,
        0,
    )
    assert [item["label"] for item in job.report["samples"]["create"]] == [
        "Women's Peace Network (YE)",
        "Somali Diaspora Council (GB)",
        "Sahel Climate Lab (SN)",
    ]
    assert Stakeholder.objects.count() == 0, "the dry run writes nothing"

    job = apply(job, officer)
    assert job.status == Status.DONE, job.error_message
    wpn = Stakeholder.objects.get(name="Women's Peace Network")
    assert wpn.kind == Kind.WOMENS_GROUP and wpn.country == "YE" and wpn.women_led
    # Provenance: the import that made it.
    assert (wpn.origin, wpn.source) == ("csv", f"Import #{job.pk}: good.csv")
    assert wpn.capabilities == Capability.FIELD_PRESENCE | Capability.COMMUNITY_TRUST
    assert wpn.women_leadership_share == 0.8
    assert sorted(wpn.sectors.values_list("code", flat=True)) == ["15170", "15220"]
    sdc = Stakeholder.objects.get(acronym="SDC")
    assert sdc.country_of_origin == "SO"
    assert sdc.external_ids.get().value == "GB-CHC-1234567"
    assert Stakeholder.objects.get(name="Sahel Climate Lab").women_leadership_share == 0.45

    records = Stakeholder.history.filter(history_type="+")
    assert records.count() == 3
    record = records.get(name="Women's Peace Network")
    assert record.history_user == officer
    assert record.history_change_reason == f"Import #{job.pk}: good.csv"
    sector_history = Stakeholder.history.model.sectors.model
    assert sector_history.objects.filter(history=record).count() == 2
    assert ExternalIdentifier.history.filter(value="GB-CHC-1234567").count() == 1


def test_reimport_finds_rows_unchanged_then_updates(officer, sectors, upload, apply):
    apply(upload(officer, "stakeholders", fixture_bytes("stakeholders_good.csv")), officer)
    again = upload(officer, "stakeholders", fixture_bytes("stakeholders_good.csv"))
    assert (again.create_count, again.update_count, again.unchanged_count) == (0, 0, 3)

    changed = fixture_bytes("stakeholders_good.csv").replace(b"0.8,public", b"0.9,public")
    changed = changed.replace(b"15220,research_data", b"15170,research_data")
    job = upload(officer, "stakeholders", changed)
    assert (job.create_count, job.update_count, job.unchanged_count) == (0, 2, 1)
    updates = {item["label"]: item["changes"] for item in job.report["samples"]["update"]}
    assert updates["Women's Peace Network (YE)"] == [
        {"column": "women_leadership_share", "old": "0.8", "new": "0.9"}
    ]
    assert updates["Sahel Climate Lab (SN)"] == [
        {"column": "sectors", "old": "15220", "new": "15170"}
    ]
    apply(job, officer)
    assert Stakeholder.objects.get(name="Women's Peace Network").women_leadership_share == 0.9
    lab = Stakeholder.objects.get(name="Sahel Climate Lab")
    assert list(lab.sectors.values_list("code", flat=True)) == ["15170"]
    latest = lab.history.order_by("-history_id").first()
    assert latest.history_type == "~"
    assert [row.sector.code for row in latest.sectors.all()] == ["15170"]


def test_update_by_id_and_by_iati_ref(officer, upload, apply):
    by_id = StakeholderFactory(name="Old name", country="KE")
    by_ref = StakeholderFactory(name="Has a ref", country="UG")
    ExternalIdentifier.objects.create(
        stakeholder=by_ref, scheme=IdentifierScheme.IATI_ORG, value="XM-DAC-1"
    )
    content = csv_bytes(
        "id,name,kind,country,iati_org_ref",
        f"{by_id.pk},New name,ngo,KE,",
        ",Renamed by ref,ngo,UG,XM-DAC-1",
    )
    job = apply(upload(officer, "stakeholders", content), officer)
    assert job.status == Status.DONE and job.update_count == 2
    by_id.refresh_from_db()
    by_ref.refresh_from_db()
    assert by_id.name == "New name" and by_ref.name == "Renamed by ref"


def test_empty_cell_leaves_the_value_on_update(officer, upload, apply):
    actor = StakeholderFactory(name="Keeps", country="KE", description="kept", website="")
    job = upload(
        officer, "stakeholders", csv_bytes("name,kind,country,description", "Keeps,ngo,KE,")
    )
    assert job.unchanged_count == 1
    actor.refresh_from_db()
    assert actor.description == "kept"


def test_good_xlsx_counts_create_update_unchanged(officer, sectors, upload, apply):
    StakeholderFactory(name="Existing unchanged", kind=Kind.NGO, country="KE")
    StakeholderFactory(name="Existing changed", kind=Kind.NGO, country="KE", acronym="OLD")
    content = xlsx_bytes(
        [
            [
                "Name",
                "Kind",
                "Country",
                "Acronym",
                "Women led",
                "Women leadership share",
                "Sectors",
            ],
            ["Existing unchanged", "NGO", "KE", None, None, None, None],
            ["Existing changed", "ngo", "KE", "NEW", None, None, None],
            ["Brand new", "Firm", "de", None, True, 0.5, 15170],
        ]
    )
    job = upload(officer, "stakeholders", content, "registry.xlsx")
    assert job.report["format"] == "xlsx"
    assert (job.create_count, job.update_count, job.unchanged_count, job.error_count) == (
        1,
        1,
        1,
        0,
    )
    job = apply(job, officer)
    assert job.status == Status.DONE
    new = Stakeholder.objects.get(name="Brand new")
    assert new.kind == Kind.FIRM and new.country == "DE" and new.women_led
    assert list(new.sectors.values_list("code", flat=True)) == ["15170"]
    assert Stakeholder.objects.get(name="Existing changed").acronym == "NEW"
    assert Stakeholder.history.filter(history_type="~", name="Existing changed").exists()


def test_bad_rows_name_row_column_and_reason_and_write_nothing(officer, sectors, upload):
    job = upload(officer, "stakeholders", fixture_bytes("stakeholders_bad.csv"))
    assert job.status == Status.INVALID
    assert job.create_count == 1 and job.error_count == 11
    errors = errors_by_row(job)
    assert 2 not in errors
    expected = {
        3: (
            "country",
            "'ZZ' is not an ISO 3166-1 alpha-2 country code (two letters, e.g. YE, SD, BD).",
        ),
        4: ("women_leadership_share", "Ensure this value is less than or equal to 1.0."),
        5: ("women_leadership_share", "'lots' is not a number (expected a number from 0 to 1)."),
        6: ("country_of_origin", "A diaspora group needs its country of origin."),
        7: ("country_of_origin", "Only diaspora groups have a country of origin."),
        8: ("sectors", "unknown sector code 99999"),
        9: ("capabilities", "unknown capability 'teleportation'"),
        10: ("website", "Enter a valid URL."),
        11: ("name", "required: this cell cannot be empty."),
        12: ("kind", "'spaceship' is not one of: state, igo, ngo"),
        13: ("women_led", "'maybe' is not yes or no"),
    }
    for row, (column, message) in expected.items():
        assert any(
            found_column == column and message in found_message
            for found_column, found_message in errors[row]
        ), (row, errors[row])
    assert Stakeholder.objects.count() == 0


def test_apply_refuses_a_job_with_errors(officer, sectors, upload):
    job = upload(officer, "stakeholders", fixture_bytes("stakeholders_bad.csv"))
    with pytest.raises(Exception, match="cannot be imported now"):
        services.import_job_queue_apply(job=job, user=officer)
    assert Stakeholder.objects.count() == 0


def test_duplicates_within_the_file(officer, upload):
    job = upload(officer, "stakeholders", fixture_bytes("stakeholders_duplicates.csv"))
    errors = errors_by_row(job)
    assert errors[3] == [
        ("name", "row 2 has the same name and country: each stakeholder once per file.")
    ]
    assert errors[5] == [("iati_org_ref", "row 4 has the same IATI identifier.")]
    assert job.create_count == 2 and job.status == Status.INVALID


def test_identifier_of_another_stakeholder(officer, upload):
    other = StakeholderFactory(name="Owner", country="KE")
    ExternalIdentifier.objects.create(stakeholder=other, scheme="iati_org", value="XM-9")
    target = StakeholderFactory(name="Target", country="KE")
    job = upload(
        officer,
        "stakeholders",
        csv_bytes("id,name,kind,country,iati_org_ref", f"{target.pk},Target,ngo,KE,XM-9"),
    )
    assert errors_by_row(job)[2] == [
        ("iati_org_ref", "another stakeholder already has this IATI identifier.")
    ]


def test_ambiguous_name_asks_for_an_id(officer, upload):
    StakeholderFactory(name="Twin", country="KE")
    StakeholderFactory(name="Twin", country="KE")
    job = upload(officer, "stakeholders", csv_bytes("name,kind,country", "Twin,ngo,KE"))
    assert errors_by_row(job)[2] == [
        (
            "name",
            "2 stakeholders are named 'Twin' in KE: add an id column to say which one to update.",
        )
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("stakeholders_truncated.csv", "cut off in the middle of this row"),
        ("stakeholders_cut_row.csv", "the row is cut short"),
    ],
)
def test_csv_cut_in_the_middle_is_a_row_error_and_nothing_is_written(
    officer, upload, name, message
):
    job = upload(officer, "stakeholders", fixture_bytes(name))
    assert job.status == Status.INVALID
    assert job.create_count >= 1  # the rows before the cut were fine...
    row_errors = [error for error in job.report["errors"] if message in error["message"]]
    assert row_errors and row_errors[0]["column"] == ""  # ...the cut row names itself
    assert Stakeholder.objects.count() == 0


def test_truncated_xlsx_leaves_the_registry_unchanged(officer, upload):
    StakeholderFactory(name="Already there")
    before = registry_snapshot()
    content = xlsx_bytes([["name", "kind"], *[[f"Actor {n}", "ngo"] for n in range(300)]])
    job = upload(officer, "stakeholders", content[: len(content) * 2 // 3], "cut.xlsx")
    assert job.status == Status.INVALID
    assert "not a valid XLSX workbook" in job.error_message
    assert "truncated" in job.error_message
    assert registry_snapshot() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("stakeholders_latin1.csv", "The file is not UTF-8 text: line 2 has the byte 0xE9"),
        ("stakeholders_utf16.csv", "The file is UTF-16 text"),
        ("stakeholders_blank_lines.csv", "The file is empty"),
    ],
)
def test_wrong_encoding_or_empty_file_is_a_clear_error(officer, upload, name, message):
    StakeholderFactory(name="Already there")
    before = registry_snapshot()
    job = upload(officer, "stakeholders", fixture_bytes(name))
    assert job.status == Status.INVALID
    assert message in job.error_message
    assert job.report["errors"][0]["message"] == job.error_message
    assert registry_snapshot() == before


def test_an_empty_upload_is_refused_at_once(officer):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as excinfo:
        services.import_job_create(
            user=officer, kind="stakeholders", uploaded_file=SimpleUploadedFile("empty.csv", b"")
        )
    assert excinfo.value.message_dict == {"file": ["'empty.csv' is empty."]}
    assert ImportJob.objects.count() == 0


def test_header_problems(officer, upload):
    missing = upload(officer, "stakeholders", fixture_bytes("stakeholders_missing_header.csv"))
    assert missing.status == Status.INVALID
    assert missing.report["errors"] == [
        {
            "row": 1,
            "column": "kind",
            "value": "",
            "message": "missing column 'kind': it is required.",
        }
    ]
    unknown = upload(officer, "stakeholders", fixture_bytes("stakeholders_unknown_header.csv"))
    (error,) = unknown.report["errors"]
    assert error["row"] == 1 and error["column"] == "favourite_colour"
    assert error["message"].startswith("unknown column 'favourite_colour'.")
    assert Stakeholder.objects.count() == 0


def test_header_only_file_has_no_data(officer, upload):
    job = upload(officer, "stakeholders", csv_bytes("name,kind"))
    assert job.status == Status.INVALID
    assert job.error_message == "The file has a header row but no data rows."


def test_semicolon_csv_with_bom_and_decimal_comma(officer, upload, apply):
    job = apply(
        upload(officer, "stakeholders", fixture_bytes("stakeholders_semicolon_bom.csv")), officer
    )
    assert job.status == Status.DONE
    assert Stakeholder.objects.get(name="Semicolon Actor").women_leadership_share == 0.6


def test_failure_during_apply_rolls_everything_back(officer, upload, apply, monkeypatch):
    StakeholderFactory(name="Already there", country="KE")
    rows = [f"Actor {n},ngo,KE" for n in range(7)]
    job = upload(
        officer, "stakeholders", csv_bytes("name,kind,country", *rows, "Already there,firm,KE")
    )
    assert (job.create_count, job.update_count) == (7, 1)
    before = registry_snapshot()

    monkeypatch.setattr(services, "WRITE_BATCH_SIZE", 3)
    real_bulk_create = type(Stakeholder.objects).bulk_create
    calls = []

    def failing_bulk_create(manager, objs, *args, **kwargs):
        if manager.model is Stakeholder:
            calls.append(len(objs))
            if len(calls) == 2:
                raise RuntimeError("disk full on the second batch")
        return real_bulk_create(manager, objs, *args, **kwargs)

    monkeypatch.setattr(type(Stakeholder.objects), "bulk_create", failing_bulk_create)
    job = apply(job, officer)
    assert calls == [3, 3]
    assert job.status == Status.FAILED
    assert job.error_message == (
        "Nothing was imported: the import failed and was rolled back "
        "(disk full on the second batch)."
    )
    assert registry_snapshot() == before


def test_apply_checks_again_and_fails_if_the_registry_changed(officer, upload, apply):
    target = StakeholderFactory(name="Will be restricted", country="KE")
    job = upload(officer, "stakeholders", csv_bytes("id,name,kind", f"{target.pk},Renamed,ngo"))
    assert job.status == Status.VALIDATED
    # Between the check and the import, someone restricts it: the uploader may no longer see it.
    Stakeholder.objects.filter(pk=target.pk).update(sensitivity=Sensitivity.RESTRICTED)
    before = registry_snapshot()
    job = apply(job, officer)
    assert job.status == Status.FAILED
    assert f"row 2, id: no visible stakeholder with id {target.pk}" in job.error_message
    assert registry_snapshot() == before


# --- restriction --------------------------------------------------------------------------------


def test_hidden_stakeholder_is_reported_like_a_missing_one(officer, upload):
    hidden = StakeholderFactory(name="Hidden", sensitivity=Sensitivity.RESTRICTED)
    missing_id = hidden.pk + 1000
    job = upload(
        officer,
        "stakeholders",
        csv_bytes("id,name,kind", f"{hidden.pk},Hidden,ngo", f"{missing_id},Nobody,ngo"),
    )
    errors = errors_by_row(job)
    assert errors[2] == [("id", f"no visible stakeholder with id {hidden.pk}.")]
    assert errors[3] == [("id", f"no visible stakeholder with id {missing_id}.")]
    assert not job.involves_restricted


def test_uncleared_user_cannot_create_restricted_stakeholders(officer, upload):
    job = upload(
        officer, "stakeholders", csv_bytes("name,kind,sensitivity", "Secret,ngo,restricted")
    )
    assert errors_by_row(job)[2] == [
        (
            "sensitivity",
            "you are not cleared for restricted or confidential stakeholders: leave it empty "
            "or write 'public'.",
        )
    ]


def test_cleared_user_imports_restricted_and_the_job_is_hidden_from_uncleared(
    officer, upload, apply, administrator
):
    from django.contrib.auth.models import Permission

    officer.user_permissions.add(Permission.objects.get(codename="view_restricted_stakeholder"))
    officer = type(officer).objects.get(pk=officer.pk)
    job = apply(
        upload(
            officer, "stakeholders", csv_bytes("name,kind,sensitivity", "Secret,ngo,restricted")
        ),
        officer,
    )
    assert job.status == Status.DONE and job.involves_restricted
    assert Stakeholder.objects.get(name="Secret").sensitivity == Sensitivity.RESTRICTED
    from stakeholders.imports.selectors import import_job_visible_to

    assert job in import_job_visible_to(officer)
    assert job not in import_job_visible_to(administrator)
