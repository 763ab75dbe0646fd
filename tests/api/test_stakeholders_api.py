"""The registry's REST API as its users meet it: restriction, paging, filters, writes, errors."""

import base64
import json

import pytest

from accounts.models import RestrictedReadLog
from stakeholders.choices import Capability, Kind, Sensitivity, TieKind
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder, Tie
from tests.api.conftest import error_of, signed_in
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

LISTS = ["stakeholders", "outcomes", "stakes", "ties"]


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(client, url, params=None) -> list[dict]:
    """Every row of a cursor-paginated list, following ``next`` to the end."""
    rows, response = [], client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        rows.extend(response.json()["results"])
        if not response.json()["next"]:
            return rows
        response = client.get(response.json()["next"])


@pytest.fixture(params=["analyst", "officer", "administrator", "token"])
def uncleared_client(request, partner_token):
    """Callers who must never learn of restricted actors: people not cleared, and tokens."""
    if request.param == "token":
        return request.getfixturevalue("token_client")
    return signed_in(request.getfixturevalue(request.param))


# --- Do no harm -------------------------------------------------------------------------------


@pytest.fixture
def mixed_registry(db):
    outcome = OutcomeFactory(title="Protection of displaced women")
    public = [
        StakeholderFactory(name=f"Public Actor {n}", kind=Kind.NGO, country="KE") for n in range(3)
    ]
    hidden = [
        StakeholderFactory(
            name="Whisper Network", acronym="WN", kind=Kind.WOMENS_GROUP, country="SD",
            sensitivity=Sensitivity.RESTRICTED, description="safe houses",
        ),
        StakeholderFactory(
            name="Exile Circle", kind=Kind.DIASPORA, country="DE", country_of_origin="SY",
            sensitivity=Sensitivity.CONFIDENTIAL,
        ),
    ]  # fmt: skip
    ExternalIdentifier.objects.create(stakeholder=hidden[0], scheme="other", value="WN-001")
    for actor in public + hidden:
        StakeFactory(stakeholder=actor, outcome=outcome)
    TieFactory(from_stakeholder=public[0], to_stakeholder=public[1])
    TieFactory(from_stakeholder=public[0], to_stakeholder=hidden[0], kind=TieKind.FUNDS)
    TieFactory(from_stakeholder=hidden[1], to_stakeholder=public[2], kind=TieKind.PARTNERS_WITH)
    return {"public": public, "hidden": hidden, "outcome": outcome}


def test_restricted_actors_appear_nowhere_for_uncleared_callers(uncleared_client, mixed_registry):
    client = uncleared_client
    hidden = {actor.pk for actor in mixed_registry["hidden"]}
    public = {actor.pk for actor in mixed_registry["public"]}

    assert set(ids_of(client.get("/api/v1/stakeholders/"))) == public
    for actor in mixed_registry["hidden"]:
        response = client.get(f"/api/v1/stakeholders/{actor.pk}/")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    # Search, filters and orderings that would single them out find nothing.
    for params in (
        {"q": "Whisper"},
        {"q": "WN"},
        {"q": "safe houses"},
        {"q": "WN-001"},
        {"kind": "womens_group"},
        {"kind": "diaspora"},
        {"country": "SD"},
        {"country": "DE"},
        {"region": "Northern Africa"},
        {"sensitivity": "restricted"},
        {"sensitivity": "confidential"},
        {"ordering": "-name"},
        {"ordering": "kind"},
        {"outcome": mixed_registry["outcome"].pk},
        {"page_size": 1},
    ):
        rows = walk(client, "/api/v1/stakeholders/", params)
        assert not {row["id"] for row in rows} & hidden, params
    # The sensitivity filter is not theirs to use: it changes nothing.
    assert ids_of(client.get("/api/v1/stakeholders/", {"sensitivity": "restricted"})) == ids_of(
        client.get("/api/v1/stakeholders/")
    )

    stakes = walk(client, "/api/v1/stakes/", {"page_size": 2})
    assert {row["stakeholder"] for row in stakes} == public
    ties = walk(client, "/api/v1/ties/")
    assert len(ties) == 1
    assert not {ties[0]["from_stakeholder"], ties[0]["to_stakeholder"]} & hidden
    hidden_stake = Stake.objects.get(stakeholder=mixed_registry["hidden"][0])
    assert client.get(f"/api/v1/stakes/{hidden_stake.pk}/").status_code == 404
    for tie in Tie.objects.filter(from_stakeholder__in=hidden) | Tie.objects.filter(
        to_stakeholder__in=hidden
    ):
        assert client.get(f"/api/v1/ties/{tie.pk}/").status_code == 404

    # Filtering by a hidden actor's id fails exactly like filtering by an id that does not exist.
    hidden_id, missing_id = mixed_registry["hidden"][0].pk, 987654
    for url, name in (
        ("/api/v1/stakes/", "stakeholder"),
        ("/api/v1/ties/", "stakeholder"),
        ("/api/v1/ties/", "to_stakeholder"),
    ):
        for_hidden = client.get(url, {name: hidden_id})
        for_missing = client.get(url, {name: missing_id})
        assert for_hidden.status_code == for_missing.status_code == 400
        assert list(error_of(for_hidden)["fields"]) == list(error_of(for_missing)["fields"])
        assert error_of(for_hidden)["fields"][name] == error_of(for_missing)["fields"][name]

    # Nothing was recorded as a restricted read: nothing restricted was read.
    assert not RestrictedReadLog.objects.exists()


