"""Fixtures shared by the index's tests."""

import pytest
from django.core.cache import cache

from accounts.selectors import token_forget_here
from accounts.services import token_issue
from index.api.conditional import local_clear
from index.models import Methodology


def cache_forget() -> None:
    """Empty the shared cache and what this process keeps in front of it (rendered pages, the
    partner tokens it read: with the shared cache goes the tokens' revision they were kept at)."""
    cache.clear()
    local_clear()
    token_forget_here()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counts, rendered score pages and the sensitivity analysis live in the cache:
    each test starts and ends with it empty."""
    cache_forget()
    yield
    cache_forget()


@pytest.fixture
def v1(db):
    """Version 1 of the index, published by a migration."""
    return Methodology.objects.get(name="Smart Diplomacy Index", version=1)


@pytest.fixture
def scores_token(db) -> str:
    """A partner token (plaintext) with the scores:read scope."""
    return token_issue(partner="Index portal", created_by=None, scopes=["scores:read"]).plaintext
