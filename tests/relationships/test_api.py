"""/api/v1/interactions/ and /api/v1/follow-ups/."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import token_issue
from relationships import services
from relationships.models import Interaction
from tests.accounts.factories import UserFactory
from tests.relationships.helpers import hidden_actor, log
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
LIST = "relationships-api:interaction-list"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_hides_interactions_with_hidden_actors_and_keeps_its_query_count(
    officer, django_assert_num_queries
):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    actor = StakeholderFactory()
    secret = log(cleared, actor, hidden_actor())
    log(officer, actor)
    api = _api(officer)
    api.get(reverse(LIST))
    with CaptureQueriesContext(connection) as captured:
        body = api.get(reverse(LIST)).json()
    assert [row["id"] for row in body["results"]] != [] and secret.pk not in [
        row["id"] for row in body["results"]
    ]
    few = len(captured.captured_queries)
    for _ in range(20):
        log(officer, actor, StakeholderFactory())
    with django_assert_num_queries(few):
        body = api.get(reverse(LIST)).json()
    assert len(body["results"]) == 21
    detail = reverse("relationships-api:interaction-detail", args=[secret.pk])
    assert api.get(detail).status_code == 404
    assert _api(cleared).get(detail).status_code == 200


def test_create_validates_through_the_service_and_names_the_field(officer):
    actor, secret = StakeholderFactory(), hidden_actor()
    api = _api(officer)
    future = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = api.post(
        reverse(LIST), {"kind": "call", "date": future, "stakeholders": [actor.pk]}, format="json"
    )
    assert response.status_code == 400 and "date" in response.json()["error"]["fields"], (
        response.json()
    )
    response = api.post(
        reverse(LIST),
        {"kind": "call", "date": TODAY.isoformat(), "stakeholders": [secret.pk]},
        format="json",
    )
    assert response.status_code == 400 and "stakeholders" in response.json()["error"]["fields"]
    assert not Interaction.objects.exists()
    response = api.post(
        reverse(LIST),
        {"kind": "call", "date": TODAY.isoformat(), "stakeholders": [actor.pk], "sentiment": 2},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Interaction.objects.get().sentiment == 2


def test_follow_ups_filter_and_complete(officer):
    actor = StakeholderFactory()
    follow_up = services.follow_up_create(
        user=officer, stakeholder=actor, title="Call", due_date=TODAY, owner=officer
    )
    api = _api(officer)
    url = reverse("relationships-api:followup-list")
    assert [r["id"] for r in api.get(url, {"stakeholder": actor.pk}).json()["results"]] == [
        follow_up.pk
    ]
    other = StakeholderFactory()
    assert api.get(url, {"stakeholder": other.pk}).json()["results"] == []
    detail = reverse("relationships-api:followup-detail", args=[follow_up.pk])
    assert api.patch(detail, {"done": True}, format="json").status_code == 200
    assert api.get(url, {"open": "true"}).json()["results"] == []


def test_partner_tokens_are_refused_and_the_schema_lists_the_endpoints(officer, administrator):
    issued = token_issue(partner="Partner", created_by=administrator, scopes=["registry:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert client.get(reverse(LIST)).status_code == 403
    schema = _api(officer).get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/v1/interactions/" in schema["paths"]
    assert "/api/v1/follow-ups/" in schema["paths"]
