"""Display names: pure functions (stakeholders.names) and how the importers and edits use them."""

import pytest

from iati.importing import iati_import
from stakeholders.models import Stakeholder
from stakeholders.names import (
    name_display,
    name_is_truncation,
    name_key,
    name_normalise,
    names_fullest,
    title_case,
)
from stakeholders.services import stakeholder_update
from tests.iati.test_services import write


@pytest.mark.parametrize(
    ("recorded", "display", "acronym"),
    [
        ("GOVERNMENT OF MALAYSIA", "Government of Malaysia", ""),
        ("MISISTERIO DE SALUD PUBLICA", "Misisterio de Salud Publica", ""),
        ("AYUDA EN ACCION MEXICO", "Ayuda en Accion Mexico", ""),
        ("WOMEN'S FUND ASIA", "Women's Fund Asia", ""),
        ("A.P.MOLLER-MAERSK A/S", "A.P.Moller-Maersk A/S", ""),
        ("UNDP COUNTRY OFFICE FOR THE DRC", "UNDP Country Office for the DRC", ""),
        ("THE BILL AND MELINDA GATES FOUNDATION", "The Bill and Melinda Gates Foundation", ""),
        ("Save the Children UK", "Save the Children UK", ""),  # mixed case: kept as written
        ("UNICEF", "UNICEF", ""),  # one word in capitals is an acronym
        ("  Oxfam   Novib ", "Oxfam Novib", ""),
        (
            "Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)",
            "Deutsche Gesellschaft für Internationale Zusammenarbeit",
            "GIZ",
        ),
        (
            "COOPERAZIONE INTERNAZIONALE SUD SUD (CISS)",
            "Cooperazione Internazionale Sud Sud",
            "CISS",
        ),
        ("(UNICEF)", "(UNICEF)", ""),
        ("ECU-MUNICIPIO DE QUITO", "ECU-Municipio de Quito", ""),  # a country code prefix
        ("Action Against Hunger (UK)", "Action Against Hunger (UK)", ""),  # a qualifier
        ("Gouvernement local (SUD/EST)", "Gouvernement local (SUD/EST)", ""),
        ("Friends (of the Earth)", "Friends (of the Earth)", ""),  # not an acronym in brackets
    ],
)
def test_name_display(recorded, display, acronym):
    assert name_display(recorded) == (display, acronym)


def test_title_case_keeps_small_words_lower_but_not_the_first():
    assert title_case("OF MICE AND MEN") == "Of Mice and Men"
    assert title_case("LA VIA CAMPESINA") == "La Via Campesina"


def test_truncation_needs_a_cut_inside_a_word_or_an_ellipsis():
    full = "Smart Youth Effort For Advanced Community, Tanzania"
    assert name_is_truncation("Smart Youth Effort For Advanced Community, Tanzani", full)
    assert name_is_truncation("Smart Youth Effort For Adv...", full)
    assert not name_is_truncation("Smart Youth Effort For Advanced", full)  # whole words
    assert not name_is_truncation("Smart Yout", full)  # too short to tell
    assert not name_is_truncation(full, full)
    assert names_fullest(["Internat Rescue Committee", "International Rescue Committee"]) == {}
    assert names_fullest(
        [full, "Smart Youth Effort For Advanced Community, Tanzani", "Smart Youth Effort For A…"]
    ) == {
        "Smart Youth Effort For Advanced Community, Tanzani": full,
        "Smart Youth Effort For A…": full,
    }


def test_the_matching_keys_are_unchanged():
    assert name_key("The Bill & Melinda Gates Foundation.") == "bill melinda gates foundation"
    assert name_normalise("A.P.Moller-Maersk A/S") == "ap moller maersk"


def _org_activity(identifier: str, name: str, *, ref: str = "") -> str:
    ref_attr = f' ref="{ref}"' if ref else ""
    return f"""
 <iati-activity last-updated-datetime="2024-01-01T00:00:00">
  <iati-identifier>{identifier}</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="10"><narrative>Test Publisher</narrative></reporting-org>
  <participating-org role="4" type="24"{ref_attr}><narrative>{name}</narrative>
  </participating-org>
  <recipient-country code="YE"/>
  <sector vocabulary="1" code="15220"/>
 </iati-activity>"""


