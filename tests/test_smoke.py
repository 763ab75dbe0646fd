"""Every page renders: each URL pattern without arguments, and the detail pages of real objects,
for a superuser (who may open everything) and for an uncleared analyst (no server error either)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db

# The admin is Django's; the API has its own schemathesis run; /metrics answers Prometheus with
# its token only (tests/ops/test_observability.py).
SKIP_PREFIXES = ("admin/", "api/", "metrics")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _pages():
    for route in sorted(set(_walk(get_resolver().url_patterns))):
        if route.startswith(SKIP_PREFIXES) or "<" in route or "(?P" in route or "^" in route:
            continue
        yield "/" + route


PAGES = list(_pages())


def test_the_walk_finds_the_products_pages():
    for page in ("/", "/stakeholders/", "/outcomes/", "/candidates/", "/partnerships/"):
        assert page in PAGES


@pytest.mark.parametrize("path", PAGES)
def test_every_page_without_arguments_renders(client, path):
    login_verified(client, UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.get(path)
    assert response.status_code in (200, 302, 405), (path, response.status_code)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert b"</html>" in response.content


def test_detail_pages_of_real_objects_render(client, analyst):
    actor = StakeholderFactory(name="Aden Port Authority")
    outcome = OutcomeFactory()
    StakeFactory(stakeholder=actor, outcome=outcome)
    TieFactory(from_stakeholder=actor)
    for user in (UserFactory(username="root", is_superuser=True, is_staff=True), analyst):
        login_verified(client, user)
        for url in (actor.get_absolute_url(), outcome.get_absolute_url()):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Aden Port Authority" in response.content.decode()
