"""/api/v1/scores/ for people and partner systems."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import token_issue
from index import services
from stakeholders.choices import Kind, Sensitivity
from tests.api.conftest import error_of, signed_in, with_token
from tests.index.conftest import cache_forget
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/scores/"


def _scored(v1, n=1, **facts):
    engagements = [EngagementFactory(**facts) for _ in range(n)]
    for engagement in engagements:
        services.score_compute(engagement=engagement, methodology=v1)
    return engagements


def test_a_token_with_scores_read_lists_scores(v1, scores_token):
    (engagement,) = _scored(
        v1, digital_channels=3, realtime_reporting=True, unscr1325_participation=False
    )
    response = with_token(scores_token).get(URL)
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["engagement"] == engagement.pk
    assert row["methodology"] == {"id": v1.pk, "name": "Smart Diplomacy Index", "version": 1}
    assert row["digital"] == 100.0 and row["completeness"] == pytest.approx(3 / 18)
    assert len(row["indicators"]) == 18


def test_a_token_without_the_scope_is_refused(v1):
    registry_only = token_issue(partner="Registry portal", created_by=None).plaintext
    response = with_token(registry_only).get(URL)
    assert response.status_code == 403
    assert error_of(response)["message"] == "This token lacks the scope scores:read."


def test_anonymous_callers_are_refused():
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_tokens_are_read_only(scores_token):
    assert with_token(scores_token).post(URL, {}).status_code in (403, 405)


def test_tokens_read_the_score_as_if_hidden_participants_never_existed(
    v1, scores_token, cleared_analyst
):
    public_ngo = StakeholderFactory(kind=Kind.NGO)
    engagement = EngagementFactory()
    EngagementParticipantFactory(engagement=engagement, stakeholder=public_ngo)
    twin = EngagementFactory(title="Twin without the hidden participant")
    EngagementParticipantFactory(engagement=twin, stakeholder=public_ngo)
    EngagementParticipantFactory(
        engagement=engagement,
        stakeholder=StakeholderFactory(
            name="Hidden Women's Network",
            kind=Kind.WOMENS_GROUP,
            sensitivity=Sensitivity.RESTRICTED,
        ),
    )
    services.score_compute(engagement=engagement, methodology=v1)
    services.score_compute(engagement=twin, methodology=v1)
    body = with_token(scores_token).get(URL).content.decode()
    assert "Hidden" not in body
    rows = {row["engagement"]: row for row in with_token(scores_token).get(URL).json()["results"]}
    seen, alone = rows[engagement.pk], rows[twin.pk]
    # Every figure, indicator by indicator, is the one of the engagement without the hidden actor:
    # nothing can be recomputed from them that the twin does not also show.
    for field in ("digital", "multi_stakeholder", "feminist", "composite", "completeness"):
        assert seen[field] == alone[field], field
    assert seen["indicators"] == alone["indicators"]
    f3 = next(i for i in seen["indicators"] if i["code"] == "F3")
    assert f3["value"] == 0.0 and "withheld" not in f3
    cleared = {
        row["engagement"]: row for row in signed_in(cleared_analyst).get(URL).json()["results"]
    }
    assert (
        next(i for i in cleared[engagement.pk]["indicators"] if i["code"] == "F3")["value"] == 1.0
    )
    assert cleared[engagement.pk]["multi_stakeholder"] != seen["multi_stakeholder"]
    assert cleared[twin.pk] == alone


def test_filter_by_a_hidden_stakeholder_fails_like_a_missing_one(v1, analyst):
    hidden = StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    client = signed_in(analyst)
    for pk in (hidden.pk, 999999):
        response = client.get(URL, {"stakeholder": pk})
        assert response.status_code == 400
        assert "stakeholder" in error_of(response)["fields"]


def test_filters(v1, analyst):
    ngo = StakeholderFactory()
    (yemen,) = _scored(v1, country="YE", digital_channels=3, start_date=datetime.date(2026, 1, 5))
    EngagementParticipantFactory(engagement=yemen, stakeholder=ngo)
    services.score_compute(engagement=yemen, methodology=v1)
    _scored(v1, country="BD", digital_channels=0, start_date=datetime.date(2026, 6, 1))
    client = signed_in(analyst)

    def ids(**params):
        return [row["engagement"] for row in client.get(URL, params).json()["results"]]

    assert ids(country="YE") == [yemen.pk]
    assert ids(stakeholder=ngo.pk) == [yemen.pk]
    assert ids(start_before="2026-03-01") == [yemen.pk]
    assert ids(min_digital=50) == [yemen.pk]
    assert ids(methodology_version=2) == []
    assert len(ids(ordering="-composite")) == 2


def test_cursor_pagination_walks_every_score_once(v1, analyst):
    _scored(v1, n=7)
    client = signed_in(analyst)
    seen, url = [], URL + "?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7


def test_list_query_count_does_not_grow(v1, scores_token, django_assert_num_queries):
    client = with_token(scores_token)
    _scored(v1, n=5)
    client.get(URL)  # the token's first use of the day records its last use once
    cache_forget()  # rendered bodies are cached by ETag: count the queries of rendering one
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    _scored(v1, n=45)
    cache_forget()
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.json()["results"]) == 50


def test_the_list_renders_what_the_score_serializer_documents(v1, analyst, cleared_analyst):
    """The list builds rows without a serializer per row; they must match the serializer."""
    from rest_framework.test import APIRequestFactory

    from index.api.serializers import ScoreSerializer
    from index.models import Score

    engagement = EngagementFactory(end_date=datetime.date(2026, 3, 12), participants_total=4)
    EngagementParticipantFactory(engagement=engagement)
    services.score_compute(engagement=engagement, methodology=v1)
    _scored(v1, n=2)
    for user in (analyst, cleared_analyst):
        request = APIRequestFactory().get(URL)
        request.user = user
        expected = ScoreSerializer(
            Score.objects.order_by("id"), many=True, context={"request": request}
        ).data
        served = signed_in(user).get(URL, {"ordering": "id"}).json()["results"]
        assert served == [dict(row) for row in expected]


@pytest.mark.parametrize("path", [URL, URL + "summary/", URL + "?format=csv", "detail"], ids=str)
def test_partner_tokens_are_throttled_on_every_scores_endpoint(
    v1, scores_token, settings, path, fresh_rate_window
):
    (engagement,) = _scored(v1)
    if path == "detail":
        path = f"{URL}{engagement.scores.get().pk}/"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": "3/minute", "user": None},
    }
    client = with_token(scores_token)
    etag = client.get(path)["ETag"]
    # A 304 is a request too: it counts.
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(path).status_code == 200
    refused = client.get(path)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    error = error_of(refused)
    assert error["code"] == "throttled" and 1 <= error["retry_after"] <= 60
    # Another token has its own allowance.
    other = token_issue(partner="Other portal", created_by=None, scopes=["scores:read"])
    assert with_token(other.plaintext).get(path).status_code == 200


@pytest.mark.parametrize("page_size", [1, 100])
def test_a_page_of_100_costs_the_same_queries_as_a_page_of_1(
    v1, scores_token, django_assert_num_queries, page_size
):
    client = with_token(scores_token)
    _scored(v1)
    client.get(URL)  # the token's first use of the day records its last use once
    client.get(URL, {"page_size": 7})  # and the next reads the token into the cache
    # Validators, the page.
    with django_assert_num_queries(2):
        assert len(client.get(URL, {"page_size": page_size}).json()["results"]) == 1
    _scored(v1, n=120)
    with django_assert_num_queries(2):
        body = client.get(URL, {"page_size": page_size}).json()
    assert len(body["results"]) == page_size and body["next"]
    # The same page again, nothing having changed, is answered from memory: no query at all.
    with django_assert_num_queries(0):
        assert client.get(URL, {"page_size": page_size}).json() == body
    # CSV adds one query for the indicator columns, whatever the number of rows.
    with django_assert_num_queries(3):
        response = client.get(URL, {"page_size": page_size, "format": "csv"})
    assert len(response.content.decode().strip().splitlines()) == page_size + 1


def test_a_partnership_the_caller_may_not_see_is_not_named(v1, scores_token, officer, reviewer):
    from partnerships.models import PartnershipStatus
    from tests.partnerships.partnership_helpers import make_partnership

    draft = make_partnership(proposer=officer, title="Secret draft pact")
    active = make_partnership(
        proposer=officer, reviewer=reviewer, status=PartnershipStatus.ACTIVE, title="Open pact"
    )
    (in_draft,) = _scored(v1, partnership=draft)
    (in_active,) = _scored(v1, partnership=active)
    token = with_token(scores_token)
    shown = {row["engagement"]: row["partnership"] for row in token.get(URL).json()["results"]}
    assert shown == {in_draft.pk: None, in_active.pk: active.pk}
    rows = csv.DictReader(io.StringIO(token.get(URL, {"format": "csv"}).content.decode()))
    assert {int(row["engagement"]): row["partnership"] for row in rows} == {
        in_draft.pk: "",
        in_active.pk: str(active.pk),
    }
    # Filtering by it fails like a missing id; the proposer may.
    refused = token.get(URL, {"partnership": draft.pk})
    assert refused.status_code == 400 and "partnership" in error_of(refused)["fields"]
    assert token.get(URL, {"partnership": active.pk}).json()["results"][0]["partnership"] == (
        active.pk
    )
    own = signed_in(officer).get(URL, {"partnership": draft.pk}).json()["results"]
    assert [(row["engagement"], row["partnership"]) for row in own] == [(in_draft.pk, draft.pk)]


def test_callers_without_an_account_share_one_query_but_never_its_rows(v1, officer, reviewer):
    """Partner tokens read through one query built once per process (issue 22); each call gets a
    copy, so rows read through one call never answer a later one, and people with an account
    (their own drafts, their clearance) are not served from it."""
    from accounts.services import token_issue as issue
    from accounts.tokens import PartnerPrincipal
    from index.selectors import score_values_visible_to
    from partnerships.models import PartnershipStatus
    from tests.partnerships.partnership_helpers import make_partnership

    draft = make_partnership(proposer=officer, title="Own draft pact")
    first = PartnerPrincipal(issue(partner="First partner", created_by=None))
    second = PartnerPrincipal(issue(partner="Second partner", created_by=None))
    (before,) = _scored(v1, partnership=draft)
    read = score_values_visible_to(first)
    assert [(row["engagement_id"], row["partnership_shown"]) for row in read] == [(before.pk, None)]
    (later,) = _scored(v1)
    again = score_values_visible_to(second)
    assert again is not read
    assert sorted(row["engagement_id"] for row in again) == sorted([before.pk, later.pk])
    own = score_values_visible_to(officer).filter(engagement=before)
    assert [row["partnership_shown"] for row in own] == [draft.pk]
    assert draft.status == PartnershipStatus.DRAFT