def test_cleared_people_see_restricted_actors_and_their_reads_are_audited(
    cleared_analyst, mixed_registry
):
    client = signed_in(cleared_analyst)
    hidden = mixed_registry["hidden"]
    everyone = {a.pk for a in mixed_registry["public"] + hidden}
    assert set(ids_of(client.get("/api/v1/stakeholders/"))) == everyone
    assert ids_of(client.get("/api/v1/stakeholders/", {"q": "Whisper"})) == [hidden[0].pk]
    only_restricted = client.get("/api/v1/stakeholders/", {"sensitivity": ["restricted"]})
    assert ids_of(only_restricted) == [hidden[0].pk]
    assert client.get(f"/api/v1/stakeholders/{hidden[1].pk}/").status_code == 200
    assert len(ids_of(client.get("/api/v1/ties/"))) == 3

    reads = list(RestrictedReadLog.objects.order_by("id"))
    assert [read.user for read in reads] == [cleared_analyst] * len(reads)
    assert reads[0].path == "/api/v1/stakeholders/"
    assert set(reads[0].stakeholder_ids) == {a.pk for a in hidden}
    assert reads[1].stakeholder_ids == [hidden[0].pk]
    assert any(read.path == f"/api/v1/stakeholders/{hidden[1].pk}/" for read in reads)
    assert set(reads[-1].stakeholder_ids) == {a.pk for a in hidden}  # ties name both

    # Reading only public rows is not a restricted read.
    before = RestrictedReadLog.objects.count()
    client.get(f"/api/v1/stakeholders/{mixed_registry['public'][0].pk}/")
    assert RestrictedReadLog.objects.count() == before


def test_a_hidden_parent_is_not_named(analyst, cleared_analyst):
    parent = StakeholderFactory(kind=Kind.STATE, sensitivity=Sensitivity.CONFIDENTIAL)
    agency = StakeholderFactory(kind=Kind.STATE, parent=parent)
    url = f"/api/v1/stakeholders/{agency.pk}/"
    assert signed_in(analyst).get(url).json()["parent"] is None
    assert signed_in(cleared_analyst).get(url).json()["parent"] == parent.pk


# --- Paging -------------------------------------------------------------------------------------


def test_a_partner_pages_through_the_whole_public_registry(token_client, db):
    public = StakeholderFactory.create_batch(120)
    StakeholderFactory.create_batch(7, sensitivity=Sensitivity.RESTRICTED)
    pages, response = [], token_client.get("/api/v1/stakeholders/", {"page_size": 50})
    while True:
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            break
        response = token_client.get(body["next"])
    assert [len(page) for page in pages] == [50, 50, 20]
    seen = [pk for page in pages for pk in page]
    assert seen == sorted(actor.pk for actor in public)  # by id: no duplicates, no gaps

    # ...and back again with ``previous``.
    back = token_client.get(response.json()["previous"]).json()
    assert [row["id"] for row in back["results"]] == pages[1]
    assert token_client.get(back["previous"]).json()["previous"] is None


