"""/api/v1/scores/summary/: aggregates by country, partnership, outcome and quarter."""

import datetime
import statistics

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from index import services
from index.models import Score
from partnerships.models import PartnershipStatus
from stakeholders.choices import Kind, Sensitivity
from tests.api.conftest import error_of, signed_in, with_token
from tests.index.conftest import cache_forget
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/scores/summary/"
PILLARS = ("digital", "multi_stakeholder", "feminist")


def _scored(methodology, **fields):
    outcomes = fields.pop("outcomes", [])
    engagement = EngagementFactory(**fields)
    engagement.outcomes.set(outcomes)
    services.score_compute(engagement=engagement, methodology=methodology)
    return engagement


def _means(engagements, methodology):
    """What SQL's AVG gives: the mean of the known values (None when none is known)."""
    scores = list(Score.objects.filter(engagement__in=engagements, methodology=methodology))
    means = {"count": len(scores)}
    for name in (*PILLARS, "composite", "completeness"):
        known = [getattr(s, name) for s in scores if getattr(s, name) is not None]
        means[f"mean_{name}"] = statistics.mean(known) if known else None
    return means


def _assert_group(row, expected):
    assert row["count"] == expected["count"]
    for key, value in expected.items():
        assert row[key] == (value if value is None else pytest.approx(value)), key
    means = {p: row[f"mean_{p}"] for p in PILLARS if row[f"mean_{p}"] is not None}
    assert row["best_pillar"] == max(means, key=means.get)
    assert row["weakest_pillar"] == min(means, key=means.get)


@pytest.fixture
def scenario(v1, officer, reviewer):
    """Scores in two countries, two quarters, two outcomes and two partnerships (one a draft)."""
    water, schools = OutcomeFactory(title="Clean water"), OutcomeFactory(title="Schools")
    active = make_partnership(
        proposer=officer, reviewer=reviewer, status=PartnershipStatus.ACTIVE, title="Open pact"
    )
    draft = make_partnership(proposer=officer, title="Secret draft pact")
    yemen = [
        _scored(
            v1, country="YE", start_date=datetime.date(2026, 1, 5), digital_channels=3,
            realtime_reporting=True, participants_total=10, participants_women=6,
            outcomes=[water], partnership=active,
        ),
        _scored(
            v1, country="YE", start_date=datetime.date(2026, 2, 5), digital_channels=1,
            gbv_safeguards=True, outcomes=[water, schools], partnership=draft,
        ),
    ]  # fmt: skip
    bangladesh = [
        _scored(
            v1, country="BD", start_date=datetime.date(2026, 5, 1), digital_channels=0,
            participants_total=8, participants_women=1, leaders_total=4, leaders_women=0,
            outcomes=[schools], partnership=active,
        ),
    ]  # fmt: skip
    return {
        "yemen": yemen, "bangladesh": bangladesh, "water": water, "schools": schools,
        "active": active, "draft": draft,
    }  # fmt: skip


def test_summary_groups_by_country_partnership_outcome_and_quarter(v1, scenario, scores_token):
    response = with_token(scores_token).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["methodology"] == {"id": v1.pk, "name": v1.name, "version": v1.version}
    everything = scenario["yemen"] + scenario["bangladesh"]
    _assert_group(body["overall"], _means(everything, v1))

    by_country = {row["country"]: row for row in body["by_country"]}
    assert set(by_country) == {"YE", "BD"}
    assert by_country["YE"]["country_name"] == "Yemen"
    _assert_group(by_country["YE"], _means(scenario["yemen"], v1))
    _assert_group(by_country["BD"], _means(scenario["bangladesh"], v1))

    by_outcome = {row["title"]: row for row in body["by_outcome"]}
    _assert_group(by_outcome["Clean water"], _means(scenario["yemen"], v1))
    schools = [scenario["yemen"][1], *scenario["bangladesh"]]
    _assert_group(by_outcome["Schools"], _means(schools, v1))
    assert by_outcome["Schools"]["outcome"] == scenario["schools"].pk

    by_quarter = {row["quarter"]: row for row in body["by_quarter"]}
    assert [row["quarter"] for row in body["by_quarter"]] == ["2026 Q1", "2026 Q2"]
    assert by_quarter["2026 Q2"]["start"] == "2026-04-01"
    _assert_group(by_quarter["2026 Q1"], _means(scenario["yemen"], v1))

    (pact,) = body["by_partnership"]
    assert pact["partnership"] == scenario["active"].pk and pact["title"] == "Open pact"
    _assert_group(pact, _means([scenario["yemen"][0], *scenario["bangladesh"]], v1))


