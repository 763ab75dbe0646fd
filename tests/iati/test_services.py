"""iati_import: real files end to end, idempotence, newer versions, broken files, the command."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from iati.importing import STAKE_SOURCE, IatiImportError, iati_import
from iati.models import IatiActivity
from stakeholders.choices import IdentifierScheme, Kind, Sensitivity, Theme
from stakeholders.models import (
    ExternalIdentifier,
    Outcome,
    Sector,
    Stake,
    Stakeholder,
)
from stakeholders.services import stakeholder_update
from stakeholders.signals import registry_bulk_changed
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
SEVEN = FILES / "dportal-foodsecurity-7-activities.xml"
SAMPLE = Path(__file__).resolve().parents[2] / "iati/sample/dportal-covid-401-activities.xml"
MODELS = (Stakeholder, ExternalIdentifier, Sector, Outcome, Stake, IatiActivity)


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def created(report) -> dict[str, int]:
    return {name: counts.created for name, counts in report.counts.items()}


def activity_xml(identifier: str, *, updated="2024-01-01T00:00:00", org_type="21", body=""):
    return f"""
 <iati-activity last-updated-datetime="{updated}">
  <iati-identifier>{identifier}</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="{org_type}"><narrative>Test Org</narrative></reporting-org>
  <participating-org ref="XI-TEST-1" role="1" type="{org_type}"><narrative>Test Org</narrative>
  </participating-org>
  <participating-org role="4" type="24"><narrative>Women of Marib</narrative></participating-org>
  <recipient-country code="YE"/>
  <sector vocabulary="1" code="15220"/>
  {body}
 </iati-activity>"""


def write(tmp_path, *activities: str, name="crafted.xml", tail="</iati-activities>") -> Path:
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0"?>\n<iati-activities version="2.03">' + "".join(activities) + tail,
        encoding="utf-8",
    )
    return path


def test_seven_activities_import_with_the_expected_counts():
    report = iati_import(paths=[SEVEN])
    # Counted by reading the file: 18 organisations (12 with a usable ref; "N/A" is none),
    # 7 DAC sectors × recipient countries on 4 activities (3 have no recipient country),
    # 20 organisation × outcome pairs.
    assert report.activities_read == 7
    assert created(report) == {
        "activities": 7,
        "stakeholders": 18,
        "identifiers": 12,
        "sectors": 7,
        "outcomes": 7,
        "stakes": 20,
        "engagements": 7,
    }
    assert report.notes["activity without a DAC 5-digit sector and a recipient country"] == 3
    assert report.notes["no organisation type: recorded as NGO"] == 3
    assert table_counts() == {
        "Stakeholder": 18,
        "ExternalIdentifier": 12,
        "Sector": 7,
        "Outcome": 7,
        "Stake": 20,
        "IatiActivity": 7,
    }

    bmz = Stakeholder.objects.get(external_ids__value="DE-1")
    assert bmz.kind == Kind.STATE
    assert bmz.history.count() == 1
    # BMZ funds two activities, each in one outcome: interest 0.5 in each, influence 1.0.
    assert sorted(bmz.stakes.values_list("outcome__title", "interest", "influence")) == [
        ("Agricultural development in Haiti", 0.5, 1.0),
        ("Rural development in the Philippines", 0.5, 1.0),
    ]
    kze = Stakeholder.objects.get(name__startswith="Katholische Zentralstelle")
    assert kze.kind == Kind.NGO and not kze.external_ids.exists()
    # Accountable and extending: the stronger role counts (0.8); its activity is the outcome's
    # only one with a budget, so its budget share is 1: influence (0.8 + 1) / 2.
    assert kze.stakes.get().influence == 0.9
    assert Stakeholder.objects.get(external_ids__value="UG-NGO-1406").kind == Kind.ACADEMIC
    outcome = Outcome.objects.get(title__endswith=" in Nigeria", title__startswith="Disaster")
    assert outcome.theme == Theme.DISPLACEMENT and outcome.countries == ["NG"]
    assert set(Stake.objects.values_list("source", flat=True)) == {STAKE_SOURCE}
    assert (
        IatiActivity.objects.get(iati_identifier="NL-KVK-30214009-C380").payload["gender_marker"]
        == 1
    )


def test_reimporting_the_same_file_changes_nothing():
    iati_import(paths=[SEVEN])
    before = table_counts()
    stake_history = Stake.history.count()
    report = iati_import(paths=[SEVEN])
    assert report.changed == 0
    assert report.counts["activities"].unchanged == 7
    assert report.counts["stakes"].unchanged == 20
    assert table_counts() == before
    assert Stake.history.count() == stake_history


def test_the_401_activity_file_imports_end_to_end():
    report = iati_import(paths=[SAMPLE])
    assert report.activities_read == 401
    assert report.counts["activities"].created == 401
    # The README counts 288 distinct participating organisations (by ref or by name as written);
    # deduplication by ref then normalised name merges spellings, and reporting organisations
    # are added: 271 stakeholders, each of the 184 refs kept once as an external id.
    assert report.counts["stakeholders"].created == 271
    assert ExternalIdentifier.objects.filter(scheme=IdentifierScheme.IATI_ORG).count() == 184
    assert report.counts["outcomes"].created == 364
    assert report.counts["stakes"].created == 1644
    assert {kind for kind in Stakeholder.objects.values_list("kind", flat=True)} >= {
        Kind.STATE,
        Kind.IGO,
        Kind.NGO,
        Kind.FIRM,
        Kind.FOUNDATION,
        Kind.ACADEMIC,
    }
    assert Outcome.objects.filter(theme=Theme.WOMEN_PEACE_SECURITY).exists()
    assert IatiActivity.objects.exclude(payload__gender_marker=None).count() == 188
    assert iati_import(paths=[SAMPLE]).changed == 0


def test_a_newer_version_updates_and_an_older_one_is_skipped(tmp_path):
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A"), activity_xml("XI-TEST-1-B"))])
    newer = write(
        tmp_path,
        activity_xml(
            "XI-TEST-1-A",
            updated="2025-01-01T00:00:00",
            body='<recipient-country code="SY"/>',
        ),
        activity_xml("XI-TEST-1-B"),
        name="newer.xml",
    )
    report = iati_import(paths=[newer])
    assert report.counts["activities"].updated == 1
    assert report.counts["activities"].unchanged == 1
    assert report.counts["outcomes"].created == 1  # civilian peace-building in Syria
    # Test Org now works on Syria in one of its two activities: its Yemen interest stays 1.0.
    syria = Outcome.objects.get(title__endswith="in the Syrian Arab Republic")
    assert Stake.objects.get(outcome=syria, stakeholder__name="Test Org").interest == 0.5
    row = IatiActivity.objects.get(iati_identifier="XI-TEST-1-A")
    assert row.source == "newer.xml" and row.last_updated.year == 2025

    older = write(
        tmp_path, activity_xml("XI-TEST-1-A", updated="2020-01-01T00:00:00"), name="o.xml"
    )
    report = iati_import(paths=[older])
    assert report.counts["activities"].skipped == 1
    assert "older than the version already imported" in " ".join(report.notes)
    assert IatiActivity.objects.get(iati_identifier="XI-TEST-1-A").last_updated.year == 2025


def test_existing_stakeholders_are_matched_not_overwritten():
    unicef = StakeholderFactory(
        name="The Netherlands – Ministry of Foreign Affairs", kind=Kind.STATE
    )
    pax = StakeholderFactory(name="Someone else", kind=Kind.NGO)
    ExternalIdentifier.objects.create(
        stakeholder=pax, scheme=IdentifierScheme.IATI_ORG, value="NL-KVK-30214009"
    )
    report = iati_import(paths=[SEVEN])
    assert report.counts["stakeholders"].created == 16
    assert report.counts["stakeholders"].updated == 1  # gained its IATI ref
    unicef.refresh_from_db()
    assert unicef.external_ids.get().value == "XM-DAC-7"
    pax.refresh_from_db()
    assert pax.name == "Someone else" and pax.stakes.count() == 0  # PAX's activity: no country


def test_a_stake_recorded_by_hand_is_left_alone():
    iati_import(paths=[SEVEN])
    stake = Stake.objects.order_by("id").first()
    Stake.objects.filter(pk=stake.pk).update(source="Field interview", interest=0.1)
    report = iati_import(paths=[SEVEN])
    assert report.counts["stakes"].skipped == 1
    stake.refresh_from_db()
    assert (stake.source, stake.interest) == ("Field interview", 0.1)


def test_unknown_codes_and_missing_identifiers_are_skipped_or_noted(tmp_path):
    path = write(
        tmp_path,
        activity_xml("XI-TEST-1-A", org_type="77"),
        "<iati-activity><title><narrative>No id</narrative></title></iati-activity>",
        activity_xml("XI-TEST-1-C", body='<sector vocabulary="1" code="99999"/>'),
        activity_xml("XI-TEST-1-D", body='<recipient-country code="QQ"/>'),
    )
    report = iati_import(paths=[path])
    assert report.counts["activities"].created == 3
    assert report.counts["activities"].skipped == 1
    assert "crafted.xml, activity #2: no iati-identifier" in report.skipped
    assert report.notes["unknown organisation type '77': recorded as NGO"] == 1
    assert report.notes["unknown DAC sector code 99999: no outcome for it"] == 1
    assert report.notes["unknown country code QQ: no outcome for it"] == 1
    assert Stakeholder.objects.get(name="Test Org").kind == Kind.NGO
    assert Outcome.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not xml", "not an XML file"),
        ('<iati-activities xmlns="urn:x"></iati-activities>', "namespace 'urn:x'"),
        ("<html><body>404</body></html>", "not <iati-activities>"),
    ],
    ids=["not-xml", "wrong-namespace", "wrong-root"],
)
def test_a_broken_file_aborts_the_whole_import(tmp_path, text, reason):
    broken = tmp_path / "zz-broken.xml"
    broken.write_text(text)
    with pytest.raises(IatiImportError) as error:
        iati_import(paths=[SEVEN, broken])
    assert "Nothing was imported" in str(error.value) and reason in str(error.value)
    assert "zz-broken.xml" in str(error.value)
    assert set(table_counts().values()) == {0}


def test_a_truncated_file_aborts_after_its_good_activities(tmp_path):
    good = [activity_xml(f"XI-TEST-1-{n}") for n in range(600)]  # past one write batch (500)
    truncated = write(tmp_path, *good, "<iati-activity><iati-identifier>X", tail="")
    with pytest.raises(IatiImportError, match="broken or truncated XML"):
        iati_import(paths=[truncated])
    assert set(table_counts().values()) == {0}


def test_folders_are_scanned_and_missing_paths_refused(tmp_path):
    shutil.copy(SEVEN, tmp_path / "a.xml")
    (tmp_path / "notes.txt").write_text("not imported")
    assert iati_import(paths=[tmp_path]).activities_read == 7
    with pytest.raises(IatiImportError, match="neither a file nor a folder"):
        iati_import(paths=[tmp_path / "missing.xml"])


def test_one_bulk_signal_on_commit(django_capture_on_commit_callbacks):
    sent = []

    def listener(sender, kind, count, **kwargs):
        sent.append((kind, count))

    registry_bulk_changed.connect(listener, dispatch_uid="test_iati_listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            iati_import(paths=[SEVEN])
        with django_capture_on_commit_callbacks(execute=True):
            iati_import(paths=[SEVEN])
    finally:
        registry_bulk_changed.disconnect(dispatch_uid="test_iati_listener")
    # Stakeholders were created: announced as such, so that the graph refreshes too (the
    # overlap engine starts its run for either kind). Nothing changed the second time: no signal.
    assert sent == [("stakeholders", 18)]


def test_the_existing_outcome_is_reused(tmp_path):
    OutcomeFactory(title="Civilian peace-building, conflict prevention and resolution in Yemen")
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A"))])
    assert Outcome.objects.count() == 1
    assert Stake.objects.count() == 2


def test_command_prints_the_report(tmp_path):
    from io import StringIO

    out = StringIO()
    call_command("import_iati", str(SEVEN), stdout=out)
    text = out.getvalue()
    assert "Activities read: 7" in text
    assert "stakes       created     20" in text
    assert "peak resident memory" in text
    broken = tmp_path / "b.xml"
    broken.write_text("<iati-activities><iati-activity>")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_iati", str(broken), stdout=StringIO())


def test_stake_factory_rows_do_not_block_the_import():
    StakeFactory()  # an unrelated registry row
    assert iati_import(paths=[SEVEN]).counts["stakes"].created == 20


def test_seed_demo_offers_the_iati_sample():
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", "--iati", stdout=out)
    assert "Importing the IATI sample (dportal-covid-401-activities.xml)" in out.getvalue()
    assert "engagements  created    401" in out.getvalue()  # the summary names all it made
    assert IatiActivity.objects.count() == 401
    # The demo's own stakeholders with IATI refs are matched, not duplicated.
    refs = ExternalIdentifier.objects.filter(scheme=IdentifierScheme.IATI_ORG)
    assert refs.values("value").distinct().count() == refs.count()
    out = StringIO()
    call_command("seed_demo", "--iati", stdout=out)
    assert "stakes       created      0" in out.getvalue()


BUDGET = (
    '<budget><period-start iso-date="2023-01-01"/><period-end iso-date="2023-12-31"/>'
    "<value>{}</value></budget>"
)
ADEN = (
    '<participating-org role="4" type="22"><narrative>Aden Relief</narrative></participating-org>'
)


def _influence_by_name():
    return dict(Stake.objects.values_list("stakeholder__name", "influence"))


def test_influence_averages_the_role_with_the_budget_share_of_the_outcome(tmp_path):
    # One outcome (Yemen × 15220), three activities: budgets 300 (with Aden Relief), 100, none.
    iati_import(
        paths=[
            write(
                tmp_path,
                activity_xml("XI-TEST-1-A", body=ADEN + BUDGET.format(300)),
                activity_xml("XI-TEST-1-B", body=BUDGET.format(100)),
                activity_xml("XI-TEST-1-C"),
            )
        ]
    )
    influence = _influence_by_name()
    assert influence["Test Org"] == 1.0  # funding (1.0), in every activity: share 400/400
    assert influence["Women of Marib"] == 0.75  # implementing (0.5), share 1: (0.5 + 1) / 2
    assert influence["Aden Relief"] == 0.625  # implementing (0.5), share 300/400: (0.5 + 0.75) / 2


def test_without_published_budgets_influence_is_the_role_alone(tmp_path):
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A", body=ADEN))])
    influence = _influence_by_name()
    assert (influence["Test Org"], influence["Aden Relief"]) == (1.0, 0.5)


def test_a_new_organisation_says_which_activity_and_publisher_it_was_first_read_in(tmp_path):
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A1"), activity_xml("XI-TEST-1-A2"))])
    assert Stakeholder.objects.get(name="Women of Marib").source == (
        "IATI activity XI-TEST-1-A1 of publisher XI-TEST-1"
    )
    # Matched to an existing record: its provenance is left as it was.
    assert Stakeholder.objects.get(name="Test Org").source.startswith("IATI activity XI-TEST-1-A1")
    curated = StakeholderFactory(name="Save the Children")
    second = activity_xml("XI-TEST-1-A3").replace("Women of Marib", "Save the Children")
    iati_import(paths=[write(tmp_path, second, name="second.xml")])
    curated.refresh_from_db()
    assert curated.source == ""


def renamed(activity: str, spelling: dict[str, str]) -> str:
    for old, new in spelling.items():
        activity = activity.replace(
            f"<narrative>{old}</narrative>", f"<narrative>{new}</narrative>"
        )
    return activity


def test_a_reimport_refreshes_an_unedited_imported_name_and_keeps_an_edited_one(tmp_path):
    first = {"Test Org": "OXFAM NOVIB", "Women of Marib": "WOMEN OF MARIB ASSOCIATION"}
    iati_import(paths=[write(tmp_path, renamed(activity_xml("XI-TEST-1-A1"), first))])
    oxfam = Stakeholder.objects.get(external_ids__value="XI-TEST-1")
    assert (oxfam.name, oxfam.recorded_name) == ("Oxfam Novib", "OXFAM NOVIB")
    marib = Stakeholder.objects.get(recorded_name="WOMEN OF MARIB ASSOCIATION")
    stakeholder_update(stakeholder=marib, name="Marib Women's Association")  # by hand

    # The publisher now spells both differently (a newer version of the activity).
    later = {"Test Org": "Oxfam Novib (NOVIB)", "Women of Marib": "Women of Marib Association"}
    report = iati_import(
        paths=[
            write(
                tmp_path,
                renamed(activity_xml("XI-TEST-1-A1", updated="2025-01-01T00:00:00"), later),
                name="later.xml",
            )
        ]
    )
    oxfam.refresh_from_db()
    assert (oxfam.name, oxfam.recorded_name, oxfam.acronym) == (
        "Oxfam Novib",
        "Oxfam Novib (NOVIB)",
        "NOVIB",
    )
    assert oxfam.history.first().history_type == "~"
    marib.refresh_from_db()
    assert (marib.name, marib.recorded_name) == (
        "Marib Women's Association",
        "WOMEN OF MARIB ASSOCIATION",
    )  # edited by hand: kept, and so is the spelling it was read under
    assert report.counts["stakeholders"].updated == 1
    assert Stakeholder.objects.count() == 2

    # The same spelling again changes nothing.
    again = iati_import(paths=[tmp_path / "later.xml"])
    assert again.counts["stakeholders"].updated == 0


def test_a_source_never_names_a_publisher_held_by_a_hidden_stakeholder(tmp_path):
    secret = StakeholderFactory(name="Test Org", sensitivity=Sensitivity.RESTRICTED)
    ExternalIdentifier.objects.create(
        stakeholder=secret, scheme=IdentifierScheme.IATI_ORG, value="XI-TEST-1"
    )
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A1"))])
    # "Women of Marib" is new and public: its provenance must not point at the hidden publisher.
    assert Stakeholder.objects.get(name="Women of Marib").source == "IATI import"
