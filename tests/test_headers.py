"""Response headers that keep restricted data where it belongs.

- A Content-Security-Policy with no inline script: the project's templates hold no inline
  ``<script>``, no ``on…=`` handler and no ``style=`` attribute (their JavaScript and CSS are
  static files), so the policy can forbid them all.
- ``Permissions-Policy``: the camera, microphone, geolocation and the like are off.
- ``Cache-Control: no-store`` on everything a signed-in person receives (pages, exports, the API
  for sessions), so that no browser or proxy keeps a copy; partner tokens' API answers keep their
  own caching (they never hold restricted data).
- A cleared person's session lasts ``SESSION_COOKIE_AGE_CLEARED`` (8 hours), others' two weeks.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.api.conftest import with_token
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    path
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]
    for path in folder.rglob("*.html")
)
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "inline event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
}


def test_templates_hold_no_inline_script_handler_or_style():
    assert len(TEMPLATES) > 50
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in TEMPLATES
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def directives(response) -> dict[str, set[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: set(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, analyst):
    for response in (client.get("/accounts/login/"), login_verified(client, analyst).get("/")):
        policy = directives(response)
        assert policy["script-src"] == {"'self'"}
        assert policy["style-src"] == {"'self'"}
        assert policy["object-src"] == {"'none'"} and policy["frame-ancestors"] == {"'none'"}
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_turn_off_powerful_browser_features(client, analyst):
    response = login_verified(client, analyst).get("/")
    features = dict(item.strip().split("=") for item in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"


@pytest.mark.django_db
def test_whatever_a_signed_in_person_receives_is_not_stored(client, cleared_analyst):
    StakeholderFactory(name="Quiet Women Mediators", sensitivity="restricted")
    login_verified(client, cleared_analyst)
    for url in (
        "/",
        "/stakeholders/",
        reverse("stakeholders:stakeholder_export"),
        reverse("graph:export", args=["csv"]),
        reverse("graph:export", args=["gexf"]),
        reverse("graph:export", args=["graphml"]),
        "/api/v1/stakeholders/",
        "/api/v1/scores/",
        "/api/v1/scores/?format=csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


@pytest.mark.django_db
def test_the_login_page_is_not_stored_and_partner_answers_keep_their_caching(db):
    from django.test import Client

    from accounts.services import token_issue

    assert "no-store" in Client().get("/accounts/login/")["Cache-Control"]
    token = token_issue(partner="Portal", created_by=None, scopes=["scores:read"])
    response = with_token(token.plaintext).get("/api/v1/scores/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response.has_header("ETag")


@pytest.mark.django_db
def test_a_cleared_persons_session_is_short(client, analyst, cleared_analyst):
    assert settings.SESSION_COOKIE_AGE_CLEARED == 8 * 3600
    login_verified(client, cleared_analyst).get("/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE_CLEARED
    other = type(client)()
    login_verified(other, analyst).get("/")
    assert other.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


@pytest.mark.django_db
def test_the_short_session_follows_the_password_sign_in_too(client, cleared_analyst):
    client.post(
        "/accounts/login/", {"username": "analyst.cleared", "password": "correct-horse-battery"}
    )
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE_CLEARED
