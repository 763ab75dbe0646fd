"""Whatever is asked under /api/ is answered in the API's one error shape, never an HTML page:
unroutable ids, unknown resources and unknown paths, by every method, for anonymous callers,
signed-in people (whose browsers send CSRF-checked cookies) and partner tokens alike."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import error_of, with_token

UNROUTABLE = [
    "/api/v1/stakeholders/abc/",
    "/api/v1/stakeholders/a.b/",
    "/api/v1/stakeholders/99999999999999999999999/",
    "/api/v1/stakeholders/1/nope/",
    "/api/v1/scores/abc/",
    "/api/v1/partnerships/abc/comments/",
    "/api/v1/nope/",
    "/api/v1",
    "/api/nope",
]
METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def callers(analyst, partner_token):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(analyst)
    return {
        "anonymous": APIClient(enforce_csrf_checks=True),
        "session": session,
        "token": with_token(partner_token.plaintext),
    }


@pytest.mark.parametrize("caller", ["anonymous", "session", "token"])
def test_unroutable_urls_answer_in_the_error_shape(callers, caller):
    client = callers[caller]
    for url in UNROUTABLE:
        for method in METHODS:
            response = getattr(client, method)(url, HTTP_ACCEPT="text/html")
            assert response["Content-Type"].startswith("application/json"), (method, url)
            assert response.status_code in (401, 403, 404, 405, 406), (method, url)
            error_of(response)


def test_an_unknown_endpoint_is_a_404_even_for_a_write_without_a_csrf_token(callers):
    response = callers["session"].post("/api/v1/nope/", {"a": 1}, format="json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
