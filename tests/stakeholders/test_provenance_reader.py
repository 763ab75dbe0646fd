"""Provenance rendered per reader (``stakeholders.provenance``): an IATI-made actor names its
activity and publisher, except to a reader not cleared for the publisher, who reads exactly what
they would read had the import recorded no publisher."""

import pytest
from django.urls import reverse

from iati.importing import iati_import
from stakeholders.choices import IdentifierScheme, Sensitivity
from stakeholders.models import ExternalIdentifier, Stakeholder
from stakeholders.provenance import provenance_text, stakeholder_provenance, stakeholders_provenance
from tests.conftest import login_verified
from tests.iati.test_services import activity_xml, write
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def imported(name: str, *, publisher: Stakeholder | None, activity="XM-DAC-7-1") -> Stakeholder:
    return StakeholderFactory(
        name=name,
        origin="iati",
        source="IATI import",
        source_activity=activity if publisher is not None else "",
        source_publisher=publisher,
    )


def test_the_words_for_each_origin():
    assert provenance_text(origin="curated", source="") == "curated"
    assert provenance_text(origin="csv", source="Import #12: registry.csv") == "CSV import #12"
    assert provenance_text(origin="3w", source="3W OCHA Nigeria row 7") == "3W OCHA Nigeria row 7"
    assert (
        provenance_text(origin="iati", source="", activity="XM-1-A", publisher="Danida")
        == "IATI activity XM-1-A of publisher Danida"
    )
    # A hidden publisher, or none linked: the same words, so neither tells the other apart.
    hidden = provenance_text(
        origin="iati", source="", activity="XM-1-A", publisher=None, publisher_hidden=True
    )
    assert hidden == provenance_text(origin="iati", source="", activity="XM-1-A") == "IATI import"


def test_a_hidden_publisher_is_named_only_to_the_cleared(analyst, cleared_analyst):
    secret = StakeholderFactory(name="Quiet Donor", sensitivity=Sensitivity.RESTRICTED)
    public = StakeholderFactory(name="Danida", acronym="DK")
    by_secret = imported("Women of Gao", publisher=secret)
    by_public = imported("Gao Water Users", publisher=public)
    seen = stakeholders_provenance([by_secret, by_public], user=analyst)
    assert seen[by_secret.pk].text == "IATI import"
    assert seen[by_secret.pk].publisher_id is None
    assert seen[by_public.pk].text == "IATI activity XM-DAC-7-1 of publisher Danida (DK)"
    assert seen[by_public.pk].publisher_id == public.pk
    cleared = stakeholder_provenance(by_secret, user=cleared_analyst)
    assert cleared.text == "IATI activity XM-DAC-7-1 of publisher Quiet Donor"
    # The counterfactual: without the hidden publisher, the uncleared read the same words.
    without = imported("Women of Gao (no publisher)", publisher=None)
    assert stakeholder_provenance(without, user=analyst).text == seen[by_secret.pk].text


def test_the_importer_records_the_activity_and_its_publisher(tmp_path, analyst, cleared_analyst):
    secret = StakeholderFactory(name="Test Org", sensitivity=Sensitivity.RESTRICTED)
    ExternalIdentifier.objects.create(
        stakeholder=secret, scheme=IdentifierScheme.IATI_ORG, value="XI-TEST-1"
    )
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A1"), activity_xml("XI-TEST-1-A2"))])
    marib = Stakeholder.objects.get(name="Women of Marib")
    assert (marib.source_activity, marib.source_publisher_id) == ("XI-TEST-1-A1", secret.pk)
    assert stakeholder_provenance(marib, user=analyst).text == "IATI import"
    assert (
        stakeholder_provenance(marib, user=cleared_analyst).text
        == "IATI activity XI-TEST-1-A1 of publisher Test Org"
    )


def test_an_importer_not_cleared_links_the_public_publisher_it_made(tmp_path, analyst):
    iati_import(paths=[write(tmp_path, activity_xml("XI-TEST-1-A1"))])
    marib = Stakeholder.objects.get(name="Women of Marib")
    publisher = Stakeholder.objects.get(name="Test Org")
    assert marib.source_publisher_id == publisher.pk
    # The reporting organisation was first read in that activity too: its own publisher.
    assert publisher.source_publisher_id == publisher.pk
    assert (
        stakeholder_provenance(marib, user=analyst).text
        == "IATI activity XI-TEST-1-A1 of publisher Test Org"
    )


def test_the_page_the_list_and_the_api_show_it_per_reader(client, analyst, cleared_analyst):
    secret = StakeholderFactory(name="Quiet Donor", sensitivity=Sensitivity.RESTRICTED)
    public = StakeholderFactory(name="Danida")
    by_secret = imported("Women of Gao", publisher=secret)
    by_public = imported("Gao Water Users", publisher=public)
    login_verified(client, analyst)
    page = client.get(by_secret.get_absolute_url()).content.decode()
    assert "Quiet Donor" not in page and "XM-DAC-7-1" not in page
    assert "IATI import · added" in page
    page = client.get(by_public.get_absolute_url()).content.decode()
    assert f'of publisher <a href="{public.get_absolute_url()}">Danida</a>' in page
    listing = client.get(reverse("stakeholders:stakeholder_list")).content.decode()
    assert "IATI activity XM-DAC-7-1 of publisher Danida" in listing
    assert "Quiet Donor" not in listing
    api = client.get(reverse("stakeholders-api:stakeholder-list")).json()["results"]
    sources = {row["name"]: row["source"] for row in api}
    assert sources["Women of Gao"] == "IATI import"
    assert sources["Gao Water Users"] == "IATI activity XM-DAC-7-1 of publisher Danida"
    detail = client.get(reverse("stakeholders-api:stakeholder-detail", args=[by_secret.pk]))
    assert detail.json()["source"] == "IATI import"
    login_verified(client, cleared_analyst)
    page = client.get(by_secret.get_absolute_url()).content.decode()
    assert "of publisher <a" in page and "Quiet Donor</a>" in page


@pytest.mark.parametrize("rows", [1, 8])
def test_the_list_source_column_costs_the_same_queries_for_one_row_and_many(
    client, analyst, django_assert_num_queries, rows
):
    publisher = StakeholderFactory(name="Danida")
    for index in range(rows):
        imported(f"Imported {index}", publisher=publisher)
    login_verified(client, analyst)
    url = reverse("stakeholders:stakeholder_list")
    client.get(url)
    # session, user, permissions ×2, list settings ×2, count, page, tags, the publishers (one
    # query for the page's provenance), origin facet, publisher facet, sector, outcome and tag
    # choices
    with django_assert_num_queries(15):
        assert client.get(url).status_code == 200