@pytest.mark.django_db
def test_iati_import_shows_clean_names_and_keeps_the_recorded_one(tmp_path):
    cut, full = (
        "Smart Youth Effort For Advanced Community, Tanzani",
        "Smart Youth Effort For Advanced Community, Tanzania",
    )
    path = write(
        tmp_path,
        _org_activity("XI-TEST-1-A", "GOVERNMENT OF MALAYSIA"),
        _org_activity("XI-TEST-1-B", cut),
        _org_activity("XI-TEST-1-C", full),
    )
    iati_import(paths=[path])
    malaysia = Stakeholder.objects.get(recorded_name="GOVERNMENT OF MALAYSIA")
    assert malaysia.name == "Government of Malaysia"
    assert malaysia.origin == "iati"
    assert malaysia.source == "IATI activity XI-TEST-1-A of publisher XI-TEST-1"
    # The cut name and the full one are one stakeholder, named in full.
    smart = Stakeholder.objects.filter(name__startswith="Smart Youth")
    assert [row.name for row in smart] == ["Smart Youth Effort For Advanced Community, Tanzania"]
    assert smart[0].stakes.count() == 1


@pytest.mark.django_db
def test_an_organisation_first_seen_cut_short_takes_its_full_name_and_matches_the_registry(
    tmp_path,
):
    curated = Stakeholder.objects.create(
        name="United Nations Office for the Coordination of Humanitarian Affairs", kind="igo"
    )
    path = write(
        tmp_path,
        _org_activity(
            "XI-TEST-1-A", "United Nations Office for the Coordination of Huma", ref="XM-DAC-41127"
        ),
        _org_activity(
            "XI-TEST-1-B",
            "United Nations Office for the Coordination of Humanitarian Affairs (OCHA)",
            ref="XM-DAC-41127",
        ),
    )
    iati_import(paths=[path])
    assert not Stakeholder.objects.filter(name__endswith="Huma").exists()
    assert list(curated.external_ids.values_list("value", flat=True)) == ["XM-DAC-41127"]
    assert curated.stakes.count() == 1


@pytest.mark.django_db
def test_a_name_edited_by_an_officer_wins_over_reimports(tmp_path):
    first = write(tmp_path, _org_activity("XI-TEST-1-A", "MINISTRY OF HEALTH", ref="XM-MOH"))
    iati_import(paths=[first])
    ministry = Stakeholder.objects.get(recorded_name="MINISTRY OF HEALTH")
    assert ministry.name == "Ministry of Health"

    stakeholder_update(stakeholder=ministry, name="Ministry of Public Health (Yemen)")
    assert ministry.name_edited
    again = write(tmp_path, _org_activity("XI-TEST-1-A", "MOPH", ref="XM-MOH"), name="again.xml")
    iati_import(paths=[again])
    ministry.refresh_from_db()
    assert ministry.name == "Ministry of Public Health (Yemen)"
    assert ministry.normalised_name == name_normalise("Ministry of Public Health (Yemen)")
    assert Stakeholder.objects.filter(external_ids__value="XM-MOH").count() == 1


@pytest.mark.django_db
def test_an_edit_that_keeps_the_name_does_not_mark_it_edited():
    stakeholder = Stakeholder.objects.create(name="Oxfam", kind="ngo")
    stakeholder_update(stakeholder=stakeholder, kind="foundation")
    assert not stakeholder.name_edited


def test_the_ascii_shortcut_of_folding_gives_the_full_fold():
    """``_fold`` skips NFKD for ASCII text (the IATI import's hot path): every ASCII character,
    and names mixing cases and punctuation, fold as the Unicode path folds them."""
    import unicodedata

    from stakeholders.names import _fold

    def full(text: str) -> str:
        text = unicodedata.normalize("NFKD", text)
        return "".join(c for c in text if not unicodedata.combining(c)).casefold()

    texts = ["".join(map(chr, range(128))), "The A.P. Moller - Maersk A/S", "UNDP (NY)"]
    for text in texts:
        assert _fold(text) == full(text)
    assert _fold("Médecins Sans Frontières") == "medecins sans frontieres"  # not ASCII
