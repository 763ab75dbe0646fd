"""Conditional requests on /api/v1/scores/: ETag, Last-Modified and 304 Not Modified."""

import datetime
import os
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from index import engagement_services, services
from index.models import Engagement
from tests.api.conftest import signed_in, with_token
from tests.index.factories import EngagementFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/scores/"
SUMMARY = "/api/v1/scores/summary/"


@pytest.fixture
def client(scores_token):
    return with_token(scores_token)


def _scored(v1, n=1, **facts):
    engagements = [EngagementFactory(**facts) for _ in range(n)]
    for engagement in engagements:
        services.score_compute(engagement=engagement, methodology=v1)
    return engagements


def _detail(engagement):
    return f"{URL}{engagement.scores.get().pk}/"


@pytest.mark.parametrize("path", ["list", "detail", "summary"])
def test_an_unchanged_resource_answers_304_to_its_etag_and_its_date(v1, client, path):
    (engagement,) = _scored(v1, digital_channels=2)
    url = {"list": URL, "detail": _detail(engagement), "summary": SUMMARY}[path]
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and "Authorization" in first["Vary"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Last-Modified"] == modified
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200
    # If-None-Match decides when both are sent (RFC 9110).
    both = client.get(url, HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=modified)
    assert both.status_code == 200
    an_hour_before = http_date((timezone.now() - datetime.timedelta(hours=1)).timestamp())
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=an_hour_before).status_code == 200


@pytest.mark.parametrize("path", [URL, SUMMARY])
def test_a_recomputed_score_changes_the_validators_only_when_it_changed(v1, client, path):
    (engagement,) = _scored(v1)
    etag = client.get(path)["ETag"]
    # The same facts give the same score: the stored row, and so the validators, stay.
    services.score_compute(engagement=engagement, methodology=v1)
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    Engagement.objects.filter(pk=engagement.pk).update(digital_channels=3)
    services.score_compute(engagement=engagement, methodology=v1)
    response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_an_edited_engagement_changes_the_validators(v1, client, officer):
    (engagement,) = _scored(v1)
    etag = client.get(URL)["ETag"]
    engagement_services.engagement_update(
        engagement=engagement, user=officer, title="Renamed consultation"
    )
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["results"][0]["engagement_title"] == "Renamed consultation"


def test_a_deleted_engagement_changes_the_validators_and_the_date(v1, client):
    kept = _scored(v1, n=3)
    gone = kept.pop(0)
    first = client.get(URL, {"page_size": 2})
    etag, modified = first["ETag"], first["Last-Modified"]
    # Deleted a few seconds later: Last-Modified has a resolution of one second.
    gone._history_date = timezone.now() + datetime.timedelta(seconds=5)
    gone.delete()
    by_etag = client.get(URL, {"page_size": 2}, HTTP_IF_NONE_MATCH=etag)
    assert by_etag.status_code == 200
    assert {row["engagement"] for row in by_etag.json()["results"]} == {e.pk for e in kept}
    by_date = client.get(URL, {"page_size": 2}, HTTP_IF_MODIFIED_SINCE=modified)
    assert by_date.status_code == 200 and by_date["Last-Modified"] != modified


def test_each_view_of_the_data_has_its_own_etag(v1, client, analyst, cleared_analyst):
    _scored(v1, n=3, country="YE")
    first = client.get(URL, {"page_size": 2})
    tags = {
        "page": first["ETag"],
        "next page": client.get(first.json()["next"])["ETag"],
        "page size": client.get(URL, {"page_size": 3})["ETag"],
        "filter": client.get(URL, {"page_size": 2, "country": "YE"})["ETag"],
        "csv": client.get(URL, {"page_size": 2, "format": "csv"})["ETag"],
        "accept csv": client.get(URL, {"page_size": 2}, HTTP_ACCEPT="text/csv")["ETag"],
        "cleared": signed_in(cleared_analyst).get(URL, {"page_size": 2})["ETag"],
    }
    assert len(set(tags.values())) == len(tags), tags
    # Partnerships shown depend on who asks, so each caller has their own tags.
    assert signed_in(analyst).get(URL, {"page_size": 2})["ETag"] != tags["page"]
    # The same view asked again has the same tag.
    assert client.get(URL, {"page_size": 2})["ETag"] == tags["page"]


