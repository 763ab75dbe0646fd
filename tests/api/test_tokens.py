"""Partner tokens: issued hashed with an expiry and scopes, read-only, throttled, revocable."""

import hashlib
import os
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.utils import timezone
from redis import Redis

from accounts.models import DEFAULT_TOKEN_SCOPES, PartnerToken, TokenScope
from accounts.services import token_issue, token_revoke
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Sensitivity
from stakeholders.models import Stakeholder
from tests.api.conftest import error_of, signed_in, with_token
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

# --- Issuing ----------------------------------------------------------------------------------


def test_a_token_is_stored_hashed_with_default_scopes_and_expiry(administrator):
    issued = token_issue(partner="  UNDP data portal ", created_by=administrator)
    token = issued.token
    prefix, secret = issued.plaintext.split(".")
    assert re.fullmatch(r"sd_[0-9a-f]{8}", prefix) and prefix == token.prefix
    assert len(secret) == 40
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = PartnerToken.objects.filter(pk=token.pk).values().get()
    assert secret not in str(stored)
    assert token.partner == "UNDP data portal"
    assert token.scopes == DEFAULT_TOKEN_SCOPES == ["registry:read"]
    lifetime = token.expires_at - timezone.now()
    assert timedelta(days=89) < lifetime <= timedelta(days=90)
    assert token.status == "active" and token.created_by == administrator


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"partner": " "}, "partner"),
        ({"partner": "P", "scopes": []}, "scopes"),
        ({"partner": "P", "scopes": ["registry:write"]}, "scopes"),
        ({"partner": "P", "expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
    ],
)
def test_issuing_refuses_bad_input_naming_the_field(db, arguments, field):
    with pytest.raises(ApplicationError) as raised:
        token_issue(created_by=None, **arguments)
    assert raised.value.field == field
    assert not PartnerToken.objects.exists()


def test_issue_and_revoke_are_kept_in_history(administrator):
    token = token_issue(partner="P", created_by=administrator).token
    token_revoke(token=token, revoked_by=administrator)
    history = list(token.history.order_by("history_date"))
    assert [record.history_type for record in history] == ["+", "~"]
    assert all(record.history_user == administrator for record in history)
    assert history[-1].revoked_at is not None
    with pytest.raises(ApplicationError):
        token_revoke(token=token, revoked_by=administrator)


# --- Authenticating ---------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_token_reads_the_public_registry(partner_token, keyword, db):
    public = StakeholderFactory()
    StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    response = with_token(partner_token.plaintext, keyword).get("/api/v1/stakeholders/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [public.pk]


def test_last_use_is_recorded_at_most_once_a_minute_without_history(partner_token, db):
    client = with_token(partner_token.plaintext)
    token = partner_token.token
    assert token.last_used_at is None
    client.get("/api/v1/outcomes/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/outcomes/")
    token.refresh_from_db()
    assert token.last_used_at == first
    assert token.history.count() == 1  # only its creation


def _expire(token):
    PartnerToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))


def _revoke(token):
    token_revoke(token=token, revoked_by=None)


def _wrong_secret(plaintext):
    prefix, secret = plaintext.split(".")
    return f"{prefix}.{'x' * len(secret)}"


@pytest.mark.parametrize(
    ("case", "header", "message"),
    [
        ("expired", lambda issued: (_expire(issued.token), issued.plaintext)[1],
         "This token has expired."),
        ("revoked", lambda issued: (_revoke(issued.token), issued.plaintext)[1],
         "This token was revoked."),
        ("wrong secret", lambda issued: _wrong_secret(issued.plaintext), "Invalid token."),
        ("unknown prefix", lambda issued: "sd_00000000." + "a" * 40, "Invalid token."),
        ("no dot", lambda issued: issued.plaintext.replace(".", ""), "Invalid token."),
        ("two words", lambda issued: f"{issued.plaintext} extra",
         "Malformed Authorization header: send 'Bearer <prefix>.<secret>'."),
    ],
)  # fmt: skip
def test_a_bad_token_is_a_401_in_the_error_shape(partner_token, case, header, message):
    client = with_token(header(partner_token))
    response = client.get("/api/v1/stakeholders/")
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "authentication_failed"
    assert error["message"] == message
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_secret_does_not_count_as_use(partner_token):
    with_token(_wrong_secret(partner_token.plaintext)).get("/api/v1/stakeholders/")
    partner_token.token.refresh_from_db()
    assert partner_token.token.last_used_at is None


def test_tokens_are_read_only_even_with_a_session(partner_token, officer):
    client = signed_in(officer)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {partner_token.plaintext}")
    for method, url in (("post", "/api/v1/stakeholders/"), ("delete", "/api/v1/stakes/1/")):
        response = getattr(client, method)(url, {"name": "X", "kind": "ngo"}, format="json")
        assert response.status_code == 403
        assert error_of(response)["message"] == "Partner tokens are read-only."
    assert not Stakeholder.objects.exists()


