"""Duplicate suggestions and their pages: names that differ only by case, accents, punctuation
or a legal form; shared identifiers and websites; dismissals remembered; hidden pairs absent."""

import pytest
from django.test import Client
from django.urls import reverse

from stakeholders.choices import IdentifierScheme, Sensitivity
from stakeholders.duplicates import duplicate_pairs, stakeholder_matches
from stakeholders.models import ExternalIdentifier, MergeRecord, Stakeholder
from stakeholders.names import name_normalise, similar_name_pairs
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("A.P. Moller - Maersk", "A.P.Moller-Maersk A/S"),
        ("GOVERNMENT OF MALAYSIA", "Government of Malaysia"),
        ("Médecins Sans Frontières", "Medecins sans Frontieres e.V."),
        ("Women's Fund Asia", "WOMEN’S FUND ASIA LTD"),
        ("Acme Holdings, Inc.", "ACME HOLDINGS GmbH"),
        ("Banco Solidario S.A.", "banco solidario"),
    ],
)
def test_names_differing_only_by_case_accents_punctuation_or_legal_form_normalise_alike(a, b):
    assert name_normalise(a) == name_normalise(b)


def test_the_fallback_pairs_similar_names_and_not_different_ones():
    names = {1: "oxfam novib", 2: "oxfam novi", 3: "save the children", 4: "novib"}
    pairs = {(a, b) for a, b, _ in similar_name_pairs(names, threshold=0.6)}
    assert (1, 2) in pairs and (1, 3) not in pairs and (2, 3) not in pairs


def _pair(x, y):
    return tuple(sorted([x.pk, y.pk]))


def test_suggestions_give_reasons_and_leave_dismissed_pairs_out(officer):
    maersk = StakeholderFactory(name="A.P. Moller - Maersk", website="https://www.maersk.com/")
    maersk_as = StakeholderFactory(name="A.P.Moller-Maersk A/S")
    fund = StakeholderFactory(name="Women's Fund Asia")
    fund_ref = StakeholderFactory(name="WFA (regional office)", website="http://maersk.com")
    StakeholderFactory(name="Save the Children")
    for who in (fund, fund_ref):
        ExternalIdentifier.objects.create(
            stakeholder=who, scheme=IdentifierScheme.IATI_ORG, value="XM-DAC-47"
        )
    found = {
        (a, b): (confidence, reasons) for a, b, confidence, reasons in duplicate_pairs(user=officer)
    }  # noqa: E501
    assert "same name" in found[_pair(maersk, maersk_as)][1][0]
    assert any("XM-DAC-47" in r for r in found[_pair(fund, fund_ref)][1])
    assert found[_pair(maersk, fund_ref)][1] == ["same website domain maersk.com"]
    assert len(found) == 3
    assert found[_pair(fund, fund_ref)][0] > found[_pair(maersk, fund_ref)][0]

    client = login_verified(Client(), officer)
    client.post(reverse("stakeholders:duplicate_dismiss"), {"a": maersk.pk, "b": maersk_as.pk})
    assert _pair(maersk, maersk_as) not in {(a, b) for a, b, _, _ in duplicate_pairs(user=officer)}


def test_a_pair_with_a_hidden_record_does_not_exist_for_someone_not_cleared(client, officer):
    cleared = UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)
    StakeholderFactory(name="Relief Mali")
    hidden = StakeholderFactory(name="RELIEF MALI e.V.", sensitivity=Sensitivity.RESTRICTED)
    assert duplicate_pairs(user=officer) == []
    assert len(duplicate_pairs(user=cleared)) == 1
    assert [s for s, _ in stakeholder_matches(user=officer, name="Relief Mali eV")] == [
        Stakeholder.objects.get(name="Relief Mali")
    ]
    login_verified(client, officer)
    page = client.get(reverse("stakeholders:duplicate_list"))
    assert b"0 suggested pairs" in page.content and b"RELIEF" not in page.content
    # Naming the hidden record in a merge or a dismissal answers as a missing one.
    merge = client.get(reverse("stakeholders:stakeholder_merge"), {"ids": f"1,{hidden.pk}"})
    assert merge.status_code == 302
    dismiss = client.post(reverse("stakeholders:duplicate_dismiss"), {"a": 1, "b": hidden.pk})
    assert dismiss.status_code == 404


def test_the_queue_and_merge_pages_for_an_officer(client, officer, django_assert_max_num_queries):
    for n in range(6):
        StakeholderFactory(name=f"Sahel Relief Network {n}")
        StakeholderFactory(name=f"SAHEL RELIEF NETWORK {n} Ltd")
    login_verified(client, officer)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("stakeholders:duplicate_list"))
    assert page.status_code == 200 and b"Merge\xe2\x80\xa6" in page.content
    a = Stakeholder.objects.get(name="Sahel Relief Network 0")
    b = Stakeholder.objects.get(name="SAHEL RELIEF NETWORK 0 Ltd")
    form = client.get(reverse("stakeholders:stakeholder_merge"), {"ids": f"{a.pk},{b.pk}"})
    assert form.status_code == 200 and b"keep this record" in form.content
    survivor_bad = client.post(
        reverse("stakeholders:stakeholder_merge"), {"ids": f"{a.pk},{b.pk}", "survivor": "x"}
    )
    assert b"Choose the record that survives" in survivor_bad.content
    done = client.post(
        reverse("stakeholders:stakeholder_merge"),
        {"ids": f"{a.pk},{b.pk}", "survivor": a.pk, "name": b.pk},
    )
    record = MergeRecord.objects.get()
    assert done.status_code == 302 and done["Location"] == record.get_absolute_url()
    a.refresh_from_db()
    assert a.name == "SAHEL RELIEF NETWORK 0 Ltd"
    assert client.get(record.get_absolute_url()).status_code == 200
    client.post(reverse("stakeholders:merge_record_undo", args=[record.pk]))
    a.refresh_from_db()
    assert a.name == "Sahel Relief Network 0" and Stakeholder.objects.filter(pk=b.pk).exists()


def test_analysts_cannot_merge(client, analyst):
    login_verified(client, analyst)
    assert client.get(reverse("stakeholders:duplicate_list")).status_code == 403


@pytest.mark.django_db
def test_names_written_in_bulk_are_normalised_too_so_imports_are_suggested():
    # The importers create and rename stakeholders in bulk (no ``save``): their names must be
    # compared like any other, or an imported duplicate is never suggested.
    created = Stakeholder.objects.bulk_create(
        [Stakeholder(name="A.P.Moller-Maersk A/S", kind="firm")]
    )
    row = Stakeholder.objects.get(pk=created[0].pk)
    assert row.normalised_name == name_normalise("A.P. Moller - Maersk")
    row.name = "Médecins Sans Frontières e.V."
    Stakeholder.all_objects.bulk_update([row], ["name"])
    row.refresh_from_db()
    assert row.normalised_name == "medecins sans frontieres"