def test_304_is_answered_without_rendering_in_a_fixed_number_of_queries(
    v1, client, django_assert_num_queries
):
    _scored(v1)
    client.get(URL)  # the token's first use of the day records its last use once
    etag = client.get(URL)["ETag"]
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Nothing changed since the validators were computed: no query at all (the token is cached).
    assert len(few.captured_queries) == 0
    _scored(v1, n=30)
    etag = client.get(URL)["ETag"]
    with django_assert_num_queries(0):
        assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_errors_carry_no_validators(v1, client):
    response = client.get(URL, {"cursor": "nonsense"})
    assert response.status_code == 400 and "ETag" not in response
    assert client.get(f"{URL}999999/").status_code == 404


def test_a_cached_body_is_served_only_to_the_same_audience(v1, client, analyst, cleared_analyst):
    """Bodies are kept under their ETag; the ETag tells cleared callers from the others."""
    engagement = EngagementFactory()
    from stakeholders.choices import Kind, Sensitivity
    from tests.index.factories import EngagementParticipantFactory
    from tests.stakeholders.factories import StakeholderFactory

    EngagementParticipantFactory(engagement=engagement)
    EngagementParticipantFactory(
        engagement=engagement,
        stakeholder=StakeholderFactory(
            kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.CONFIDENTIAL
        ),
    )
    services.score_compute(engagement=engagement, methodology=v1)

    def f3(response):
        row = response.json()["results"][0]
        return next(i for i in row["indicators"] if i["code"] == "F3")["value"]

    cleared = signed_in(cleared_analyst)
    assert f3(cleared.get(URL)) == 1.0
    assert f3(cleared.get(URL)) == 1.0  # now from the cache
    for caller in (client, signed_in(analyst)):
        assert f3(caller.get(URL)) == 0.0
    assert f3(cleared.get(URL)) == 1.0


