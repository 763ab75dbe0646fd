"""The pure parts of the IATI import: the streaming parser, the codelists and the mapping tables."""

import dataclasses
import datetime as dt
import tracemalloc
from pathlib import Path

import pytest

from iati import mapping
from iati.codelists import codelist, country_name, sector_name
from iati.importing.activities import _digest
from iati.parser import Activity, IatiFileError, SkippedActivity, activities_read
from stakeholders.choices import Kind, Theme

from .synthetic import synthetic_iati_write

FILES = Path(__file__).parent / "files"
SEVEN = FILES / "dportal-foodsecurity-7-activities.xml"


def write(tmp_path, text: str, name: str = "file.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_seven_real_activities_parse_completely():
    activities = list(activities_read(SEVEN))
    assert [type(a) for a in activities] == [Activity] * 7
    first = activities[0]
    assert first.identifier == "XI-IATI-EC_INTPA-2021/429-054"
    assert first.title.startswith("PRCCE II - Lot n3")
    assert first.reporting_org.ref == "XI-IATI-EC_INTPA"
    assert first.reporting_org.type == "15"
    # ref="N/A" is not an identifier; roles are the 2.0x codes.
    assert [(o.ref, o.role) for o in first.participating_orgs] == [
        ("", "4"),
        ("XI-IATI-EC_INTPA", "1"),
        ("XT-IATI-EC_INTPA", "3"),
        ("12000", "2"),
    ]
    assert first.recipient_countries == (("CG", 100.0),)
    assert [code for code, _ in first.sectors] == ["32140", "32162", "32130"]
    assert first.dates == {
        "1": dt.date(2021, 12, 13),
        "2": dt.date(2022, 1, 17),
        "3": dt.date(2022, 10, 13),
    }
    # Gender-equality marker (policy marker 1) significance per activity; CAFOD's has none.
    assert [a.gender_marker for a in activities] == [0, 1, 2, None, 1, 1, 1]
    assert activities[3].budget_total == 50000
    # Tropenbos's sectors are DAC 3-digit (vocabulary 2): not used for outcomes, but counted.
    assert activities[2].sectors == () and activities[2].other_sector_count == 3
    assert activities[0].payload()["dates"]["2"] == "2022-01-17"


def test_version_1_files_english_narratives_and_dportal_attributes(tmp_path):
    path = write(
        tmp_path,
        """<iati-activities version="1.03" xmlns:dstore="http://d-portal.org/xmlns/dstore">
 <iati-activity dstore:dataset="x" last-updated-datetime="2013-05-01T10:00:00" xml:lang="fr">
  <iati-identifier>GB-1-100</iati-identifier>
  <reporting-org ref="GB-1" type="10">Department for International Development</reporting-org>
  <participating-org role="Funding" ref="GB-1" type="10">DFID</participating-org>
  <participating-org role="Implementing" type="21">Oxfam GB</participating-org>
  <title><narrative>Titre</narrative><narrative xml:lang="en">Title</narrative></title>
  <activity-date type="start-actual" iso-date="2012-04-01"/>
  <recipient-country code="ye" percentage="60"/>
  <sector vocabulary="DAC" code="15220" percentage="100"/>
  <policy-marker vocabulary="DAC" code="1" significance="2"/>
 </iati-activity>
</iati-activities>""",
    )
    [activity] = activities_read(path)
    assert activity.version == "1.03"
    assert activity.last_updated == dt.datetime(2013, 5, 1, 10, tzinfo=dt.UTC)
    assert activity.reporting_org.name == "Department for International Development"
    assert [(o.name, o.role) for o in activity.participating_orgs] == [
        ("DFID", "1"),
        ("Oxfam GB", "4"),
    ]
    assert activity.title == "Title"  # English preferred over the activity's default French
    assert activity.dates == {"2": dt.date(2012, 4, 1)}
    assert activity.recipient_countries == (("YE", 60.0),)
    assert activity.sectors == (("15220", 100.0),)
    assert activity.gender_marker == 2


def test_activity_without_identifier_is_skipped_with_a_reason(tmp_path):
    path = write(
        tmp_path,
        '<iati-activities version="2.03"><iati-activity><title><narrative>x</narrative></title>'
        "</iati-activity><iati-activity><iati-identifier>A-1</iati-identifier></iati-activity>"
        "</iati-activities>",
    )
    skipped, kept = activities_read(path)
    assert skipped == SkippedActivity(1, "", "no iati-identifier")
    assert kept.identifier == "A-1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("this is not XML at all", "not an XML file"),
        ("", "not an XML file"),
        (
            '<iati-activities xmlns="http://example.org/iati" version="2.03"></iati-activities>',
            "namespace 'http://example.org/iati'",
        ),
        ("<iati-organisations version='2.03'></iati-organisations>", "<iati-organisations>"),
        ("<iati-activities version='3.0'></iati-activities>", "version '3.0' is not supported"),
        (
            "<iati-activities version='2.03'><iati-activity><iati-identifier>A-1</iati-identifier>"
            "</iati-activity><iati-activity><iati-identif",
            "broken or truncated XML at line 1",
        ),
    ],
    ids=["not-xml", "empty", "wrong-namespace", "wrong-root", "unknown-version", "truncated"],
)
def test_broken_files_are_refused_with_the_reason(tmp_path, text, reason):
    path = write(tmp_path, text)
    with pytest.raises(IatiFileError) as error:
        list(activities_read(path))
    assert reason in error.value.reason
    assert error.value.path == str(path)