@pytest.mark.parametrize("ordering", ["name", "-name", "kind", "-updated", "country"])
def test_cursor_pages_keep_any_ordering_without_gaps_or_duplicates(token_client, db, ordering):
    # Few distinct names and kinds: the cursor must break ties by id, not skip or repeat.
    for n in range(37):
        StakeholderFactory(
            name=f"Actor {n % 4}",
            kind=[Kind.NGO, Kind.FIRM][n % 2],
            country=["KE", "", "ML"][n % 3],
        )
    rows = walk(token_client, "/api/v1/stakeholders/", {"ordering": ordering, "page_size": 5})
    expected = [
        row["id"]
        for row in token_client.get(
            "/api/v1/stakeholders/", {"ordering": ordering, "page_size": 200}
        ).json()["results"]
    ]
    assert [row["id"] for row in rows] == expected
    assert len(expected) == 37
    field = {"-updated": "updated_at"}.get(ordering, ordering.lstrip("-"))
    values = [row[field] for row in rows]
    assert values == sorted(values, reverse=ordering.startswith("-"))


def test_ties_page_by_a_nullable_field(token_client, db):
    actors = StakeholderFactory.create_batch(12)
    for index, actor in enumerate(actors[1:]):
        TieFactory(
            from_stakeholder=actors[0],
            to_stakeholder=actor,
            start_date=None if index % 3 == 0 else f"2024-0{1 + index % 5}-01",
        )
    for ordering in ("start", "-start"):
        rows = walk(token_client, "/api/v1/ties/", {"ordering": ordering, "page_size": 2})
        assert sorted(row["id"] for row in rows) == sorted(Tie.objects.values_list("id", flat=True))
        assert len(rows) == 11


def test_a_bad_cursor_is_a_400_naming_the_cursor(token_client, db):
    StakeholderFactory.create_batch(3)
    first = token_client.get("/api/v1/stakeholders/", {"page_size": 1, "ordering": "name"})
    cursor = first.json()["next"].split("cursor=")[1].split("&")[0]
    for bad in ("not-a-cursor", "%%%", base64.urlsafe_b64encode(b'{"o":["id"],"v":["x"]}')):
        response = token_client.get("/api/v1/stakeholders/", {"cursor": bad})
        assert response.status_code == 400
        assert "cursor" in error_of(response)["fields"]
    # A cursor made for another ordering is refused rather than misread.
    response = token_client.get("/api/v1/stakeholders/", {"cursor": cursor, "ordering": "-kind"})
    assert response.status_code == 400
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=="))
    assert payload["o"] == ["name", "id"]


def test_outcomes_are_numbered_pages_with_a_bounded_size(analyst, db):
    OutcomeFactory.create_batch(7)
    client = signed_in(analyst)
    body = client.get("/api/v1/outcomes/", {"page_size": 3}).json()
    assert body["count"] == 7 and len(body["results"]) == 3 and body["next"]
    assert len(client.get("/api/v1/outcomes/", {"page_size": 10_000}).json()["results"]) == 7
    response = client.get("/api/v1/outcomes/", {"page": 99})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# --- Filters shared with the pages ----------------------------------------------------------