def test_a_token_without_the_scope_is_refused(partner_token):
    PartnerToken.objects.filter(pk=partner_token.token.pk).update(scopes=["scores:read"])
    client = with_token(partner_token.plaintext)
    response = client.get("/api/v1/stakeholders/")
    assert response.status_code == 403
    assert error_of(response)["message"] == "This token lacks the scope registry:read."
    # The schema is open to any valid token, whatever its scopes.
    assert client.get("/api/schema/").status_code == 200


def test_scopes_are_one_list_and_a_new_token_only_reads(db):
    # Adding an API area for partners is one member of TokenScope (e.g. scores:read).
    assert TokenScope.values == ["registry:read", "scores:read", "webhooks:manage"]
    # The one scope that writes is never given by default.
    token = token_issue(partner="Defaults", created_by=None)
    assert token.token.scopes == ["registry:read"]


# --- Throttling -------------------------------------------------------------------------------


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": None, "user": None, **rates},
    }


def test_each_token_is_throttled_on_its_own(settings, partner_token, db, fresh_rate_window):
    _rates(settings, partner="3/minute")
    client = with_token(partner_token.plaintext)
    assert [client.get("/api/v1/outcomes/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/outcomes/")
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "throttled" and 1 <= error["retry_after"] <= 60
    assert int(response.headers["Retry-After"]) == error["retry_after"]

    other = token_issue(partner="Another partner", created_by=None).plaintext
    assert with_token(other).get("/api/v1/outcomes/").status_code == 200


def test_people_are_throttled_per_person(settings, analyst, reviewer, fresh_rate_window):
    _rates(settings, user="2/minute")
    client = signed_in(analyst)
    assert [client.get("/api/v1/outcomes/").status_code for _ in range(3)] == [200, 200, 429]
    assert signed_in(reviewer).get("/api/v1/outcomes/").status_code == 200


# --- The administrators' page -----------------------------------------------------------------


def browser(user) -> Client:
    """A browser signed in as ``user``: form posts, not JSON."""
    client = Client()
    login_verified(client, user)
    return client


def test_an_administrator_issues_a_token_and_sees_it_once(administrator, db):
    client = browser(administrator)
    page = client.get("/accounts/tokens/new/")
    assert page.status_code == 200
    assert b'value="registry:read"' in page.content and b"checked" in page.content
    expires_on = (timezone.now() + timedelta(days=30)).date()
    response = client.post(
        "/accounts/tokens/new/",
        {"partner": "UNDP data portal", "scopes": ["registry:read"], "expires_on": expires_on},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    plaintext = re.search(rb'value="(sd_[0-9a-f]{8}\.[\w-]{40})"', response.content)[1].decode()
    token = PartnerToken.objects.get()
    assert token.created_by == administrator
    assert token.expires_at.date() == expires_on
    assert token.history.get().history_user == administrator

    listing = client.get("/accounts/tokens/").content.decode()
    assert token.prefix in listing and "UNDP data portal" in listing
    assert '<span class="muted">never</span>' in listing  # not used yet
    assert plaintext.split(".")[1] not in listing  # the secret is never shown again

    assert with_token(plaintext).get("/api/v1/outcomes/").status_code == 200
    listing = client.get("/accounts/tokens/").content.decode()
    assert '<span class="muted">never</span>' not in listing  # last used: just now


def test_an_administrator_revokes_a_token(administrator, partner_token):
    client = browser(administrator)
    url = f"/accounts/tokens/{partner_token.token.pk}/revoke/"
    assert b"Revoke token" in client.get(url).content
    response = client.post(url, follow=True)
    assert b"is revoked" in response.content
    assert with_token(partner_token.plaintext).get("/api/v1/outcomes/").status_code == 401
    response = client.post(url, follow=True)
    assert b"already revoked" in response.content
    assert partner_token.token.history.latest().history_user == administrator


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"partner": "", "scopes": ["registry:read"]}, "partner", "This field is required."),
        ({"partner": "P"}, "scopes", "Choose at least one scope."),
        ({"partner": "P", "scopes": ["registry:write"]}, "scopes", "Select a valid choice."),
        ({"partner": "P", "scopes": ["registry:read"], "expires_on": "today"}, "expires_on",
         "Choose a date in the future"),
        ({"partner": "P", "scopes": ["registry:read"], "expires_on": "far"}, "expires_on",
         "Choose a date no later than"),
    ],
)  # fmt: skip
def test_the_issue_form_says_which_field_is_wrong(administrator, data, field, message):
    data = dict(data)
    today = timezone.now().date()
    data["expires_on"] = {"today": today, "far": today + timedelta(days=800)}.get(
        data.get("expires_on"), today + timedelta(days=10)
    )
    response = browser(administrator).post("/accounts/tokens/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert not PartnerToken.objects.exists()


def test_tokens_are_read_only_in_the_admin(db, rf):
    from tests.accounts.factories import UserFactory

    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    request = rf.get("/")
    request.user = superuser
    model_admin = admin_site._registry[PartnerToken]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert "secret_hash" in model_admin.exclude
    client = browser(superuser)
    token_issue(partner="P", created_by=superuser)
    assert client.get("/admin/accounts/partnertoken/").status_code == 200
    assert client.get("/admin/accounts/restrictedreadlog/").status_code == 200


def test_a_token_is_read_from_the_cache_and_dropped_from_it_when_revoked(
    partner_token, django_assert_num_queries, db
):
    from django.core.cache import cache

    from accounts.selectors import token_get_by_prefix

    cache.clear()
    prefix = partner_token.token.prefix
    with django_assert_num_queries(1):
        token = token_get_by_prefix(prefix=prefix)
    with django_assert_num_queries(0):
        assert token_get_by_prefix(prefix=prefix).pk == token.pk
    client = with_token(partner_token.plaintext)
    assert client.get("/api/v1/stakeholders/").status_code == 200
    token_revoke(token=token, revoked_by=None)
    # The revocation is seen on the very next request, not when the cached copy expires.
    assert client.get("/api/v1/stakeholders/").status_code == 401


def test_without_a_shared_cache_tokens_are_read_from_the_database_every_time(
    partner_token, django_assert_num_queries, settings
):
    from accounts.selectors import token_get_by_prefix

    settings.PARTNER_TOKEN_CACHE_SECONDS = 0  # per-process cache: another process may revoke
    for _ in range(2):
        with django_assert_num_queries(1):
            token_get_by_prefix(prefix=partner_token.token.prefix)


@pytest.mark.services
def test_tokens_are_throttled_on_redis_in_one_counter_per_window(
    settings, partner_token, fresh_rate_window
):
    """As production runs it: the counter is a Redis integer, created with its window's expiry."""
    url = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/13"
    prefix = f"throttle-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "smartdiplomacy.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    _rates(settings, partner="3/minute")
    client = with_token(partner_token.plaintext)
    redis = Redis.from_url(url)

    def calls(command):
        return redis.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)

    exists, incr = calls("exists"), calls("incrby")
    assert [client.get("/api/v1/outcomes/").status_code for _ in range(4)] == [200] * 3 + [429]
    # One INCRBY per request, none of the EXISTS with which Django's add-then-incr would count.
    assert (calls("exists") - exists, calls("incrby") - incr) == (0, 4)
    (key,) = redis.keys(f"{prefix}:*throttle_partner*")
    assert int(redis.get(key)) == 4
    assert 0 < redis.ttl(key) <= 61
    assert (
        with_token(token_issue(partner="Other", created_by=None).plaintext)
        .get("/api/v1/outcomes/")
        .status_code
        == 200
    )
    redis.delete(*redis.keys(f"{prefix}:*"))


