"""IATI 1.01–2.03: one real-shaped file per version imports the expected organisations, roles and
kinds; schema validation reports lines; --strict refuses; a file of unusable activities fails."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from iati.codelists import organisation_type_code
from iati.importing import IatiImportError, iati_import
from iati.models import IatiActivity
from iati.validation import SUPPORTED_VERSIONS, file_problems, version_declared
from index.models import EngagementParticipant
from stakeholders.choices import Kind
from stakeholders.models import Stake, Stakeholder

VERSIONS = Path(__file__).parent / "files" / "versions"

# Per version: organisation name → (kind, engagement role) as the file's forms should read.
EXPECTED = {
    "1.01": {
        "Department for International Development": (Kind.STATE, "funder"),
        "United Nations Development Programme": (Kind.IGO, "convener"),
        "Sudanese Women Empowerment for Peace": (Kind.NGO, "implementer"),
    },
    "1.02": {
        "Netherlands Ministry of Foreign Affairs": (Kind.STATE, "funder"),
        "Oxfam Novib": (Kind.NGO, "implementer"),
        "Fondation pour le Développement au Sahel": (Kind.FOUNDATION, "implementer"),
    },
    "1.03": {
        "U.S. Agency for International Development": (Kind.STATE, "funder"),
        "International Rescue Committee": (Kind.NGO, "implementer"),
        "Université Catholique de Bukavu": (Kind.ACADEMIC, "implementer"),
    },
    "1.04": {
        "Sweden": (Kind.STATE, "funder"),
        "Swedish International Development Cooperation Agency": (Kind.STATE, "convener"),
        "UN Women": (Kind.IGO, "implementer"),
        "Hormuud Telecom": (Kind.FIRM, "implementer"),
    },
    "1.05": {
        "Bill & Melinda Gates Foundation": (Kind.FOUNDATION, "funder"),
        "Women for Human Rights, single women group": (Kind.NGO, "implementer"),
    },
    **{
        version: {
            "European Commission - International Partnerships": (Kind.STATE, "funder"),
            "UN Women": (Kind.IGO, "convener"),
            "Association des Femmes Juristes du Niger": (Kind.NGO, "implementer"),
            "Université Abdou Moumouni de Niamey": (Kind.ACADEMIC, "implementer"),
        }
        for version in ("2.01", "2.02", "2.03")
    },
}


def test_every_version_has_a_schema_and_a_valid_fixture():
    assert sorted(EXPECTED) == list(SUPPORTED_VERSIONS)
    for version in SUPPORTED_VERSIONS:
        assert list(file_problems(VERSIONS / f"iati-{version}.xml")) == [], version


@pytest.mark.django_db
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_each_version_imports_its_organisations_roles_and_kinds(version):
    report = iati_import(paths=[VERSIONS / f"iati-{version}.xml"])

    assert report.failure is None and report.problem_count == 0
    assert report.counts["activities"].created == 1
    expected = EXPECTED[version]
    kinds = dict(Stakeholder.objects.filter(name__in=expected).values_list("name", "kind"))
    assert kinds == {name: kind for name, (kind, _) in expected.items()}
    roles = dict(
        EngagementParticipant.objects.filter(
            engagement__iati_activity__payload__version=version
        ).values_list("stakeholder__name", "role")
    )
    assert roles == {name: role for name, (_, role) in expected.items()}
    # Sector (DAC 5-digit, "DAC" vocabulary in 1.0x) × recipient country became stakes.
    assert Stake.objects.filter(stakeholder__name__in=expected).count() >= len(expected)
    assert "no organisation type" not in " ".join(report.notes)


def test_organisation_types_as_words_or_codes():
    assert organisation_type_code("Government") == "10"
    assert organisation_type_code("INTERNATIONAL NGO") == "21"
    assert organisation_type_code("academic, training and research") == "80"
    assert organisation_type_code("NGO") == "22"
    assert organisation_type_code(" 040") == "40"
    assert organisation_type_code("Donor") == "Donor"  # unknown: kept so the report names it


def test_versions_are_read_as_declared():
    assert version_declared("1.01") == "1.01"
    assert version_declared("2.3") == "2.03"
    assert version_declared("") == "2.03"
    assert version_declared("3.01") == ""


INVALID = """<?xml version="1.0"?>
<iati-activities version="1.03">
 <iati-activity>
  <iati-identifier>XM-BAD-1</iati-identifier>
  <reporting-org ref="XM-BAD" type="21">Bad Practice NGO</reporting-org>
  <title>Water in Chad</title>
  <participating-org role="Funding" ref="XM-BAD" type="21">Bad Practice NGO</participating-org>
  <recipient-country code="TD"/>
  <sector vocabulary="DAC" code="14030"/>
  <activity-date type="start-actual" iso-date="2012-01-01"/>
  <budget>
   <period-start iso-date="2012-01-01"/>
   <value value-date="2012-01-01">1,200,000</value>
  </budget>
 </iati-activity>
</iati-activities>
"""


@pytest.mark.django_db
def test_schema_problems_are_reported_with_their_lines_and_the_activity_still_imported(tmp_path):
    path = tmp_path / "invalid.xml"
    path.write_text(INVALID, encoding="utf-8")

    report = iati_import(paths=[path])

    assert report.problem_count == 1
    assert report.problems == [
        "invalid.xml, line 13 (XM-BAD-1): Element 'value': '1,200,000' is not a valid value of "
        "the atomic type 'xs:decimal'."
    ]
    assert report.counts["activities"].created == 1
    assert any("line 13 (XM-BAD-1)" in line for line in report.lines())


@pytest.mark.django_db
def test_strict_refuses_the_file_and_validate_imports_nothing(tmp_path):
    path = tmp_path / "invalid.xml"
    path.write_text(INVALID, encoding="utf-8")

    with pytest.raises(IatiImportError, match="line 13"):
        iati_import(paths=[path], validation="strict")
    with pytest.raises(CommandError, match="line 13"):
        call_command("import_iati", str(path), "--strict", stdout=StringIO())
    out = StringIO()
    with pytest.raises(CommandError, match="1 schema problems"):
        call_command("import_iati", str(path), "--validate", stdout=out)
    assert "line 13 (XM-BAD-1)" in out.getvalue()
    assert IatiActivity.objects.count() == 0 and Stakeholder.objects.count() == 0


@pytest.mark.django_db
def test_a_file_where_nothing_could_be_imported_fails_naming_the_reasons(tmp_path):
    path = tmp_path / "empty-ids.xml"
    path.write_text(
        '<iati-activities version="1.01">'
        + "<iati-activity><iati-identifier> </iati-identifier><title>A</title></iati-activity>" * 3
        + "</iati-activities>",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"none of the 3 activities .* 3 × no iati-identifier"):
        call_command("import_iati", str(path), stdout=StringIO())
    out = StringIO()
    call_command("import_iati", str(VERSIONS / "iati-1.01.xml"), stdout=out)
    assert "Imported 1 of 1 activities (0 skipped, 0 schema problems)" in out.getvalue()
