"""CSV exports: exactly the filtered rows the reader may see, the right columns, safe cells, a log
entry for every export of restricted data, and a query count that does not grow with rows."""

import csv
import io

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from stakeholders.choices import Capability, Kind, Position, Sensitivity
from stakeholders.exports import (
    OUTCOME_COLUMNS,
    STAKEHOLDER_COLUMNS,
    stakeholder_columns,
)
from stakeholders.models import ExternalIdentifier, Stakeholder
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


def download(client, url_name, **params):
    response = client.get(reverse(f"stakeholders:{url_name}"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read UTF-8
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def registry():
    water, peace = SectorFactory(code="14030"), SectorFactory(code="15220")
    public = StakeholderFactory(
        name="Mopti Water Women",
        acronym="MWW",
        kind=Kind.WOMENS_GROUP,
        country="ML",
        scope="local",
        capabilities=Capability.FIELD_PRESENCE | Capability.COMMUNITY_TRUST,
        women_led=True,
        women_leadership_share=0.9,
        website="https://mww.example.org",
    )
    public.sectors.set([peace, water])
    ExternalIdentifier.objects.create(stakeholder=public, scheme="iati_org", value="ML-MWW-1")
    ExternalIdentifier.objects.create(stakeholder=public, scheme="wikidata", value="Q42")
    restricted = StakeholderFactory(
        name="Hidden Collective", kind=Kind.GRASSROOTS, sensitivity=Sensitivity.RESTRICTED
    )
    confidential = StakeholderFactory(
        name="Secret Diaspora",
        kind=Kind.DIASPORA,
        country="GB",
        country_of_origin="SY",
        sensitivity=Sensitivity.CONFIDENTIAL,
    )
    outcome = OutcomeFactory(title="Water in Mopti", countries=["ML"])
    StakeFactory(stakeholder=public, outcome=outcome)
    StakeFactory(stakeholder=restricted, outcome=outcome, position=Position.OPPOSES)
    StakeFactory(stakeholder=confidential, outcome=outcome, position=Position.NEUTRAL)
    return {"public": public, "restricted": restricted, "confidential": confidential}


def test_uncleared_export_holds_only_public_rows_without_a_sensitivity_column(
    client, analyst, registry
):
    login_verified(client, analyst)
    rows = download(client, "stakeholder_export")
    assert [row["name"] for row in rows] == ["Mopti Water Women"]
    assert list(rows[0]) == stakeholder_columns(include_sensitivity=False)
    assert "sensitivity" not in rows[0]
    assert rows[0] == {
        "id": str(registry["public"].pk),
        "name": "Mopti Water Women",
        "acronym": "MWW",
        "kind": "womens_group",
        "country": "ML",
        "country_of_origin": "",
        "scope": "local",
        "sectors": "14030;15220",
        "capabilities": "field_presence;community_trust",
        "digital_presence": "0",
        "women_led": "true",
        "women_leadership_share": "0.9",
        "website": "https://mww.example.org",
        "external_id_iati_org": "ML-MWW-1",
        "external_id_crs_channel": "",
        "external_id_wikidata": "Q42",
        "external_id_other": "",
    }
    assert not LogEntry.objects.exists()


def test_uncleared_search_and_filters_cannot_reach_hidden_rows(client, analyst, registry):
    login_verified(client, analyst)
    assert download(client, "stakeholder_export", q="Hidden") == []
    assert download(client, "stakeholder_export", kind="diaspora") == []
    assert download(client, "stakeholder_export", sensitivity="restricted") != []  # ignored
    assert all(
        row["name"] == "Mopti Water Women"
        for row in download(client, "stakeholder_export", sensitivity="restricted")
    )


def test_cleared_export_holds_everything_and_is_logged(client, cleared_analyst, registry):
    login_verified(client, cleared_analyst)
    rows = download(client, "stakeholder_export", ordering="name")
    assert [(row["name"], row["sensitivity"]) for row in rows] == [
        ("Hidden Collective", "restricted"),
        ("Mopti Water Women", "public"),
        ("Secret Diaspora", "confidential"),
    ]
    assert list(rows[0]) == STAKEHOLDER_COLUMNS
    entry = LogEntry.objects.get()
    assert entry.user == cleared_analyst
    assert entry.action_flag == CHANGE
    assert entry.content_type == ContentType.objects.get_for_model(registry["public"])
    assert entry.change_message.startswith("Exported 3 stakeholders incl. restricted")
    assert "2 restricted or confidential" in entry.change_message
    assert "ordering=name" in entry.change_message


def test_a_cleared_export_of_public_rows_only_is_not_logged(client, cleared_analyst, registry):
    login_verified(client, cleared_analyst)
    rows = download(client, "stakeholder_export", sensitivity="public")
    assert [row["name"] for row in rows] == ["Mopti Water Women"]
    assert not LogEntry.objects.exists()


def test_export_follows_the_list_filters(client, cleared_analyst, registry):
    login_verified(client, cleared_analyst)
    assert [row["name"] for row in download(client, "stakeholder_export", kind="diaspora")] == [
        "Secret Diaspora"
    ]
    rows = download(client, "stakeholder_export", capability="community_trust", women_led="true")
    assert [row["name"] for row in rows] == ["Mopti Water Women"]
    assert download(client, "stakeholder_export", q="ML-MWW-1")[0]["acronym"] == "MWW"


def test_outcome_export_counts_only_visible_stakes(client, analyst, cleared_analyst, registry):
    login_verified(client, analyst)
    (row,) = download(client, "outcome_export")
    assert list(row) == OUTCOME_COLUMNS
    assert (row["title"], row["countries"], row["needed_capabilities"]) == (
        "Water in Mopti",
        "ML",
        "funding;field_presence",
    )
    assert (row["stakes"], row["supporters"], row["neutral"], row["opposers"]) == (
        "1",
        "1",
        "0",
        "0",
    )
    login_verified(client, cleared_analyst)
    (row,) = download(client, "outcome_export")
    assert (row["stakes"], row["supporters"], row["neutral"], row["opposers"]) == (
        "3",
        "1",
        "1",
        "1",
    )


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(client, analyst):
    StakeholderFactory(name='=HYPERLINK("http://evil")', acronym="+1", description="-x")
    login_verified(client, analyst)
    (row,) = download(client, "stakeholder_export")
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["acronym"] == "'+1"


def test_export_needs_login(client):
    response = client.get(reverse("stakeholders:stakeholder_export"))
    assert response.status_code == 302


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    ("user_fixture", "stakeholder_queries"),
    [
        # session, user, permissions x2, rows, their sectors, their identifiers
        ("analyst", 7),
        # ... plus the device the session passed the second factor with, the restricted-rows
        # count and the log entry
        ("cleared_analyst", 10),
    ],
)
def test_export_query_count_does_not_grow_with_rows(
    client, django_assert_num_queries, rows, user_fixture, stakeholder_queries, request
):
    sector = SectorFactory(code="15220")
    outcome = OutcomeFactory()
    for index in range(rows):
        actor = StakeholderFactory(
            sensitivity=Sensitivity.RESTRICTED if index % 5 == 0 else Sensitivity.PUBLIC
        )
        actor.sectors.set([sector])
        ExternalIdentifier.objects.create(stakeholder=actor, scheme="other", value=f"X-{index}")
        StakeFactory(stakeholder=actor, outcome=outcome)
    # The log entry's content type is cached per process; warm it so the count is the same
    # whichever test runs first.
    ContentType.objects.get_for_model(Stakeholder)
    login_verified(client, request.getfixturevalue(user_fixture))
    with django_assert_num_queries(stakeholder_queries):
        response = client.get(reverse("stakeholders:stakeholder_export"))
        exported = b"".join(response.streaming_content).decode().count("\n") - 1
    visible = rows if user_fixture == "cleared_analyst" else rows - len(range(0, rows, 5))
    assert exported == visible
    # session, user, permissions x2, (a cleared person: the second factor's device), outcomes
    with django_assert_num_queries(6 if user_fixture == "cleared_analyst" else 5):
        response = client.get(reverse("stakeholders:outcome_export"))
        b"".join(response.streaming_content)
