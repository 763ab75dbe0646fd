"""A partner token's API request skips the browser's middleware; every other request runs it.

accounts/browser_middleware.py: sessions, CSRF, the session's user, its second factor and flash
messages are not run for a request to a token-first DRF view carrying ``Authorization: Token`` or
``Bearer``. Everything else (headers, CSP, request log, throttling, the API's own checks) is the
same, and people's sessions keep CSRF and the second factor.
"""

import logging
from contextlib import ExitStack
from unittest import mock

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.middleware import LazyOTPMiddleware
from accounts.services import token_issue
from stakeholders.models import Outcome
from tests.accounts.test_two_factor import enrolled, password_login
from tests.conftest import login_verified

BROWSER_HOOKS = {
    "session": (SessionMiddleware, "process_request"),
    "csrf": (CsrfViewMiddleware, "process_request"),
    "csrf view": (CsrfViewMiddleware, "process_view"),
    "user": (AuthenticationMiddleware, "process_request"),
    "second factor": (LazyOTPMiddleware, "_verify_user_sync"),
    "messages": (MessageMiddleware, "process_request"),
}
# The list before issue 22: Django's and django-otp's own classes.
PLAIN_MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ops.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "smartdiplomacy.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LazyOTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def browser_hooks_run(client, *args, **kwargs) -> tuple[object, set[str]]:
    """``client.get(*args, **kwargs)``, and which of the browser's middleware hooks ran."""
    ran: set[str] = set()
    with ExitStack() as stack:
        for name, (middleware, hook) in BROWSER_HOOKS.items():
            original = getattr(middleware, hook)

            def spy(*call_args, _name=name, _original=original, **call_kwargs):
                ran.add(_name)
                return _original(*call_args, **call_kwargs)

            stack.enter_context(mock.patch.object(middleware, hook, spy))
        response = client.get(*args, **kwargs)
    return response, ran


def session_and_token(user, plaintext: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    login_verified(client, user)
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {plaintext}")
    return client


@pytest.fixture
def scores_token(db):
    return token_issue(partner="Partner portal", created_by=None, scopes=["scores:read"])


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_token_request_to_the_api_runs_none_of_the_browser_middleware(
    analyst, scores_token, keyword, caplog
):
    # A session cookie beside the token changes nothing: the token answers, the session is
    # neither read nor written.
    client = session_and_token(analyst, scores_token.plaintext, keyword)
    with caplog.at_level(logging.INFO, logger="smartdiplomacy.request"):
        response, ran = browser_hooks_run(client, "/api/v1/scores/?page_size=5")
    assert response.status_code == 200
    assert ran == set()
    assert "Set-Cookie" not in response and not response.cookies
    assert not hasattr(response.wsgi_request, "session")
    for header in SECURITY_HEADERS:
        assert response.has_header(header), header
    # The request log still has its line, and the answer is the token's: no person's no-store.
    (line,) = [r for r in caplog.records if r.name == "smartdiplomacy.request"]
    assert line.status == 200 and line.user_id is None
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_refused_token_runs_none_of_it_either_and_is_refused_the_same(analyst, db):
    client = session_and_token(analyst, "nosuch.token")
    response, ran = browser_hooks_run(client, "/api/v1/scores/")
    assert response.status_code == 401 and ran == set()
    assert response.json()["error"]["message"] == "Invalid token."


def test_the_answer_is_the_same_as_through_every_middleware(analyst, scores_token, registry):
    plaintext = scores_token.plaintext
    token = token_issue(partner="Registry reader", created_by=None, scopes=["registry:read"])
    urls = [("/api/v1/scores/?page_size=5", plaintext), ("/api/v1/stakeholders/", token.plaintext)]
    for url, secret in urls:
        skipping = session_and_token(analyst, secret).get(url)
        with override_settings(MIDDLEWARE=PLAIN_MIDDLEWARE):
            everything = session_and_token(analyst, secret).get(url)
        assert skipping.status_code == everything.status_code == 200, url
        assert skipping.content == everything.content, url
        assert dict(skipping.items()) == dict(everything.items()), url
        assert not skipping.cookies and not everything.cookies


def test_a_session_request_to_the_api_runs_all_of_it(analyst, db):
    client = APIClient()
    login_verified(client, analyst)
    response, ran = browser_hooks_run(client, "/api/v1/scores/")
    assert response.status_code == 200
    assert ran == set(BROWSER_HOOKS)


@pytest.mark.parametrize(
    "url",
    [
        "/stakeholders/",  # a page
        "/api/v1/no-such-thing/",  # the API's 404, not a DRF view
        "/api/docs/",  # the API's docs: a page for people
    ],
)
def test_a_token_header_elsewhere_than_a_token_view_runs_all_of_it(analyst, scores_token, url):
    client = session_and_token(analyst, scores_token.plaintext)
    response, ran = browser_hooks_run(client, url)
    assert {"session", "csrf", "user", "messages"} <= ran, url


def test_session_writes_to_the_api_are_still_checked_for_csrf(officer, db):
    client = APIClient(enforce_csrf_checks=True)
    login_verified(client, officer)
    response = client.post("/api/v1/outcomes/", {"title": "T", "theme": "wps"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Outcome.objects.filter(title="T").exists()


def test_a_session_owing_its_second_factor_is_still_refused_even_with_a_token_header(
    client, cleared_analyst, scores_token
):
    enrolled(cleared_analyst)
    password_login(client, cleared_analyst)
    response = client.get("/api/v1/scores/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"
    # A token header on a page does not spare the page's second-factor redirect.
    response = client.get("/stakeholders/", HTTP_AUTHORIZATION=f"Bearer {scores_token.plaintext}")
    assert response.status_code == 302 and "/accounts/two-factor/" in response["Location"]