def test_partnerships_the_caller_may_not_see_are_neither_named_nor_counted(
    v1, scenario, scores_token, officer, analyst
):
    for client in (with_token(scores_token), signed_in(analyst)):
        body = client.get(URL).content.decode()
        assert "Secret draft pact" not in body
        groups = client.get(URL).json()["by_partnership"]
        assert [row["partnership"] for row in groups] == [scenario["active"].pk]
    # The proposer sees their own draft, with its one score.
    own = {row["title"]: row for row in signed_in(officer).get(URL).json()["by_partnership"]}
    assert own["Secret draft pact"]["count"] == 1


def test_restricted_participants_are_never_named(v1, scores_token):
    engagement = EngagementFactory(country="YE")
    EngagementParticipantFactory(
        engagement=engagement,
        stakeholder=StakeholderFactory(
            name="Hidden Women's Network", kind=Kind.WOMENS_GROUP,
            sensitivity=Sensitivity.CONFIDENTIAL,
        ),
    )  # fmt: skip
    services.score_compute(engagement=engagement, methodology=v1)
    response = with_token(scores_token).get(URL)
    assert response.status_code == 200
    assert "Hidden" not in response.content.decode()
    assert response.json()["overall"]["count"] == 1


def test_the_filters_of_the_list_apply(v1, scenario, scores_token):
    client = with_token(scores_token)
    body = client.get(URL, {"country": "BD"}).json()
    assert body["overall"]["count"] == 1
    assert [row["country"] for row in body["by_country"]] == ["BD"]
    body = client.get(URL, {"outcome": scenario["water"].pk}).json()
    assert body["overall"]["count"] == 2
    # The outcome filter picks engagements; their other outcomes are still summarised.
    assert {row["title"] for row in body["by_outcome"]} == {"Clean water", "Schools"}
    assert client.get(URL, {"min_digital": 101}).json()["overall"]["count"] == 0


def test_default_is_the_current_methodology_and_a_version_can_be_chosen(v1, scenario, analyst):
    v2 = services.methodology_copy(methodology=v1)
    (engagement,) = scenario["bangladesh"]
    services.score_compute(engagement=engagement, methodology=v2)
    client = signed_in(analyst)
    current = client.get(URL).json()
    assert current["methodology"]["version"] == 1 and current["overall"]["count"] == 3
    chosen = client.get(URL, {"methodology_version": 2}).json()
    assert chosen["methodology"] == {"id": v2.pk, "name": v2.name, "version": 2}
    assert chosen["overall"]["count"] == 1


def test_an_unknown_methodology_version_names_the_field(v1, analyst):
    for value in ("9", "-1", "abc"):
        response = signed_in(analyst).get(URL, {"methodology_version": value})
        assert response.status_code == 400, value
        assert "methodology_version" in error_of(response)["fields"]


def test_an_empty_summary_has_no_groups(v1, analyst):
    body = signed_in(analyst).get(URL).json()
    assert body["overall"]["count"] == 0 and body["overall"]["best_pillar"] is None
    assert body["by_country"] == body["by_partnership"] == body["by_outcome"] == []


def test_summary_query_count_does_not_grow(
    v1, officer, reviewer, scores_token, django_assert_num_queries
):
    client = with_token(scores_token)
    active = make_partnership(proposer=officer, reviewer=reviewer, status=PartnershipStatus.ACTIVE)
    _scored(v1, country="YE", outcomes=[OutcomeFactory()], partnership=active)
    client.get(URL)  # the token's first use of the day records its last use once
    cache_forget()  # rendered bodies are cached by ETag: count the queries of computing one
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for n, country in enumerate(["BD", "SD", "ML", "SO", "AF", "MM", "UA", "HT", "CD"]):
        partnership = make_partnership(
            proposer=officer, reviewer=reviewer, status=PartnershipStatus.ACTIVE
        )
        _scored(
            v1, country=country, outcomes=[OutcomeFactory(), OutcomeFactory()],
            partnership=partnership, start_date=datetime.date(2025, 1 + n, 1),
        )  # fmt: skip
    cache_forget()
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(URL).json()
    assert body["overall"]["count"] == 10 and len(body["by_partnership"]) == 10
    # Token, methodology, validators, then the overall figures and the four groupings.
    assert len(few.captured_queries) <= 8
