"""Who may do what: every endpoint × every kind of caller → the status code they get.

Callers: nobody signed in, an analyst (not cleared), an analyst cleared for restricted actors, a
program officer, a reviewer, an administrator, and a partner system with a read-only token. The
objects used are public; what happens to restricted ones is in the second table.
"""

import pytest

from stakeholders.choices import Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie
from tests.accounts.factories import UserFactory
from tests.api.conftest import signed_in, with_token
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

CALLERS = [
    "anonymous",
    "analyst",
    "cleared_analyst",
    "officer",
    "reviewer",
    "administrator",
    "token",
]


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


@pytest.fixture
def client_for(request, partner_token):
    def build(caller: str):
        if caller == "anonymous":
            from rest_framework.test import APIClient

            return APIClient()
        if caller == "token":
            return with_token(partner_token.plaintext)
        return signed_in(request.getfixturevalue(caller))

    return build


@pytest.fixture
def objects(db):
    actor, partner = StakeholderFactory(name="Actor A"), StakeholderFactory(name="Actor B")
    outcome = OutcomeFactory()
    return {
        "stakeholder": actor,
        "partner": partner,
        "outcome": outcome,
        "stake": StakeFactory(stakeholder=actor, outcome=outcome),
        "tie": TieFactory(from_stakeholder=actor, to_stakeholder=partner),
        "spare_outcome": OutcomeFactory(),
    }


# What each resource is called in URLs, and a valid body to create / change one.
RESOURCES = {
    "stakeholder": (
        "stakeholders",
        lambda o: {"name": "New Actor", "kind": "ngo", "country": "KE"},
        lambda o: {"description": "Updated."},
    ),
    "outcome": (
        "outcomes",
        lambda o: {"title": "A new outcome", "theme": "wps"},
        lambda o: {"geography": "Global"},
    ),
    "stake": (
        "stakes",
        lambda o: {
            "stakeholder": o["partner"].pk,
            "outcome": o["outcome"].pk,
            "interest": 0.4,
            "influence": 0.6,
        },
        lambda o: {"interest": 0.9},
    ),
    "tie": (
        "ties",
        lambda o: {
            "from_stakeholder": o["partner"].pk,
            "to_stakeholder": o["stakeholder"].pk,
            "kind": "funds",
        },
        lambda o: {"strength": 0.9},
    ),
}

READ = {caller: 200 for caller in CALLERS} | {"anonymous": 401}
# Writes: program officers and administrators hold the model permissions; tokens never write.
WRITE_REFUSED = {
    "anonymous": 401,
    "analyst": 403,
    "cleared_analyst": 403,
    "reviewer": 403,
    "token": 403,
}
CREATE = WRITE_REFUSED | {"officer": 201, "administrator": 201}
UPDATE = WRITE_REFUSED | {"officer": 200, "administrator": 200}
DELETE = WRITE_REFUSED | {"officer": 204, "administrator": 204}

MATRIX = [
    (f"{action} {resource}", resource, action, expected[caller], caller)
    for resource in RESOURCES
    for action, expected in (
        ("list", READ),
        ("detail", READ),
        ("create", CREATE),
        ("update", UPDATE),
        ("delete", DELETE),
    )
    for caller in CALLERS
]


@pytest.mark.parametrize(
    ("endpoint", "resource", "action", "expected", "caller"),
    MATRIX,
    ids=[f"{row[0]}-{row[4]}" for row in MATRIX],
)
def test_registry_endpoints(endpoint, resource, action, expected, caller, client_for, objects):
    prefix, create_body, update_body = RESOURCES[resource]
    client = client_for(caller)
    detail = f"/api/v1/{prefix}/{objects[resource].pk}/"
    model = type(objects[resource])
    before = model.objects.count()
    if action == "list":
        response = client.get(f"/api/v1/{prefix}/")
    elif action == "detail":
        response = client.get(detail)
    elif action == "create":
        response = client.post(f"/api/v1/{prefix}/", create_body(objects), format="json")
    elif action == "update":
        response = client.patch(detail, update_body(objects), format="json")
    else:
        response = client.delete(detail)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["error"]["status"] == expected
        assert model.objects.count() == before
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


