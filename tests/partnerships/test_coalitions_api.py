"""/api/v1/coalitions/: list with the page's filters, detail, proposing, recomputing, the error
shape, partner tokens refused, the schema and pinned query counts."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import RestrictedReadLog
from accounts.services import token_issue
from partnerships.models import Coalition, Partnership
from stakeholders.choices import Kind
from tests.conftest import login_verified
from tests.partnerships.coalition_fixtures import compute, hidden_actor_add, wider_registry_create

pytestmark = pytest.mark.django_db
COALITIONS = reverse("partnerships-api:coalition-list")


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def signed_in(user) -> APIClient:
    client = APIClient()
    login_verified(client, user)
    return client


def detail_url(coalition) -> str:
    return reverse("partnerships-api:coalition-detail", args=[coalition.key])


@pytest.fixture
def computed(coalition_registry):
    compute(coalition_registry)
    return coalition_registry


def test_a_coalition_as_the_api_shows_it(analyst, computed):
    r = computed
    body = signed_in(analyst).get(COALITIONS).json()
    assert body["count"] == 1
    row = body["results"][0]
    coalition = Coalition.objects.get(audience="public")
    assert row["id"] == coalition.key and row["url"] == coalition.get_absolute_url()
    assert row["outcome"] == {"id": r.outcome.pk, "title": r.outcome.title}
    assert row["rank"] == 1
    assert row["value"] == pytest.approx(0.706)
    assert (row["coverage"], row["stake"], row["trust"]) == pytest.approx((1.0, 0.47, 0.325))
    assert row["broker"] == r.ngo.pk
    assert [m["id"] for m in row["members"]][0] == r.ngo.pk
    state = next(m for m in row["members"] if m["id"] == r.state.pk)
    assert state == {
        "id": r.state.pk, "name": "Ministry of Planning", "kind": "state", "brings": ["funding"],
        "interest": 1.0, "influence": 0.64, "broker": False, "inclusive": False,
    }  # fmt: skip
    assert row["needed_capabilities"] == [
        "funding", "field_presence", "technology", "community_trust",
    ]  # fmt: skip
    assert row["uncovered_capabilities"] == []
    assert {(t["a"], t["b"]) for t in row["ties"]} == {
        tuple(sorted(p))
        for p in ((r.state.pk, r.ngo.pk), (r.state.pk, r.women.pk), (r.ngo.pk, r.women.pk))
    }
    assert row["solver"] == "exact" and row["bound"] == 1.0 and row["partnership"] is None
    assert signed_in(analyst).get(detail_url(coalition)).json() == row


def test_the_list_filters_like_the_page(analyst, computed):
    wider = wider_registry_create()
    compute(wider)
    client = signed_in(analyst)
    body = client.get(COALITIONS, {"outcome": wider.outcome.pk}).json()
    assert {row["outcome"]["id"] for row in body["results"]} == {wider.outcome.pk}
    assert [row["rank"] for row in body["results"]] == sorted(
        row["rank"] for row in body["results"]
    )
    body = client.get(COALITIONS, {"member_kind": Kind.MEDIA}).json()
    assert body["count"] and all(
        any(m["kind"] == Kind.MEDIA for m in row["members"]) for row in body["results"]
    )
    body = client.get(COALITIONS, {"member": computed.firm.pk}).json()
    assert [row["outcome"]["id"] for row in body["results"]] == [computed.outcome.pk]
    values = [
        row["value"] for row in client.get(COALITIONS, {"ordering": "value"}).json()["results"]
    ]
    assert values == sorted(values)


def test_errors_have_the_one_shape(analyst, cleared_analyst, computed):
    client = signed_in(analyst)
    response = client.get(COALITIONS, {"min_value": 3})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["min_value"]
    hidden = hidden_actor_add(computed)
    compute(computed)
    # A hidden actor's id is refused exactly like one that does not exist.
    unknown = client.get(COALITIONS, {"member": 999_999}).json()["error"]
    refused = client.get(COALITIONS, {"member": hidden.pk}).json()["error"]
    assert refused["code"] == unknown["code"] == "invalid"
    assert refused["message"].replace(str(hidden.pk), "N") == unknown["message"].replace(
        "999999", "N"
    )
    # A cleared coalition answers 404 to the uncleared, like a key that does not exist.
    cleared = Coalition.objects.get(audience="cleared", rank=1)
    assert hidden.pk in set(cleared.members.values_list("stakeholder_id", flat=True))
    response = client.get(detail_url(cleared))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert signed_in(cleared_analyst).get(detail_url(cleared)).status_code == 200


def test_cleared_reads_of_restricted_members_are_audited(cleared_analyst, computed):
    hidden = hidden_actor_add(computed)
    compute(computed)
    signed_in(cleared_analyst).get(COALITIONS)
    assert RestrictedReadLog.objects.get().stakeholder_ids == [hidden.pk]


def test_partner_tokens_cannot_read_coalitions(computed):
    issued = token_issue(partner="Partner portal", created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    response = client.get(COALITIONS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert APIClient().get(COALITIONS).status_code in (401, 403)


def test_officers_propose_a_coalition_through_the_api(officer, analyst, computed):
    coalition = Coalition.objects.get(audience="public")
    url = reverse("partnerships-api:coalition-propose", args=[coalition.key])
    assert signed_in(analyst).post(url).status_code == 403
    response = signed_in(officer).post(url)
    assert response.status_code == 201
    partnership = Partnership.objects.get(pk=response.json()["partnership"])
    assert partnership.members.count() == 4
    again = signed_in(officer).post(url)
    assert again.status_code == 400
    assert again.json()["error"]["message"] == (
        f"This coalition was already proposed as partnership #{partnership.pk}."
    )


def test_officers_recompute_through_the_api(
    officer, analyst, coalition_registry, django_capture_on_commit_callbacks
):
    url = reverse("partnerships-api:coalition-compute")
    outcome = coalition_registry.outcome
    assert signed_in(analyst).post(url, {"outcome": outcome.pk}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(officer).post(url, {"outcome": outcome.pk}, format="json")
    assert response.status_code == 202 and response.json() == {"queued": 1}
    assert Coalition.objects.filter(outcome=outcome).count() == 2
    response = signed_in(officer).post(url, {"outcome": 999_999}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()["error"]["fields"]


def test_the_schema_describes_coalitions(analyst):
    schema = signed_in(analyst).get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/v1/coalitions/" in schema["paths"]
    assert "/api/v1/coalitions/{key}/propose/" in schema["paths"]
    listed = schema["paths"]["/api/v1/coalitions/"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {
        "outcome", "member", "member_kind", "min_value", "ordering", "page",
    }  # fmt: skip


def test_the_list_runs_the_same_queries_for_one_and_many(
    analyst, computed, django_assert_num_queries
):
    client = signed_in(analyst)
    client.get(COALITIONS)
    # session, user, its permissions (own, groups': is it cleared?), count, page, members
    # (with their stakeholders)
    queries = 7
    with django_assert_num_queries(queries):
        assert client.get(COALITIONS).json()["count"] == 1
    compute(wider_registry_create())
    with django_assert_num_queries(queries):
        assert client.get(COALITIONS).json()["count"] > 3
