"""The 3W import on well-formed, partial, malformed and untagged files; idempotency; the
restriction rule."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from stakeholders.choices import IdentifierScheme, Kind, Sensitivity, Theme, TieKind
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder, Tie
from stakeholders.signals import registry_bulk_changed
from tests.accounts.factories import UserFactory
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory
from threew.models import ThreeWRow, ThreeWSource
from threew.rows import ThreeWImportError
from threew.services import threew_import

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Stakeholder, ExternalIdentifier, Outcome, Stake, Tie, ThreeWRow)
    }


def stake(name: str, title: str) -> Stake:
    return Stake.objects.get(stakeholder__name=name, outcome__title=title)


def test_a_well_formed_file_maps_organisations_outcomes_stakes_and_ties():
    report = threew_import(path=FILES / "well-formed.csv", source_name="Coastal 3W")
    assert (report.rows_read, report.rows_imported, report.rows_skipped) == (4, 4, 0)
    assert "column 13 (#affected+f): not read" in report.columns
    assert set(Stakeholder.objects.values_list("name", "kind")) == {
        ("Coastal Relief Network", Kind.NGO),  # "NNGO"
        ("Women of the Coast", Kind.WOMENS_GROUP),  # no type: read from the name
        ("Northern Aid Fund", Kind.NGO),  # no type, nothing in the name: NGO, noted
        ("Mountain Health Alliance", Kind.NGO),  # "INGO"
        ("UN Children's Agency", Kind.IGO),  # "UN Agency"
    }
    outcome = Outcome.objects.get(title="Health in Coastal Province, Nigeria")
    assert outcome.theme == Theme.HEALTH_SECURITY and list(outcome.countries) == ["NG"]
    assert Outcome.objects.count() == 4
    # Role rules: implementer 0.8/0.6, lead organisation 0.7/0.5, funder 0.5/0.8.
    title = "Health in Coastal Province, Nigeria"
    assert (
        stake("Women of the Coast", title).interest,
        stake("Women of the Coast", title).influence,
    ) == (0.8, 0.6)
    assert stake("Northern Aid Fund", title).influence == 0.8
    assert stake("Coastal Relief Network", title).source == "3W Coastal 3W row 3"
    # Organisations of one row are partners, the row their source; one tie per pair.
    ties = Tie.objects.filter(kind=TieKind.PARTNERS_WITH)
    assert ties.count() == 4
    tie = ties.get(
        from_stakeholder__name__in=["Coastal Relief Network", "Women of the Coast"],
        to_stakeholder__name__in=["Coastal Relief Network", "Women of the Coast"],
    )
    assert tie.source == "3W Coastal 3W row 3" and str(tie.start_date) == "2024-01-15"
    # Written with history, by the import.
    created = Stakeholder.history.filter(history_type="+")
    assert created.count() == 5
    assert set(created.values_list("history_change_reason", flat=True)) == {"3W import: Coastal 3W"}
    assert Tie.history.count() == 4 and Stake.history.count() == Stake.objects.count()


def test_reimporting_changes_nothing_and_counts_rows_unchanged():
    threew_import(path=FILES / "well-formed.csv", source_name="Coastal 3W")
    before = counts()
    history = Stakeholder.history.count() + Stake.history.count() + Tie.history.count()
    report = threew_import(path=FILES / "well-formed.csv", source_name="Coastal 3W")
    assert (report.rows_imported, report.rows_unchanged) == (0, 4)
    assert counts() == before
    assert Stakeholder.history.count() + Stake.history.count() + Tie.history.count() == history


def test_a_second_source_matches_by_name_and_code_and_creates_nothing_twice(tmp_path):
    threew_import(path=FILES / "well-formed.csv", source_name="Coastal 3W")
    other = tmp_path / "other.csv"
    other.write_text(
        "Org,Code,Cluster,Country\n#org,#org+code,#sector,#country+code\n"
        "THE COASTAL RELIEF NETWORK.,NG-CRN-1,Health,NGA\n"
        "Renamed Network,NG-CRN-1,Protection,NGA\n"
    )
    report = threew_import(path=other, source_name="Other 3W")
    network = Stakeholder.objects.get(name="Coastal Relief Network")
    assert report.created["stakeholders"] == 0 and report.matched == 2
    assert network.external_ids.get().value == "NG-CRN-1"
    assert network.external_ids.get().scheme == IdentifierScheme.OTHER
    assert Outcome.objects.filter(title="Protection in Nigeria").exists()


def test_a_partial_file_imports_what_it_can_and_says_why_it_skipped():
    report = threew_import(path=FILES / "partial.csv")
    assert report.columns[0] == "(read from HXL hashtags in row 3)"
    assert (report.rows_read, report.rows_imported, report.rows_skipped) == (5, 4, 1)
    assert report.skipped == ["row 5: no organisation named (the organisation cells are blank)"]
    assert report.notes["no sector: the row's organisations get no stake"] == 1
    assert report.notes["no area (#adm1 or #country): the row's organisations get no stake"] == 1
    lines = "\n".join(report.lines())
    assert "Rows skipped, commonest reasons first:" in lines
    assert Stakeholder.objects.get(name="Harbour Women's Association").kind == Kind.WOMENS_GROUP
    assert set(Outcome.objects.values_list("title", flat=True)) == {
        "Protection in Coastal Province",
        "Education in Coastal Province",
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-org.csv", "has no organisation column (no #org hashtag)"),
        ("latin1.csv", "is not UTF-8 text: line 3 has the byte 0xE9"),
        ("junk.csv", "contains NUL bytes"),
    ],
)
def test_a_malformed_file_is_refused_as_a_whole(name, message):
    with pytest.raises(ThreeWImportError, match=re.escape(message)):
        threew_import(path=FILES / name)
    assert counts() == dict.fromkeys(counts(), 0) and not ThreeWSource.objects.exists()


def test_a_file_where_no_row_could_be_imported_is_a_failure(tmp_path):
    path = tmp_path / "blank-orgs.csv"
    path.write_text("Organisation,Cluster\n#org,#sector\n,Health\n,WASH\n")
    with pytest.raises(ThreeWImportError, match="no row of blank-orgs.csv could be used") as error:
        threew_import(path=path)
    assert error.value.report.reasons.most_common(1)[0][1] == 2
    assert counts()["Stakeholder"] == 0
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_3w", str(path))


def test_an_untagged_file_is_mapped_with_map_and_the_mapping_remembered(capsys):
    call_command(
        "import_3w",
        str(FILES / "untagged.csv"),
        "--source",
        "Savannah 3W",
        "--map",
        "Organisation=#org+impl,Region=#adm1,Notes=-",
    )
    out = capsys.readouterr().out
    assert "column 1 'Organisation' → #org+impl" in out and "Imported 3 rows of 3" in out
    assert ThreeWSource.objects.get(name="Savannah 3W").column_map == {
        "Organisation": "#org+impl",
        "Region": "#adm1",
        "Notes": "",
    }
    assert Stakeholder.objects.get(name="Savannah Farmers Cooperative").kind == Kind.GRASSROOTS
    assert Stakeholder.objects.get(name="Green Fields Foundation").kind == Kind.FOUNDATION
    assert stake("Savannah Farmers Cooperative", "Food Security in North Region").interest == 0.8
    # The next file of the source, without --map, is read with the remembered mapping.
    report = threew_import(path=FILES / "untagged.csv", source_name="Savannah 3W")
    assert "column 1 'Organisation' → #org+impl" in report.columns
    assert report.columns[0] == (
        "(read from the mapping remembered for 'Savannah 3W', the rest guessed from the headers)"
    )
    assert report.rows_unchanged == 3


def test_an_xlsx_file_is_read_like_a_csv(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Organisation", "Cluster", "Province", "Country"])
    sheet.append(["#org", "#sector", "#adm1", "#country"])
    sheet.append(["Desert Water Trust", "WASH", "Sand Province", "Niger"])
    workbook.save(tmp_path / "desert.xlsx")
    report = threew_import(path=tmp_path / "desert.xlsx")
    assert report.rows_imported == 1
    assert Outcome.objects.get().title == "WASH in Sand Province, Niger"


def test_a_dry_run_writes_nothing():
    report = threew_import(path=FILES / "well-formed.csv", dry_run=True)
    assert report.rows_imported == 4 and report.created["stakeholders"] == 5
    assert counts() == dict.fromkeys(counts(), 0)


def test_stakes_are_raised_not_lowered_and_a_hand_made_stake_is_left_alone():
    hand = StakeholderFactory(name="Coastal Relief Network")
    outcome = OutcomeFactory(title="Health in Coastal Province, Nigeria")
    StakeFactory(stakeholder=hand, outcome=outcome, interest=0.1, influence=0.1, source="")
    report = threew_import(path=FILES / "well-formed.csv")
    assert report.notes["a stake recorded another way already exists: left as it is"] == 1
    assert Stake.objects.get(stakeholder=hand, outcome=outcome).interest == 0.1


def test_one_bulk_signal_after_commit(django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    registry_bulk_changed.connect(listener, dispatch_uid="test_threew_listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            threew_import(path=FILES / "well-formed.csv")
    finally:
        registry_bulk_changed.disconnect(dispatch_uid="test_threew_listener")
    assert [(call["kind"], call["count"]) for call in heard] == [("stakeholders", 5)]


def test_an_uncleared_importer_never_matches_a_restricted_stakeholder(tmp_path):
    hidden = StakeholderFactory(name="Women of the Coast", sensitivity=Sensitivity.RESTRICTED)
    ExternalIdentifier.objects.create(
        stakeholder=hidden, scheme=IdentifierScheme.OTHER, value="NG-WOC-9"
    )
    path = tmp_path / "coded.csv"
    path.write_text(
        "#org,#org+code,#org+impl,#sector,#adm1\n"
        "Coastal Relief Network,,Women of the Coast,Health,Coastal Province\n"
        "Someone Else,NG-WOC-9,,Health,Coastal Province\n"
    )
    officer = UserFactory(roles=["program officer"])

    def report_lines() -> list[str]:
        with transaction.atomic():
            lines = threew_import(path=path, user=officer).lines()
            transaction.set_rollback(True)
        return lines

    # The report reads exactly as it would if the hidden actor had never existed.
    with_hidden = report_lines()
    pk = hidden.pk
    hidden.delete()
    assert report_lines() == with_hidden
    hidden.pk = pk
    hidden.save()
    ExternalIdentifier.objects.create(
        stakeholder=hidden, scheme=IdentifierScheme.OTHER, value="NG-WOC-9"
    )
    report = threew_import(path=path, user=officer)
    assert report.matched == 0 and report.created["stakeholders"] == 3
    assert not report.involves_restricted
    assert not Stake.objects.filter(stakeholder=hidden).exists()
    assert not Tie.objects.filter(from_stakeholder=hidden).exists()
    assert not Tie.objects.filter(to_stakeholder=hidden).exists()
    assert Stakeholder.objects.filter(name="Women of the Coast").count() == 2


def test_a_cleared_importer_matches_it_and_the_report_is_marked(tmp_path):
    hidden = StakeholderFactory(name="Women of the Coast", sensitivity=Sensitivity.RESTRICTED)
    cleared = UserFactory(roles=["program officer"], cleared=True)
    report = threew_import(path=FILES / "well-formed.csv", user=cleared)
    assert report.involves_restricted and report.matched == 1
    assert Stake.objects.filter(stakeholder=hidden).count() == 1


def test_the_queries_of_an_import_do_not_grow_with_its_rows(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(rows: int, run: str) -> int:
        path = tmp_path / f"{run}.csv"
        lines = ["#org,#org+impl,#org+code,#sector,#country"]
        lines += [f"{run} lead {n},{run} impl {n},{run}-{n},Health,Kenya" for n in range(rows)]
        path.write_text("\n".join(lines) + "\n")
        with CaptureQueriesContext(connection) as captured:
            report = threew_import(path=path, source_name=run)
        assert report.rows_imported == rows
        return len(captured)

    queries_for(1, "warm")  # first-use lookups (content types, caches) are paid once, not per row
    assert queries_for(5, "small") == queries_for(60, "large")
