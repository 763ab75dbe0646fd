"""/api/v1/salience/ and /api/v1/outcomes/<id>/positions/: people only, hidden actors absent."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import token_issue
from relationships import services
from stakeholders import services as registry
from tests.relationships.helpers import hidden_actor
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
LIST = "relationships-api:salience-list"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_list_and_filter_salience_without_hidden_actors(
    officer, cleared_analyst, django_assert_num_queries
):
    outcome, actor, secret = OutcomeFactory(), StakeholderFactory(), hidden_actor()
    services.salience_assess(
        user=cleared_analyst, stakeholder=secret, outcome=outcome, power=3, legitimacy=3, urgency=3
    )
    api = _api(officer)
    created = api.post(
        reverse(LIST),
        {
            "stakeholder": actor.pk,
            "outcome": outcome.pk,
            "power": 3,
            "legitimacy": 2,
            "urgency": 0,
            "note": "Ministry signs off",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["salience_class"] == "dominant"
    assert created.json()["assessed_on"] == TODAY.isoformat()
    assert created.json()["assessed_by"] == officer.username
    for other in StakeholderFactory.create_batch(3):
        services.salience_assess(
            user=officer, stakeholder=other, outcome=outcome, power=1, legitimacy=1, urgency=1
        )
    api.get(reverse(LIST))
    with django_assert_num_queries(2):  # the outcome filter's lookup, the rows: same for many
        body = api.get(reverse(LIST), {"outcome": outcome.pk}).json()
    assert len(body["results"]) == 4 and secret.pk not in [
        r["stakeholder"] for r in body["results"]
    ]
    with django_assert_num_queries(2):
        body = api.get(reverse(LIST), {"stakeholder": actor.pk}).json()
    assert [row["stakeholder"] for row in body["results"]] == [actor.pk]
    refused = api.post(
        reverse(LIST),
        {
            "stakeholder": secret.pk,
            "outcome": outcome.pk,
            "power": 4,
            "legitimacy": 0,
            "urgency": 0,
        },
        format="json",
    )
    assert refused.status_code == 400
    fields = refused.json()["error"]["fields"]
    assert "does not exist" in str(fields["stakeholder"]) and "power" in fields
    hidden_detail = _api(officer).get(
        reverse("relationships-api:salience-detail", args=[secret.salience_assessments.get().pk])
    )
    assert hidden_detail.status_code == 404


def test_positions_by_month_leave_hidden_actors_out(officer, cleared_analyst):
    outcome, actor, secret = OutcomeFactory(), StakeholderFactory(name="Relief"), hidden_actor()
    stake = registry.stake_create(stakeholder=actor, outcome=outcome, interest=0.5, influence=0.4)
    registry.stake_create(
        stakeholder=secret, outcome=outcome, interest=1, influence=1, position="opposes"
    )
    registry.stake_update(stake=stake, position="opposes")
    url = reverse("relationships-api:outcome-positions", args=[outcome.pk])
    body = _api(officer).get(url).json()
    assert len(body["months"]) == 12
    assert body["months"][-1] | {"end": None} == {
        "end": None,
        "supports": 0,
        "neutral": 0,
        "opposes": 1,
        "supports_weight": 0.0,
        "neutral_weight": 0.0,
        "opposes_weight": 0.4,
    }
    assert [(m["stakeholder_name"], m["before"], m["after"]) for m in body["moves"]] == [
        ("Relief", "supports", "opposes")
    ]
    assert _api(cleared_analyst).get(url).json()["months"][-1]["opposes"] == 2
    assert (
        _api(officer).get(reverse("relationships-api:outcome-positions", args=[0])).status_code
        == 404
    )


def test_partner_tokens_are_refused_and_the_schema_lists_both(officer, administrator):
    issued = token_issue(partner="Partner", created_by=administrator, scopes=["registry:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    outcome = OutcomeFactory()
    assert client.get(reverse(LIST)).status_code == 403
    url = reverse("relationships-api:outcome-positions", args=[outcome.pk])
    assert client.get(url).status_code == 403
    schema = _api(officer).get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/v1/salience/" in schema["paths"]
    assert "/api/v1/outcomes/{id}/positions/" in schema["paths"]


def test_a_stake_patched_through_the_api_is_a_dated_assessment(officer):
    stake = registry.stake_create(
        stakeholder=StakeholderFactory(),
        outcome=OutcomeFactory(),
        interest=0.5,
        influence=0.5,
        assessed_on=TODAY - datetime.timedelta(days=40),
    )
    url = reverse("stakeholders-api:stake-detail", args=[stake.pk])
    api = _api(officer)
    body = api.patch(url, {"position": "opposes", "notes": "Walked out"}, format="json").json()
    assert (body["position"], body["assessed_on"]) == ("opposes", TODAY.isoformat())
    future = (TODAY + datetime.timedelta(days=1)).isoformat()
    refused = api.patch(url, {"assessed_on": future}, format="json")
    assert refused.status_code == 400 and "assessed_on" in refused.json()["error"]["fields"]