def test_filters_search_and_ordering_are_the_pages(analyst, db):
    sector = SectorFactory(code="15170", name="Women's rights")
    legal_media = StakeholderFactory(
        name="Lawyers for Press Freedom",
        kind=Kind.NGO,
        country="ML",
        capabilities=Capability.LEGAL | Capability.MEDIA_REACH,
    )
    legal_media.sectors.add(sector)
    StakeholderFactory(
        name="Sahel Fund", kind=Kind.FOUNDATION, country="NE", capabilities=Capability.FUNDING
    )
    StakeholderFactory(name="Nairobi Tech", kind=Kind.FIRM, country="KE", women_led=True)
    client = signed_in(analyst)

    def names(**params):
        return [
            row["name"] for row in client.get("/api/v1/stakeholders/", params).json()["results"]
        ]

    assert names(q="press") == ["Lawyers for Press Freedom"]
    assert names(kind=["ngo", "foundation"], ordering="name") == [
        "Lawyers for Press Freedom",
        "Sahel Fund",
    ]
    assert names(capability=["legal", "media_reach"]) == ["Lawyers for Press Freedom"]
    assert names(capability=["legal", "funding"]) == []
    assert names(region="Western Africa", ordering="-name") == [
        "Sahel Fund",
        "Lawyers for Press Freedom",
    ]
    assert names(women_led="true") == ["Nairobi Tech"]
    response = client.get("/api/v1/stakeholders/", {"kind": "spaceship"})
    assert response.status_code == 400 and "kind" in error_of(response)["fields"]

    outcome = OutcomeFactory(
        title="Sahel displacement", countries=["ML", "NE"], needed_capabilities=Capability.FUNDING
    )
    OutcomeFactory(title="Yemen reconstruction", countries=["YE"])
    titles = [
        row["title"] for row in client.get("/api/v1/outcomes/", {"country": "NE"}).json()["results"]
    ]
    assert titles == ["Sahel displacement"]
    StakeFactory(stakeholder=legal_media, outcome=outcome, interest=0.9)
    StakeFactory(
        stakeholder=Stakeholder.objects.get(name="Sahel Fund"), outcome=outcome, interest=0.3
    )
    stakes = client.get("/api/v1/stakes/", {"outcome": outcome.pk, "min_interest": 0.5}).json()
    assert [row["stakeholder_name"] for row in stakes["results"]] == ["Lawyers for Press Freedom"]


def test_the_sector_filter_takes_sector_codes(analyst, db):
    sector = SectorFactory(code="15170", name="Women's rights")
    StakeholderFactory(name="Lawyers for Press Freedom").sectors.add(sector)
    StakeholderFactory(name="Other")
    response = signed_in(analyst).get("/api/v1/stakeholders/", {"sector": "15170"})
    assert [row["name"] for row in response.json()["results"]] == ["Lawyers for Press Freedom"]


# --- Query counts ---------------------------------------------------------------------------------


def _fill(resource: str, rows: int) -> None:
    restricted = {"sensitivity": Sensitivity.RESTRICTED}
    if resource == "stakeholders":
        sectors = SectorFactory.create_batch(2)
        for index in range(rows):
            actor = StakeholderFactory(**(restricted if index % 5 == 0 else {}))
            actor.sectors.set(sectors)
            ExternalIdentifier.objects.create(
                stakeholder=actor, scheme="other", value=f"X{actor.pk}"
            )
        StakeholderFactory(parent=actor)
    elif resource == "outcomes":
        OutcomeFactory.create_batch(rows)
    elif resource == "stakes":
        for index in range(rows):
            StakeFactory(stakeholder=StakeholderFactory(**(restricted if index % 5 == 0 else {})))
    else:
        for index in range(rows):
            TieFactory(to_stakeholder=StakeholderFactory(**(restricted if index % 5 == 0 else {})))


# Queries per list request, whatever the number of rows: the same for 5 rows and for 50.
#   token:   the page (+ sectors, identifiers and tags; + the count and tags for outcomes); the
#            token's row comes from the cache once read (accounts.selectors.token_get_by_prefix)
#   session: session, user, the user's permissions (2, read for every session: do they owe a
#            second factor?), the page; a cleared person: + the device their session passed the
#            second factor with
#   a cleared person reading restricted rows: + one row in the audit log
QUERIES = {
    ("token", "stakeholders"): 4, ("token", "outcomes"): 3, ("token", "stakes"): 1,
    ("token", "ties"): 1,
    ("analyst", "stakeholders"): 8, ("analyst", "outcomes"): 7, ("analyst", "stakes"): 5,
    ("analyst", "ties"): 5,
    ("cleared_analyst", "stakeholders"): 10, ("cleared_analyst", "outcomes"): 8,
    ("cleared_analyst", "stakes"): 7, ("cleared_analyst", "ties"): 7,
}  # fmt: skip


@pytest.mark.parametrize("caller", ["token", "analyst", "cleared_analyst"])
@pytest.mark.parametrize("resource", LISTS)
def test_list_queries_do_not_grow_with_rows(
    request, caller, resource, django_assert_num_queries, partner_token
):
    client = (
        request.getfixturevalue("token_client")
        if caller == "token"
        else signed_in(request.getfixturevalue(caller))
    )
    client.get(f"/api/v1/{resource}/")  # first use of the token records last_used_at
    client.get(f"/api/v1/{resource}/")  # and the next reads it into the cache
    expected = QUERIES[(caller, resource)]
    _fill(resource, 5)
    with django_assert_num_queries(expected):
        assert len(client.get(f"/api/v1/{resource}/").json()["results"]) >= 4
    _fill(resource, 45)
    with django_assert_num_queries(expected):
        assert len(client.get(f"/api/v1/{resource}/").json()["results"]) >= 40


