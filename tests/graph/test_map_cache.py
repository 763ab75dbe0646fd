"""The map's whole-registry answer kept per audience (graph/api/map_cache.py): never another
audience's, never stale, the same bytes as one built afresh, in fewer queries."""

import gzip

import orjson
import pytest
from django.db import connection

from accounts.models import RestrictedReadLog
from graph.models import Audience
from graph.services import graph_snapshot_compute, graph_snapshots_refresh
from stakeholders.choices import Sensitivity, TieKind
from stakeholders.models import Stakeholder, Tie
from tests.stakeholders.factories import StakeholderFactory, TieFactory

from .conftest import signed_in

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite keeps nothing (no cheap fingerprint)"
)

URL = "/api/v1/graph/"
MAP = {"shape": "columns", "max_nodes": 20000, "max_edges": 100000}


def names(client) -> set[str]:
    return set(client.get(URL, MAP).json()["nodes"]["name"])


def test_a_cleared_answer_kept_first_never_reaches_a_public_reader(
    registry, analyst, cleared_analyst
):
    cleared, public = signed_in(cleared_analyst), signed_in(analyst)
    assert "Quiet Broker" in names(cleared)
    assert "Quiet Broker" in names(cleared)  # kept now
    body = public.get(URL, MAP).content
    assert b"Quiet Broker" not in body
    assert registry.broker.pk not in orjson.loads(body)["nodes"]["id"]


def test_a_public_answer_kept_first_is_not_what_a_cleared_reader_gets(
    registry, analyst, cleared_analyst
):
    public, cleared = signed_in(analyst), signed_in(cleared_analyst)
    assert "Quiet Broker" not in names(public)
    assert "Quiet Broker" not in names(public)
    assert "Quiet Broker" in names(cleared)


def test_a_kept_answer_is_byte_for_byte_one_built_afresh(registry, analyst, settings):
    graph_snapshots_refresh()
    client = signed_in(analyst)
    built, kept = client.get(URL, MAP).content, client.get(URL, MAP).content
    settings.GRAPH_MAP_CACHE_SECONDS = 0
    assert built == kept == client.get(URL, MAP).content
    # ...and what the answer is: the same as the filtered path gives (a no-op filter).
    assert (
        orjson.loads(kept)["nodes"]["name"]
        == client.get(URL, {**MAP, "min_strength": 0}).json()["nodes"]["name"]
    )


@pytest.mark.parametrize(
    "change",
    ["restrict", "unrestrict", "hidden_tie", "delete_tie", "rename_hidden", "snapshot"],
)
def test_any_change_to_the_rows_retires_the_kept_answer(registry, analyst, cleared_analyst, change):
    public, cleared = signed_in(analyst), signed_in(cleared_analyst)
    before_public, before_cleared = public.get(URL, MAP).json(), cleared.get(URL, MAP).json()
    hidden_b = StakeholderFactory(name="Second Shadow", sensitivity=Sensitivity.CONFIDENTIAL)
    if change == "restrict":  # a public actor made restricted vanishes for the public at once
        Stakeholder.objects.filter(pk=registry.ngo.pk).update(sensitivity=Sensitivity.RESTRICTED)
        assert "Relief Now" not in names(public)
        assert "Relief Now" in names(cleared)
        return
    if change == "unrestrict":
        Stakeholder.objects.filter(pk=registry.broker.pk).update(sensitivity=Sensitivity.PUBLIC)
        assert "Quiet Broker" in names(public)
        return
    if change == "hidden_tie":  # between two hidden actors: the cleared map changes
        TieFactory(from_stakeholder=registry.broker, to_stakeholder=hidden_b, kind=TieKind.FUNDS)
        after = cleared.get(URL, MAP).json()
        assert len(after["edges"]["id"]) == len(before_cleared["edges"]["id"]) + 1
        assert "Second Shadow" in after["nodes"]["name"]
    elif change == "delete_tie":
        Tie.objects.filter(from_stakeholder=registry.state).delete()
        after = public.get(URL, MAP).json()
        assert len(after["edges"]["id"]) == len(before_public["edges"]["id"]) - 1
    elif change == "rename_hidden":
        Stakeholder.objects.filter(pk=registry.broker.pk).update(name="Renamed Broker")
        assert "Renamed Broker" in names(cleared)
    elif change == "snapshot":
        graph_snapshots_refresh()
        after = public.get(URL, MAP).json()
        assert before_public["nodes"]["x"][0] is None and after["nodes"]["x"][0] is not None
    # The public map never shows the hidden ones, before or after.
    assert not {"Quiet Broker", "Second Shadow", "Renamed Broker"} & names(public)


