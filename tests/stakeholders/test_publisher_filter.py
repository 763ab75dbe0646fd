"""The stakeholder list's "Publisher" filter and facet (page, API and CSV share the one FilterSet).

Do no harm, tested as two worlds: one where a restricted donor published a public record (and a
restricted record was published by a public donor), one where that donor never existed and the
public record therefore links no publisher. The uncleared analyst must read the same facet, the
same filtered lists and the same errors in both."""

import csv
import io
import json

import pytest
from django.db import transaction
from django.urls import reverse

from stakeholders.choices import Origin, Sensitivity
from stakeholders.models import Stakeholder
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

# The restricted donor's id in the world that has it; in the other world no record holds it.
HIDDEN_ID = 987654
LIST = reverse("stakeholders:stakeholder_list")
API = reverse("stakeholders-api:stakeholder-list")


def imported(name: str, *, publisher, **fields) -> Stakeholder:
    return StakeholderFactory(
        name=name,
        origin=Origin.IATI,
        source="IATI import",
        source_activity="XM-DAC-7-1" if publisher is not None else "",
        source_publisher=publisher,
        **fields,
    )


def build(*, hidden: bool) -> dict[str, Stakeholder]:
    danida = StakeholderFactory(name="Danida", acronym="DK", origin=Origin.IATI)
    sida = StakeholderFactory(name="Sida")
    quiet = None
    if hidden:
        quiet = StakeholderFactory(
            pk=HIDDEN_ID, name="Quiet Donor", sensitivity=Sensitivity.RESTRICTED
        )
        imported("Quiet grantee", publisher=quiet, sensitivity=Sensitivity.RESTRICTED)
        imported("Danida's secret partner", publisher=danida, sensitivity=Sensitivity.RESTRICTED)
    imported("Gao Water Users", publisher=danida)
    imported("Mopti Farmers", publisher=danida)
    imported("Sikasso Teachers", publisher=sida)
    # Published by the restricted donor; in the world without it, linked to no publisher.
    imported("Women of Gao", publisher=quiet)
    StakeholderFactory(name="Curated actor")
    return {"danida": danida, "sida": sida}


def facet(client, query: str = "") -> list[tuple[str, str]]:
    """The Publisher facet as drawn: (publisher's name, label), ids read as names."""
    form = client.get(LIST + query).context["filterset"].form
    names = dict(Stakeholder.all_objects.values_list("pk", "name"))
    return [(names[pk], label) for pk, label in form.fields["publisher"].widget.choices]


def listed(client, query: str) -> list[str]:
    return [row.name for row in client.get(LIST + query).context["stakeholders"]]


def csv_names(client, query: str) -> list[str]:
    response = client.get(reverse("stakeholders:stakeholder_export") + query)
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return sorted(row["name"] for row in csv.DictReader(io.StringIO(text)))


def uncleared_view(client, analyst, *, hidden: bool) -> dict:
    """Everything the uncleared analyst reads about publishers, ids turned into names."""
    actors = build(hidden=hidden)
    danida = f"?publisher={actors['danida'].pk}"
    login_verified(client, analyst)
    api = client.get(API + danida).json()
    refused_page = client.get(LIST + f"?publisher={HIDDEN_ID}")
    refused_api = client.get(API + f"?publisher={HIDDEN_ID}")
    return {
        "facet": facet(client),
        "facet of IATI records": facet(client, "?origin=iati"),
        "origin facet": dict(client.get(LIST).context["filterset"].form.fields["origin"].choices),
        "by Danida": listed(client, danida),
        "by Danida or Sida": listed(client, danida + f"&publisher={actors['sida'].pk}"),
        "every IATI record": listed(client, "?origin=iati"),
        "api by Danida": [(row["name"], row["source"]) for row in api["results"]],
        "page refusing the id": (
            refused_page.status_code,
            refused_page.context["filterset"].form.errors,
            listed(client, f"?publisher={HIDDEN_ID}"),
        ),
        "api refusing the id": (refused_api.status_code, json.loads(refused_api.content)),
        "csv by Danida": csv_names(client, danida),
    }


