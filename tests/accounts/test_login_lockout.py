"""Sign-in throttling: after AXES_FAILURE_LIMIT failed sign-ins for one username from one address,
that username is locked out from that address for AXES_COOLOFF_TIME, on the app's login page and
the admin's alike, with a message saying when to try again. Administrators unlock people from the
user admin; partner tokens and signed-in sessions are not affected."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.roles import Role
from accounts.services import token_issue
from tests.accounts.factories import UserFactory
from tests.api.conftest import with_token
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def person():
    return UserFactory(username="amina", roles=[Role.ANALYST])


def fail(client, url, username, times, **extra):
    for _ in range(times):
        response = client.post(url, {"username": username, "password": "wrong"}, **extra)
        assert SESSION_KEY not in client.session
    return response


def test_the_limit_locks_the_username_from_that_address_and_says_when_to_retry(
    client, person, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    first = fail(client, LOGIN, "amina", 2)
    assert first.status_code == 200 and "locked" not in first.content.decode().lower()
    locked = fail(client, LOGIN, "amina", 1)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed sign-ins" in text and "15 minutes" in text and "UTC" in text
    assert int(locked["Retry-After"]) > 14 * 60
    # The right password does not get in while locked.
    again = client.post(LOGIN, {"username": "amina", "password": PASSWORD})
    assert again.status_code == 429 and SESSION_KEY not in client.session
    # Another address, or another username from this address, is not locked.
    other = client.post(
        LOGIN, {"username": "amina", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert other.status_code == 302


def test_the_admin_login_is_throttled_too(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="root", is_superuser=True, is_staff=True)
    locked = fail(client, ADMIN_LOGIN, "root", 2)
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()


def test_an_administrator_unlocks_a_person_from_the_user_admin(
    client, person, administrator, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    fail(client, LOGIN, "amina", 2)
    assert AccessAttempt.objects.filter(username="amina").exists()

    admin_client = type(client)()
    login_verified(admin_client, administrator)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [person.pk]},
        follow=True,
    )
    assert "amina can sign in again." in [str(m) for m in response.context["messages"]]
    assert not AccessAttempt.objects.filter(username="amina").exists()
    ok = client.post(LOGIN, {"username": "amina", "password": PASSWORD})
    assert ok.status_code == 302 and client.session[SESSION_KEY] == str(person.pk)


def test_partner_tokens_and_open_sessions_are_not_affected(client, person, settings):
    token = token_issue(partner="Portal", created_by=None)
    settings.AXES_FAILURE_LIMIT = 2
    signed_in = type(client)()
    login_verified(signed_in, person)
    fail(client, LOGIN, "amina", 3)
    assert with_token(token.plaintext).get("/api/v1/stakeholders/").status_code == 200
    assert signed_in.get("/api/v1/stakeholders/").status_code == 200
    assert signed_in.get("/").status_code == 200