OTHER_ENDPOINTS = {
    # name: (method, url, {caller: status})
    "schema": ("get", "/api/schema/", READ),
    # The docs are a page for people: no session means the login page; tokens are not sessions.
    "docs": ("get", "/api/docs/", READ | {"anonymous": 302, "token": 302}),
    "token list": (
        "get",
        "/accounts/tokens/",
        {c: 403 for c in CALLERS} | {"anonymous": 302, "token": 302, "administrator": 200},
    ),
    "token issue form": (
        "get",
        "/accounts/tokens/new/",
        {c: 403 for c in CALLERS} | {"anonymous": 302, "token": 302, "administrator": 200},
    ),
    "token revoke": (
        "post",
        "/accounts/tokens/{token}/revoke/",
        {c: 403 for c in CALLERS} | {"anonymous": 302, "token": 302, "administrator": 302},
    ),
}
OTHER_MATRIX = [
    (name, method, url, expected[caller], caller)
    for name, (method, url, expected) in OTHER_ENDPOINTS.items()
    for caller in CALLERS
]


@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected", "caller"),
    OTHER_MATRIX,
    ids=[f"{row[0]}-{row[4]}" for row in OTHER_MATRIX],
)
def test_schema_docs_and_token_pages(
    endpoint, method, url, expected, caller, client_for, partner_token
):
    client = client_for(caller)
    response = getattr(client, method)(url.format(token=partner_token.token.pk))
    assert response.status_code == expected
    if expected == 302 and caller in ("anonymous", "token"):
        assert response.headers["Location"].startswith("/accounts/login/")
    partner_token.token.refresh_from_db()
    revoked_by_this = endpoint == "token revoke" and caller == "administrator"
    assert partner_token.token.is_revoked == revoked_by_this


# --- Restricted objects ---------------------------------------------------------------------------
#
# Restricted and confidential stakeholders and their stakes and ties: found (200) only by cleared
# people; for everyone else, and for tokens, not found (404) — never 403, which would betray them.

RESTRICTED_CALLERS = {
    "anonymous": 401,
    "analyst": 404,
    "officer": 404,
    "reviewer": 404,
    "administrator": 404,
    "token": 404,
    "cleared_analyst": 200,
    "cleared_officer": 200,
}
RESTRICTED_MATRIX = [
    (resource, sensitivity, caller, expected)
    for resource in ("stakeholder", "stake", "tie")
    for sensitivity in (Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL)
    for caller, expected in RESTRICTED_CALLERS.items()
]


@pytest.fixture
def hidden_objects(db):
    def build(sensitivity):
        hidden = StakeholderFactory(name="Hidden Actor", sensitivity=sensitivity)
        public = StakeholderFactory(name="Public Actor")
        return {
            "stakeholder": hidden,
            "stake": StakeFactory(stakeholder=hidden),
            "tie": TieFactory(from_stakeholder=public, to_stakeholder=hidden),
        }

    return build


@pytest.mark.parametrize(
    ("resource", "sensitivity", "caller", "expected"),
    RESTRICTED_MATRIX,
    ids=[f"{r}-{s}-{c}" for r, s, c, _ in RESTRICTED_MATRIX],
)
def test_restricted_objects_read_and_write(
    resource, sensitivity, caller, expected, client_for, hidden_objects
):
    obj = hidden_objects(sensitivity)[resource]
    prefix = RESOURCES[resource][0]
    url = f"/api/v1/{prefix}/{obj.pk}/"
    client = client_for(caller)

    assert client.get(url).status_code == expected
    listed = client.get(f"/api/v1/{prefix}/")
    if expected != 401:
        ids = {row["id"] for row in listed.json()["results"]}
        assert (obj.pk in ids) == (expected == 200)

    # Writing: callers who may not write at all are told so whatever the object (403 reveals
    # nothing); officers and administrators not cleared find no such object (404).
    patch_expected, delete_expected = {
        "anonymous": (401, 401),
        "analyst": (403, 403),
        "reviewer": (403, 403),
        "cleared_analyst": (403, 403),
        "token": (403, 403),
        "cleared_officer": (200, 204),
    }.get(caller, (404, 404))
    body = {"description": "x"} if resource == "stakeholder" else {"notes": "x"}
    assert client.patch(url, body, format="json").status_code == patch_expected
    assert client.delete(url).status_code == delete_expected
    model = {"stakeholder": Stakeholder, "stake": Stake, "tie": Tie}[resource]
    assert model.objects.filter(pk=obj.pk).exists() == (delete_expected != 204)
    assert Outcome.objects.exists()  # deleting a stakeholder never takes outcomes with it