@pytest.mark.parametrize("change", ["hidden_tie", "rename_hidden", "cleared_snapshot"])
def test_a_change_to_hidden_rows_keeps_the_public_answer(
    registry, analyst, django_assert_num_queries, change
):
    """The public answer's fingerprint reads public rows only: what changes out of the public's
    sight does not make its next map a freshly built one (slower: a timing it could read)."""
    public = signed_in(analyst)
    before = public.get(URL, MAP).content
    if change == "hidden_tie":
        hidden_b = StakeholderFactory(name="Second Shadow", sensitivity=Sensitivity.CONFIDENTIAL)
        TieFactory(from_stakeholder=registry.broker, to_stakeholder=hidden_b, kind=TieKind.FUNDS)
        TieFactory(from_stakeholder=registry.broker, to_stakeholder=registry.ngo)
    elif change == "rename_hidden":
        Stakeholder.objects.filter(pk=registry.broker.pk).update(name="Renamed Broker")
    else:
        graph_snapshot_compute(audience=Audience.CLEARED)
    with django_assert_num_queries(5):  # kept: no stakeholders, ties or snapshot read
        assert public.get(URL, MAP).content == before


def test_gzip_where_accepted_and_the_same_json(registry, analyst):
    client = signed_in(analyst)
    plain = client.get(URL, MAP).content
    for _ in range(2):  # built, then kept
        response = client.get(URL, MAP, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert gzip.decompress(response.content) == plain


def test_a_kept_answer_still_records_a_cleared_readers_read(registry, cleared_analyst):
    client = signed_in(cleared_analyst)
    client.get(URL, MAP)
    client.get(URL, MAP)
    logs = RestrictedReadLog.objects.filter(user=cleared_analyst)
    assert logs.count() == 2
    assert all(log.stakeholder_ids == [registry.broker.pk] for log in logs)


def test_filters_are_never_kept(registry, analyst, django_assert_num_queries):
    client = signed_in(analyst)
    client.get(URL, {**MAP, "kind": "ngo"})
    # Not kept: the same 7 queries again (session, user, two permissions, stakeholders, ties,
    # snapshot), no fingerprint read.
    with django_assert_num_queries(7):
        assert client.get(URL, {**MAP, "kind": "ngo"}).json()["nodes"]["name"] == ["Relief Now"]


def _grow(n: int):
    actors = StakeholderFactory.create_batch(n)
    for a, b in zip(actors, actors[1:], strict=False):
        TieFactory(from_stakeholder=a, to_stakeholder=b)


@pytest.mark.parametrize("size", [5, 60])
def test_query_counts_built_and_kept(db, analyst, django_assert_num_queries, size):
    """Built: session, user, two permissions, the fingerprint, stakeholders, ties, snapshot (8);
    kept: the fingerprint instead of the last three (5). The same at any size."""
    _grow(size)
    client = signed_in(analyst)
    with django_assert_num_queries(8):
        built = client.get(URL, MAP)
    with django_assert_num_queries(5):
        kept = client.get(URL, MAP)
    assert built.content == kept.content
    assert len(kept.json()["nodes"]["id"]) == size
