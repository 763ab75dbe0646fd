"""Kind mapping review: overrides per organisation or per publisher's type, applied by the
importer and surviving re-imports; the review page counts only what its reader may see."""

from pathlib import Path

import pytest
from django.urls import reverse

from iati.importing import iati_import
from iati.kind_services import kind_override_delete, kind_override_set
from iati.models import KindOverride
from iati.selectors import kind_override_visible_to, organisation_type_counts
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Kind, Sensitivity
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_delete, stakeholder_update
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.iati.urls")]

VERSIONS = Path(__file__).parent / "files" / "versions"
JURISTES = "Association des Femmes Juristes du Niger"  # ref NE-RCCM-2016-B-0042, type 24
JURISTES_REF = "NE-RCCM-2016-B-0042"
EC = "XI-IATI-EC_INTPA"


def kind_of(name: str) -> str:
    return Stakeholder.objects.get(name=name).kind


def test_an_organisation_override_corrects_now_and_survives_reimports(officer):
    iati_import(paths=[VERSIONS / "iati-2.03.xml"])
    assert kind_of(JURISTES) == Kind.NGO

    override, changed = kind_override_set(
        scope="organisation", ref=JURISTES_REF, kind=Kind.WOMENS_GROUP, user=officer, note="CSO"
    )
    assert changed == 1 and kind_of(JURISTES) == Kind.WOMENS_GROUP
    assert Stakeholder.history.filter(name=JURISTES, kind=Kind.WOMENS_GROUP).exists()

    # The same file, and another version naming the organisation: the corrected kind stays.
    iati_import(paths=[VERSIONS / "iati-2.03.xml", VERSIONS / "iati-2.02.xml"])
    assert kind_of(JURISTES) == Kind.WOMENS_GROUP
    # A kind corrected by hand afterwards is not reset by an import either.
    stakeholder_update(stakeholder=Stakeholder.objects.get(name=JURISTES), kind=Kind.GRASSROOTS)
    iati_import(paths=[VERSIONS / "iati-2.01.xml"])
    assert kind_of(JURISTES) == Kind.GRASSROOTS
    # Gone from the registry and imported again: created with the override's kind.
    stakeholder_delete(stakeholder=Stakeholder.objects.get(name=JURISTES), user=officer)
    iati_import(paths=[VERSIONS / "iati-2.03.xml"])
    assert kind_of(JURISTES) == Kind.WOMENS_GROUP
    # Setting it again changes the one override, not a second.
    kind_override_set(scope="organisation", ref=JURISTES_REF, kind=Kind.NGO, user=officer)
    assert KindOverride.objects.count() == 1 and kind_of(JURISTES) == Kind.NGO


def test_a_publisher_override_applies_to_that_type_in_its_activities_only(officer):
    kind_override_set(
        scope="publisher", ref=EC, org_type="24", kind=Kind.WOMENS_GROUP, user=officer
    )
    kind_override_set(scope="publisher", ref="GB-1", org_type="80", kind=Kind.MEDIA, user=officer)

    iati_import(paths=[VERSIONS / "iati-2.03.xml", VERSIONS / "iati-1.03.xml"])

    assert kind_of(JURISTES) == Kind.WOMENS_GROUP
    # Type 80 under another publisher (GB-1) does not touch the EC's or USAID's universities.
    assert kind_of("Université Abdou Moumouni de Niamey") == Kind.ACADEMIC
    assert kind_of("Université Catholique de Bukavu") == Kind.ACADEMIC


def test_a_publisher_override_set_later_corrects_only_kinds_still_as_mapped(officer):
    iati_import(paths=[VERSIONS / "iati-2.03.xml"])
    university = Stakeholder.objects.get(name="Université Abdou Moumouni de Niamey")
    stakeholder_update(stakeholder=university, kind=Kind.FAITH_BASED)  # by hand: kept

    _, changed = kind_override_set(
        scope="publisher", ref=EC, org_type="80", kind=Kind.GRASSROOTS, user=officer
    )
    assert changed == 0 and kind_of(university.name) == Kind.FAITH_BASED
    _, changed = kind_override_set(
        scope="publisher", ref=EC, org_type="24", kind=Kind.GRASSROOTS, user=officer
    )
    assert changed == 1 and kind_of(JURISTES) == Kind.GRASSROOTS


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"scope": "everyone", "ref": "X", "kind": Kind.NGO}, "scope"),
        ({"scope": "organisation", "ref": "  ", "kind": Kind.NGO}, "ref"),
        ({"scope": "organisation", "ref": "X", "kind": "guild"}, "kind"),
        ({"scope": "publisher", "ref": "X", "kind": Kind.NGO, "org_type": "99"}, "org_type"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(officer, arguments, field):
    with pytest.raises(ApplicationError) as error:
        kind_override_set(user=officer, **arguments)
    assert error.value.field == field
    assert not KindOverride.objects.exists()


def test_hidden_organisations_are_not_counted_nor_their_overrides_shown(officer):
    cleared_officer = UserFactory(
        username="officer.cleared", roles=["program officer"], cleared=True
    )
    iati_import(paths=[VERSIONS / "iati-2.03.xml"])
    juristes = Stakeholder.objects.get(name=JURISTES)
    stakeholder_update(stakeholder=juristes, sensitivity=Sensitivity.RESTRICTED)
    override, changed = kind_override_set(
        scope="organisation", ref=JURISTES_REF, kind=Kind.WOMENS_GROUP, user=cleared_officer
    )
    assert changed == 1

    assert organisation_type_counts(cleared_officer)["24"] == 1
    assert organisation_type_counts(officer)["24"] == 0
    assert organisation_type_counts(officer) == {"15": 1, "40": 1, "80": 1}
    assert list(kind_override_visible_to(officer)) == []
    with pytest.raises(ApplicationError):
        kind_override_delete(override_id=override.pk, user=officer)
    # The uncleared officer's own override on that ref is a new one; the hidden one is kept.
    _, changed = kind_override_set(
        scope="organisation", ref=JURISTES_REF, kind=Kind.NGO, user=officer
    )
    assert changed == 0 and KindOverride.objects.count() == 2
    assert kind_of(JURISTES) == Kind.WOMENS_GROUP


def test_the_review_page(client, officer, analyst, django_assert_max_num_queries):
    login_verified(client, analyst)
    assert client.get(reverse("iati_import:kind_mapping")).status_code == 403
    iati_import(paths=[VERSIONS / "iati-2.03.xml", VERSIONS / "iati-1.04.xml"])
    login_verified(client, officer)
    url = reverse("iati_import:kind_mapping")

    response = client.post(
        url,
        {"action": "set", "scope": "organisation", "ref": "", "kind": Kind.NGO},
    )
    assert response.status_code == 200 and "This field is required" in response.text
    response = client.post(
        url,
        {"action": "set", "scope": "publisher", "ref": "SE-0", "org_type": "70", "kind": "media"},
        follow=True,
    )
    assert "1 existing stakeholder changed kind" in response.text
    assert kind_of("Hormuud Telecom") == Kind.MEDIA

    with django_assert_max_num_queries(14):
        response = client.get(url)
    page = response.text
    assert "<td>70</td><td>Private Sector</td>" in page and "SE-0 → Media" in page
    assert '<td class="num">7</td>' in page  # seven imported organisations, all visible

    override = KindOverride.objects.get()
    response = client.post(url, {"action": "delete", "override": override.pk}, follow=True)
    assert "Override deleted" in response.text and not KindOverride.objects.exists()
    assert kind_of("Hormuud Telecom") == Kind.MEDIA