def _changed_by_another_process(token, **fields) -> None:
    """What a save of ``token`` in another process does here: the row changes, the shared copy
    goes and the tokens' revision moves (accounts.signals), but this process's own copy is not
    dropped, since the signal ran elsewhere."""
    from django.core.cache import cache

    from accounts.selectors import TOKEN_REVISION_KEY, token_cache_key

    PartnerToken.objects.filter(pk=token.pk).update(**fields)
    cache.delete(token_cache_key(token.prefix))
    cache.set(TOKEN_REVISION_KEY, uuid.uuid4().hex, None)


@pytest.mark.parametrize("partner_rate", ["1000/hour", None])
def test_a_token_kept_by_this_process_is_refused_once_another_process_revokes_it(
    partner_token, settings, partner_rate, django_assert_num_queries
):
    """Each process keeps the tokens it reads (issue 22); the revision read with the throttle's
    counter (or alone, with no partner rate set) makes a revocation elsewhere count at once."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "partner": partner_rate,
        },
    }
    client = with_token(partner_token.plaintext)
    assert client.get("/api/v1/stakeholders/").status_code == 200
    with django_assert_num_queries(1):  # the page; the token is this process's copy
        assert client.get("/api/v1/stakeholders/").status_code == 200
    _changed_by_another_process(partner_token.token, revoked_at=timezone.now())
    response = client.get("/api/v1/stakeholders/")
    assert response.status_code == 401
    assert error_of(response)["message"] == "This token was revoked."


def test_scopes_taken_away_by_another_process_are_checked_again(db):
    issued = token_issue(partner="P", created_by=None, scopes=["registry:read", "scores:read"])
    client = with_token(issued.plaintext)
    assert client.get("/api/v1/scores/").status_code == 200
    _changed_by_another_process(issued.token, scopes=["registry:read"])
    response = client.get("/api/v1/scores/")
    assert response.status_code == 403
    assert error_of(response)["message"] == "This token lacks the scope scores:read."
    assert client.get("/api/v1/stakeholders/").status_code == 200


def test_every_api_view_finishes_a_kept_tokens_authentication():
    """The check of a kept token's revision lives in PartnerTokenThrottle: a view without it
    would accept a token revoked in another process until the copy expires."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from rest_framework.views import APIView

    from smartdiplomacy.api.throttling import PartnerTokenThrottle

    def views(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                if view is not None and issubclass(view, APIView):
                    yield prefix + str(pattern.pattern), view

    found = dict(views(get_resolver().url_patterns))
    assert len(found) > 20
    without = [
        path
        for path, view in found.items()
        if not any(isinstance(each, PartnerTokenThrottle) for each in view().get_throttles())
    ]
    assert without == []