def test_a_cached_body_is_the_body_rendered_for_the_same_request(v1, client):
    _scored(v1, n=3)
    rendered = client.get(URL, {"page_size": 2})
    again = client.get(URL, {"page_size": 2})
    assert again.content == rendered.content and again["ETag"] == rendered["ETag"]
    assert again["Link"] == rendered["Link"]
    # Another host name gets links to itself, not the first caller's.
    elsewhere = client.get(URL, {"page_size": 2}, HTTP_HOST="localhost")
    assert elsewhere.json()["next"].startswith("http://localhost/")
    csv = client.get(URL, {"page_size": 2, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert client.get(URL, {"page_size": 2, "format": "csv"}).content == csv.content


# --- answers remembered between requests --------------------------------------------------------


def test_a_bulk_rescore_retires_remembered_answers(v1, client):
    (engagement,) = _scored(v1, digital_channels=0)
    first = client.get(URL)
    assert client.get(URL)["ETag"] == first["ETag"]  # remembered
    # The bulk upsert sends no model signal; it retires the answers itself.
    type(engagement).objects.filter(pk=engagement.pk).update(digital_channels=3)
    services.scores_compute_many(engagement_ids=[engagement.pk], methodology=v1)
    again = client.get(URL)
    assert again["ETag"] != first["ETag"]
    assert again.json()["results"][0]["digital"] > first.json()["results"][0]["digital"]


def test_changing_an_engagements_outcomes_or_a_stakeholders_visibility_retires_answers(v1, client):
    from stakeholders.choices import Sensitivity
    from tests.index.factories import EngagementParticipantFactory
    from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

    (engagement,) = _scored(v1)
    outcome = OutcomeFactory()
    by_outcome = client.get(URL, {"outcome": outcome.pk}).json()["results"]
    assert by_outcome == []
    engagement.outcomes.add(outcome)
    assert len(client.get(URL, {"outcome": outcome.pk}).json()["results"]) == 1

    actor = StakeholderFactory()
    EngagementParticipantFactory(engagement=engagement, stakeholder=actor)
    assert client.get(URL, {"stakeholder": actor.pk}).status_code == 200
    actor.sensitivity = Sensitivity.RESTRICTED
    actor.save()
    # A token never sees a restricted actor: the filter now refuses its id like a missing one.
    assert client.get(URL, {"stakeholder": actor.pk}).status_code == 400


def test_a_remembered_answer_is_dropped_once_the_writing_transaction_commits(
    v1, client, django_capture_on_commit_callbacks
):
    from index.generation import data_generation

    _scored(v1)
    client.get(URL)
    before = data_generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        EngagementFactory(title="Written in a transaction")
    moved_at_write = data_generation()
    assert moved_at_write != before
    for callback in callbacks:
        callback()
    # Moved again on commit: an answer computed from the data before the commit is not reused.
    assert data_generation() != moved_at_write


def test_without_a_shared_cache_no_answer_is_remembered(v1, client, settings):
    settings.SCORES_API_ANSWER_SECONDS = 0
    _scored(v1)
    client.get(URL)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    assert len(queries.captured_queries) >= 1  # the validators are read from the database


# --- what each process keeps in front of the shared cache ------------------------------------


def _queries(client, url, **params):
    """The response, and the queries it cost but for reading the partner token: a process's copy
    of the token is read again whenever the tokens' revision is not the one it saw, which a
    cleared cache does not keep (accounts.selectors.token_read)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, sum(
        '"accounts_partnertoken"' not in query["sql"] for query in queries.captured_queries
    )


@pytest.mark.parametrize("kept_mb, rendered_again", [(64, False), (0, True)])
def test_a_process_serves_a_page_it_rendered_even_when_the_shared_cache_lost_it(
    v1, client, settings, kept_mb, rendered_again
):
    from django.core.cache import cache

    from index.api.conditional import local_clear

    settings.SCORES_API_LOCAL_CACHE_MB = kept_mb
    _scored(v1, n=3)
    client.get(URL, {"page_size": 2})  # the token's first use records its last use once
    cache.clear()
    local_clear()  # and the store is sized from the setting again
    first, rendering = _queries(client, URL, page_size=2)
    cache.clear()  # evicted from Redis, say: the ETag still names the same rows
    again, queries = _queries(client, URL, page_size=2)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    # The validators are read again (the remembered answer went with the shared cache); the
    # page itself is rendered again only when the process kept nothing.
    assert (queries == rendering) is rendered_again
    assert queries < rendering or rendered_again


def test_a_process_forgets_a_remembered_answer_when_its_time_is_up(v1, client, monkeypatch):
    import time

    _scored(v1)
    client.get(URL)  # the token's first use records its last use once
    client.get(URL)
    _, remembered = _queries(client, URL)
    assert remembered == 0
    later = time.time() + 11  # SCORES_API_ANSWER_SECONDS is 10 in the test settings
    monkeypatch.setattr(time, "time", lambda: later)
    _, asked_again = _queries(client, URL)
    assert asked_again >= 1  # the validators are read from the database again


@pytest.mark.services
def test_a_remembered_page_costs_one_round_trip_to_redis(v1, client, settings, monkeypatch):
    """The throttle's counter, with the data generation and the tokens' revision read in the
    same round trip (issue 22): the token itself is this process's copy."""
    from redis import Redis
    from redis.connection import AbstractConnection

    from accounts.selectors import TOKEN_REVISION_KEY
    from index.api.conditional import local_clear
    from index.generation import GENERATION_KEY, scores_changed

    url = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/13"
    prefix = f"round-trips-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "smartdiplomacy.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    local_clear()
    _scored(v1)
    client.get(URL)  # the token's first use records its last use once
    client.get(URL)
    sent: list[bytes] = []
    send = AbstractConnection.send_packed_command

    def counted(self, command, *args, **kwargs):
        sent.append(b"".join(command) if isinstance(command, list) else command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    _, queries = _queries(client, URL)
    assert queries == 0 and len(sent) == 1
    assert b"throttle" in sent[0] and GENERATION_KEY.encode() in sent[0]
    assert TOKEN_REVISION_KEY.encode() in sent[0]
    # Moving the generation still retires the remembered answer at once.
    scores_changed()
    _, recomputed = _queries(client, URL)
    assert recomputed >= 1
    redis = Redis.from_url(url)
    redis.delete(*redis.keys(f"{prefix}:*"))
    local_clear()
