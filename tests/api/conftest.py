"""Fixtures of the API tests: clients signed in as each kind of caller, and partner tokens."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.selectors import token_forget_here
from accounts.services import token_issue
from index.api.conditional import local_clear
from stakeholders.choices import Sensitivity
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    # Throttles count in the cache, which outlives a test; ids are reused between tests.
    cache.clear()
    local_clear()
    token_forget_here()
    yield
    cache.clear()
    local_clear()
    token_forget_here()


@pytest.fixture
def api_client():
    return APIClient()


def signed_in(user) -> APIClient:
    client = APIClient()
    login_verified(client, user)
    return client


def with_token(plaintext: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {plaintext}")
    return client


@pytest.fixture
def partner_token(db):
    """A read-only partner token with the default scopes; ``.plaintext`` is what partners send."""
    return token_issue(partner="Partner portal", created_by=None)


@pytest.fixture
def token_client(partner_token):
    return with_token(partner_token.plaintext)


@pytest.fixture
def registry(db):
    """One public, one restricted and one confidential stakeholder."""
    return {
        "public": StakeholderFactory(name="Open Aid Network", sensitivity=Sensitivity.PUBLIC),
        "restricted": StakeholderFactory(
            name="Quiet Women Mediators", sensitivity=Sensitivity.RESTRICTED
        ),
        "confidential": StakeholderFactory(
            name="Hidden Diaspora Circle", sensitivity=Sensitivity.CONFIDENTIAL
        ),
    }


def error_of(response) -> dict:
    """The body's one error object, after checking that the body has the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error