# --- Writes -------------------------------------------------------------------------------------


def test_an_officer_records_a_stakeholder_with_its_toolbox_sectors_and_identifiers(officer, db):
    SectorFactory(code="15170", name="Women's rights")
    parent = StakeholderFactory(kind=Kind.NGO)
    client = signed_in(officer)
    response = client.post(
        "/api/v1/stakeholders/",
        {
            "name": "Sahel Women's Peace Network",
            "kind": "womens_group",
            "country": "ml",
            "sectors": ["15170"],
            "capabilities": ["convening", "Community_Trust"],
            "women_led": True,
            "women_leadership_share": 0.9,
            "parent": parent.pk,
            "external_ids": [
                {"scheme": "iati_org", "value": "XM-DAC-1"},
                {"scheme": "wikidata", "value": "Q1"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["country"] == "ML" and body["sectors"] == ["15170"]
    assert body["capabilities"] == ["convening", "community_trust"]
    assert body["external_ids"] == [
        {"scheme": "iati_org", "value": "XM-DAC-1"},
        {"scheme": "wikidata", "value": "Q1"},
    ]
    actor = Stakeholder.objects.get(pk=body["id"])
    assert actor.capabilities == Capability.CONVENING | Capability.COMMUNITY_TRUST
    assert actor.history.first().history_user == officer

    # The identifiers list replaces the old one; other fields stay as they were.
    response = client.patch(
        f"/api/v1/stakeholders/{actor.pk}/",
        {"external_ids": [{"scheme": "wikidata", "value": "Q2"}], "capabilities": []},
    )
    assert response.status_code == 200, response.content
    assert response.json()["external_ids"] == [{"scheme": "wikidata", "value": "Q2"}]
    assert response.json()["capabilities"] == [] and response.json()["sectors"] == ["15170"]

    assert client.delete(f"/api/v1/stakeholders/{actor.pk}/").status_code == 204
    assert not Stakeholder.objects.filter(pk=actor.pk).exists()


def test_stakes_ties_and_outcomes_are_written_through_the_api(officer, db):
    a, b = StakeholderFactory(), StakeholderFactory()
    client = signed_in(officer)
    outcome = client.post(
        "/api/v1/outcomes/",
        {
            "title": "Climate-driven displacement in the Sahel",
            "theme": "climate_security",
            "countries": ["ml", "NE"],
            "needed_capabilities": ["funding"],
        },
    ).json()
    assert outcome["countries"] == ["ML", "NE"]
    stake = client.post(
        "/api/v1/stakes/",
        {"stakeholder": a.pk, "outcome": outcome["id"], "interest": 1, "influence": 0},
    ).json()
    assert stake["stakeholder_name"] == a.name and stake["interest"] == 1.0
    tie = client.post(
        "/api/v1/ties/",
        {
            "from_stakeholder": a.pk,
            "to_stakeholder": b.pk,
            "kind": "funds",
            "start_date": "2024-01-01",
        },
    )
    assert tie.status_code == 201, tie.content
    response = client.put(
        f"/api/v1/ties/{tie.json()['id']}/",
        {"from_stakeholder": a.pk, "to_stakeholder": b.pk, "kind": "funds", "strength": 0.9},
    )
    # PUT replaces what it is given; optional fields left out keep their values.
    assert response.status_code == 200 and response.json()["strength"] == 0.9
    assert response.json()["start_date"] == "2024-01-01"
    assert (
        client.patch(f"/api/v1/stakes/{stake['id']}/", {"position": "opposes"}).json()["position"]
        == "opposes"
    )
    assert client.delete(f"/api/v1/outcomes/{outcome['id']}/").status_code == 204
    assert not Stake.objects.exists()


# --- Validation: 400 in the one shape, naming the field, the database unchanged --------------


@pytest.fixture
def pair(db):
    a, b = StakeholderFactory(name="A"), StakeholderFactory(name="B")
    outcome = OutcomeFactory()
    StakeFactory(stakeholder=a, outcome=outcome)
    TieFactory(from_stakeholder=a, to_stakeholder=b, kind=TieKind.FUNDS)
    return a, b, outcome


def _snapshot():
    return (
        list(Stakeholder.objects.values()),
        list(Outcome.objects.values()),
        list(Stake.objects.values()),
        list(Tie.objects.values()),
        list(ExternalIdentifier.objects.values()),
    )


INVALID = [
    ("interest above 1", "stakes", lambda a, b, o: {"stakeholder": b.pk, "outcome": o.pk,
     "interest": 1.5, "influence": 0.5}, "interest",
     "Ensure this value is less than or equal to 1."),
    ("influence below 0", "stakes", lambda a, b, o: {"stakeholder": b.pk, "outcome": o.pk,
     "interest": 0.5, "influence": -0.1}, "influence",
     "Ensure this value is greater than or equal to 0."),
    ("interest not a number", "stakes", lambda a, b, o: {"stakeholder": b.pk, "outcome": o.pk,
     "interest": "high", "influence": 0.5}, "interest", "A valid number is required."),
    ("duplicate stake", "stakes", lambda a, b, o: {"stakeholder": a.pk, "outcome": o.pk,
     "interest": 0.5, "influence": 0.5}, "outcome",
     "This stakeholder already has a stake in this outcome."),
    ("self-tie", "ties", lambda a, b, o: {"from_stakeholder": a.pk, "to_stakeholder": a.pk,
     "kind": "funds"}, "to_stakeholder", "A tie must link two different stakeholders."),
    ("duplicate tie", "ties", lambda a, b, o: {"from_stakeholder": a.pk, "to_stakeholder": b.pk,
     "kind": "funds"}, "kind", "These two stakeholders already have a tie of this kind."),
    ("tie dates reversed", "ties", lambda a, b, o: {"from_stakeholder": b.pk, "to_stakeholder":
     a.pk, "kind": "funds", "start_date": "2025-01-01", "end_date": "2024-01-01"}, "end_date",
     "The end date cannot be before the start date."),
    ("strength above 1", "ties", lambda a, b, o: {"from_stakeholder": b.pk, "to_stakeholder":
     a.pk, "kind": "funds", "strength": 2}, "strength",
     "Ensure this value is less than or equal to 1."),
    ("unknown country", "stakeholders", lambda a, b, o: {"name": "X", "kind": "ngo",
     "country": "XX"}, "country", '"XX" is not an ISO 3166-1 alpha-2 country code.'),
    ("unknown outcome country", "outcomes", lambda a, b, o: {"title": "T", "theme": "wps",
     "countries": ["ML", "ZZ"]}, "countries", '"ZZ" is not an ISO 3166-1 alpha-2 country code.'),
    ("unknown capability", "stakeholders", lambda a, b, o: {"name": "X", "kind": "ngo",
     "capabilities": ["funding", "telepathy"]}, "capabilities",
     '"telepathy" is not a capability; choose from funding, field_presence, technology, '
     "convening, legal, security, media_reach, research_data, logistics, community_trust."),
    ("share of women above 1", "stakeholders", lambda a, b, o: {"name": "X", "kind": "ngo",
     "women_leadership_share": 1.2}, "women_leadership_share",
     "Ensure this value is less than or equal to 1."),
    ("diaspora without origin", "stakeholders", lambda a, b, o: {"name": "X",
     "kind": "diaspora"}, "country_of_origin", "A diaspora group needs its country of origin."),
    ("unknown sector", "stakeholders", lambda a, b, o: {"name": "X", "kind": "ngo",
     "sectors": ["99999"]}, "sectors", "Object with code=99999 does not exist."),
    ("one identifier per scheme", "stakeholders", lambda a, b, o: {"name": "X", "kind": "ngo",
     "external_ids": [{"scheme": "other", "value": "1"}, {"scheme": "other", "value": "2"}]},
     "external_ids", "Give at most one identifier per scheme (other repeats)."),
    ("uncleared officer recording a restricted actor", "stakeholders", lambda a, b, o: {
     "name": "X", "kind": "ngo", "sensitivity": "restricted"}, "sensitivity",
     "You may record only stakeholders you are cleared to see: public."),
    ("duplicate outcome title", "outcomes", lambda a, b, o: {"title": o.title, "theme": "wps"},
     "title", "An outcome with this title already exists."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "resource", "body", "field", "message"), INVALID, ids=[row[0] for row in INVALID]
)
def test_invalid_input_is_a_400_naming_the_field(
    officer, pair, case, resource, body, field, message
):
    before = _snapshot()
    response = signed_in(officer).post(f"/api/v1/{resource}/", body(*pair), format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert message in error["fields"][field], error
    assert field in error["message"]
    assert _snapshot() == before


def test_a_hidden_stakeholder_id_is_refused_like_one_that_does_not_exist(officer, pair):
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    _, _, outcome = pair
    client = signed_in(officer)
    answers = []
    for pk in (hidden.pk, 999_999):
        response = client.post(
            "/api/v1/stakes/",
            {"stakeholder": pk, "outcome": outcome.pk, "interest": 0.5, "influence": 0.5},
        )
        answers.append(error_of(response)["fields"]["stakeholder"][0].replace(str(pk), "N"))
        response = client.post("/api/v1/stakeholders/", {"name": "X", "kind": "ngo", "parent": pk})
        answers.append(error_of(response)["fields"]["parent"][0].replace(str(pk), "N"))
    assert answers[:2] == answers[2:]
    assert not Stake.objects.filter(stakeholder=hidden).exists()


def test_an_identifier_held_only_by_a_hidden_actor_is_accepted_as_if_it_were_free(officer, db):
    """Refusing would reveal the hidden holder (DESIGN.md): the write goes through as it would
    without it, and the hidden holder keeps its identifier (two holders are merge suggestions)."""
    hidden = StakeholderFactory(name="Whisper Network", sensitivity=Sensitivity.RESTRICTED)
    ExternalIdentifier.objects.create(stakeholder=hidden, scheme="iati_org", value="XM-9")
    response = signed_in(officer).post(
        "/api/v1/stakeholders/",
        {"name": "X", "kind": "ngo", "external_ids": [{"scheme": "iati_org", "value": "XM-9"}]},
    )
    assert response.status_code == 201
    assert "Whisper" not in response.content.decode()
    assert set(
        ExternalIdentifier.objects.filter(value="XM-9").values_list("stakeholder__name", flat=True)
    ) == {"X", "Whisper Network"}
    visible = StakeholderFactory(name="Open Network")
    ExternalIdentifier.objects.create(stakeholder=visible, scheme="iati_org", value="XM-10")
    refused = signed_in(officer).post(
        "/api/v1/stakeholders/",
        {"name": "Y", "kind": "ngo", "external_ids": [{"scheme": "iati_org", "value": "XM-10"}]},
    )
    assert refused.status_code == 400 and "external_ids" in error_of(refused)["fields"]
    assert not Stakeholder.objects.filter(name="Y").exists()


def test_every_kind_of_error_has_the_one_shape(officer, analyst, db):
    client = signed_in(officer)
    response = client.post("/api/v1/stakes/", "{not json", content_type="application/json")
    assert response.status_code == 400 and error_of(response)["code"] == "parse_error"
    response = client.post(
        "/api/v1/stakes/", "a=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"
    response = client.post(f"/api/v1/stakeholders/{StakeholderFactory().pk}/", {})
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = client.get("/api/v1/stakeholders/abc/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = signed_in(analyst).post("/api/v1/outcomes/", {"title": "T", "theme": "wps"})
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/stakeholders/")
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"


def test_an_application_error_from_a_service_is_a_400_naming_its_field(rf):
    from rest_framework.views import APIView

    from smartdiplomacy.exceptions import ApplicationError

    class Refusing(APIView):
        permission_classes = []
        authentication_classes = []

        def get(self, request):
            raise ApplicationError("The expiry must be in the future.", "expires_at")

    response = Refusing.as_view()(rf.get("/"))
    response.render()
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "The expiry must be in the future.",
            "fields": {"expires_at": ["The expiry must be in the future."]},
        }
    }


def test_writes_are_checked_for_csrf_with_a_session(officer, db):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    login_verified(client, officer)
    response = client.post("/api/v1/outcomes/", {"title": "T", "theme": "wps"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    assert not Outcome.objects.filter(title="T").exists()