def in_a_world_rolled_back(build_view):
    with transaction.atomic():
        view = build_view()
        transaction.set_rollback(True)
    return view


def test_the_uncleared_read_the_same_in_both_worlds(client, analyst):
    with_hidden = in_a_world_rolled_back(lambda: uncleared_view(client, analyst, hidden=True))
    without = in_a_world_rolled_back(lambda: uncleared_view(client, analyst, hidden=False))
    assert with_hidden == without
    # And what they read is the useful thing, not two equal empties.
    assert without["facet"] == [("Danida", "Danida (DK) (2)"), ("Sida", "Sida (1)")]
    assert without["by Danida"] == ["Gao Water Users", "Mopti Farmers"]
    assert without["by Danida or Sida"] == ["Gao Water Users", "Mopti Farmers", "Sikasso Teachers"]
    assert "Women of Gao" in without["every IATI record"]
    assert without["csv by Danida"] == ["Gao Water Users", "Mopti Farmers"]
    assert without["api by Danida"] == [
        ("Gao Water Users", "IATI activity XM-DAC-7-1 of publisher Danida (DK)"),
        ("Mopti Farmers", "IATI activity XM-DAC-7-1 of publisher Danida (DK)"),
    ]
    assert without["page refusing the id"][0] == 200
    assert "publisher" in without["page refusing the id"][1]
    assert without["api refusing the id"][0] == 400
    assert str(HIDDEN_ID) in json.dumps(without["api refusing the id"][1])


def test_the_cleared_see_the_hidden_publisher_and_what_it_published(client, cleared_analyst):
    actors = build(hidden=True)
    login_verified(client, cleared_analyst)
    assert facet(client) == [
        ("Danida", "Danida (DK) (3)"),
        ("Quiet Donor", "Quiet Donor (2)"),
        ("Sida", "Sida (1)"),
    ]
    assert listed(client, f"?publisher={HIDDEN_ID}") == ["Quiet grantee", "Women of Gao"]
    names = [row["name"] for row in client.get(API + f"?publisher={HIDDEN_ID}").json()["results"]]
    assert sorted(names) == ["Quiet grantee", "Women of Gao"]
    assert len(listed(client, f"?publisher={actors['danida'].pk}")) == 3


def test_the_facet_counts_what_the_other_filters_leave_and_keeps_a_chosen_publisher(
    client, analyst
):
    actors = build(hidden=False)
    login_verified(client, analyst)
    # Chosen, but no CSV-imported record has it: still offered (at 0), and named in its chip.
    response = client.get(LIST + f"?origin=csv&publisher={actors['danida'].pk}")
    choices = response.context["filterset"].form.fields["publisher"].widget.choices
    assert choices == [(actors["danida"].pk, "Danida (DK) (0)")]
    chips = [(chip.label, chip.value) for chip in response.context["tools"].chips]
    assert ("Publisher", "Danida (DK)") in chips
    page = response.content.decode()
    assert "Danida (DK) (0)" in page


@pytest.mark.parametrize("rows", [1, 8])
@pytest.mark.parametrize("chosen", [False, True])
def test_the_publisher_facet_costs_the_same_queries_for_one_row_and_many(
    client, analyst, django_assert_num_queries, rows, chosen
):
    first = None
    for index in range(rows):
        publisher = StakeholderFactory(name=f"Donor {index}")
        first = first or publisher
        imported(f"Grantee {index}", publisher=publisher)
    login_verified(client, analyst)
    url = LIST + (f"?publisher={first.pk}" if chosen else "")
    client.get(url)
    # session, user, permissions ×2, list settings ×2, count, page, tags, the page's publishers
    # (Source column), origin facet, publisher facet, sector, outcome and tag choices; a chosen
    # publisher is checked against what the reader may see by the list and by the origin facet.
    with django_assert_num_queries(15 + (2 if chosen else 0)):
        assert client.get(url).status_code == 200