def test_memory_stays_bounded_on_a_large_file(tmp_path):
    """20,000 activities (~38 MB): the parser's peak allocations stay far below the file size."""
    path = synthetic_iati_write(tmp_path / "big.xml", 20_000)
    assert path.stat().st_size > 30 * 1024 * 1024
    tracemalloc.start()
    try:
        count = sum(1 for _ in activities_read(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"


def test_codelists_read_the_shipped_files():
    assert len(codelist("OrganisationType")) == 16
    assert codelist("OrganisationRole") == {
        "1": "Funding",
        "2": "Accountable",
        "3": "Extending",
        "4": "Implementing",
    }
    assert (
        sector_name("15170")
        == "Women's rights organisations and movements, and government institutions"
    )
    assert sector_name("99999") is None
    assert country_name("ye") == "Yemen"
    assert codelist("PolicySignificance")["2"] == "principal objective"


@pytest.mark.parametrize(
    ("code", "kind", "noted"),
    [
        ("10", Kind.STATE, False),
        ("11", Kind.STATE, False),
        ("15", Kind.STATE, False),
        ("21", Kind.NGO, False),
        ("22", Kind.NGO, False),
        ("23", Kind.NGO, False),
        ("24", Kind.NGO, False),
        ("30", Kind.FIRM, False),
        ("40", Kind.IGO, False),
        ("60", Kind.FOUNDATION, False),
        ("70", Kind.FIRM, False),
        ("71", Kind.FIRM, False),
        ("72", Kind.FIRM, False),
        ("73", Kind.FIRM, False),
        ("80", Kind.ACADEMIC, False),
        ("90", Kind.NGO, True),
        ("", Kind.NGO, True),
        ("99", Kind.NGO, True),
    ],
)
def test_organisation_type_to_kind(code, kind, noted):
    mapped, note = mapping.kind_for_org_type(code)
    assert mapped == kind
    assert (note is not None) == noted


def test_every_organisation_type_of_the_codelist_is_in_the_table():
    assert set(codelist("OrganisationType")) == set(mapping.KIND_BY_ORG_TYPE)


@pytest.mark.parametrize(
    ("sector", "theme"),
    [
        ("15170", Theme.WOMEN_PEACE_SECURITY),
        ("15180", Theme.WOMEN_PEACE_SECURITY),
        ("15220", Theme.RECONSTRUCTION),
        ("15261", Theme.RECONSTRUCTION),
        ("72010", Theme.DISPLACEMENT),
        ("73010", Theme.DISPLACEMENT),
        ("74020", Theme.DISPLACEMENT),
        ("41010", Theme.CLIMATE_SECURITY),
        ("22040", Theme.CYBER),
        ("12220", Theme.HEALTH_SECURITY),
        ("31120", Theme.FOOD_SECURITY),
        ("15110", Theme.GOVERNANCE),
    ],
)
def test_sector_to_theme(sector, theme):
    assert mapping.theme_for_sector(sector) == theme


def test_roles_to_influence():
    assert [mapping.influence_for_role(role) for role in ("1", "2", "3", "4", "")] == [
        1.0,
        0.8,
        0.6,
        0.5,
        0.5,
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Bill & Melinda Gates Foundation", "bill  melinda gates foundation."),
        ("UN-HABITAT", "un habitat"),
        ("Médecins Sans Frontières", "MEDECINS SANS FRONTIERES"),
        ("PAX ", "pax"),
    ],
)
def test_name_normalisation_matches_spellings(a, b):
    assert mapping.name_normalised(a) == mapping.name_normalised(b)


def test_name_normalisation_keeps_different_names_apart():
    assert mapping.name_normalised("Theatre for Change") != mapping.name_normalised("for Change")


def test_the_payload_is_the_dataclass_as_a_dict_so_stored_digests_stay_valid():
    """The payload is built field by field for speed; an activity stored before must keep its
    digest (or every re-import would count it as changed)."""

    def as_before(activity: Activity) -> dict:
        data = dataclasses.asdict(activity)
        data["last_updated"] = activity.last_updated.isoformat() if activity.last_updated else None
        data["dates"] = {key: value.isoformat() for key, value in activity.dates.items()}
        return data

    sample = Path(__file__).resolve().parents[2] / "iati/sample/dportal-covid-401-activities.xml"
    activities = [a for a in activities_read(sample) if isinstance(a, Activity)]
    assert len(activities) == 401
    for activity in activities:
        payload = activity.payload()
        assert payload == as_before(activity)
        assert list(payload) == list(as_before(activity))  # same keys in the same order
        assert _digest(payload) == _digest(as_before(activity))
