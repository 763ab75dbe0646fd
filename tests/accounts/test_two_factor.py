"""Two-factor authentication for those cleared for restricted actors and for administrators.

A password alone does not make a cleared person cleared: until this session has passed the second
factor (a TOTP code, or a recovery code that then stops working), every page sends them to it, the
API refuses their session, and nothing restricted reaches them. The admin's login asks for the
code too, and only a superuser resets someone's second factor.
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from stakeholders.choices import Sensitivity
from stakeholders.selectors import user_is_cleared
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
TWO_FACTOR = "/accounts/two-factor/"


@pytest.fixture
def hidden():
    StakeholderFactory(name="Open Aid Network")
    return StakeholderFactory(name="Quiet Women Mediators", sensitivity=Sensitivity.RESTRICTED)


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{value:06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = services.two_factor_enrol_start(user=user)
    return services.two_factor_enrol_confirm(user=user, code=code_for(device))


def password_login(client, user, next_url="/stakeholders/"):
    response = client.post(
        f"/accounts/login/?next={next_url}", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(user.pk)
    return response


def test_a_cleared_person_with_a_password_alone_sees_nothing_restricted(
    client, cleared_analyst, hidden
):
    enrolled(cleared_analyst)
    password_login(client, cleared_analyst)
    for url in ("/", "/stakeholders/", "/stakeholders/export.csv", "/graph/", "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{TWO_FACTOR}?next="), url
    for url in ("/api/v1/stakeholders/", "/api/v1/graph/", f"/api/v1/stakeholders/{hidden.pk}/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "two_factor_required"
        assert b"Quiet Women" not in response.content
    # Wherever the request's person is asked about, they are not cleared until verified.
    request_user = client.get(TWO_FACTOR).wsgi_request.user
    assert request_user.has_perm("stakeholders.view_restricted_stakeholder")
    assert not user_is_cleared(request_user)


def test_setting_up_shows_an_inline_qr_code_then_recovery_codes_once(
    client, cleared_analyst, hidden
):
    password_login(client, cleared_analyst)
    response = client.get(TWO_FACTOR, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/setup/")
    page = response.content.decode()
    assert "<svg" in page and "http" not in page.split("<svg")[1].split("</svg>")[0]
    assert "no-store" in response["Cache-Control"]
    device = TOTPDevice.objects.get(user=cleared_analyst, confirmed=False)

    wrong = client.post("/accounts/two-factor/setup/?next=/stakeholders/", {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    done = client.post(
        "/accounts/two-factor/setup/", {"code": code_for(device), "next": "/stakeholders/"}
    )
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert "Quiet Women Mediators" in client.get("/stakeholders/").content.decode()
    # Shown once: the set-up page now only says it is done.
    again = client.get("/accounts/two-factor/setup/", follow=True)
    assert not any(code in again.content.decode() for code in codes)


def test_a_totp_code_is_accepted_and_a_wrong_one_refused(client, cleared_analyst, hidden):
    device, _ = enrolled(cleared_analyst)
    password_login(client, cleared_analyst)
    wrong = client.post(TWO_FACTOR, {"code": "123456", "next": "/stakeholders/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert client.get("/stakeholders/").status_code == 302
    device.refresh_from_db()
    # A wrong code slows the device down (django-otp throttling): wait it out in the test.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    ok = client.post(TWO_FACTOR, {"code": code_for(device, offset=1), "next": "/stakeholders/"})
    assert ok.status_code == 302 and ok["Location"] == "/stakeholders/"
    assert "Quiet Women Mediators" in client.get("/stakeholders/").content.decode()
    response = client.get("/api/v1/stakeholders/?search=Quiet")
    assert response.status_code == 200 and "Quiet Women Mediators" in response.content.decode()


def test_a_recovery_code_works_once(cleared_analyst, hidden):
    _, codes = enrolled(cleared_analyst)
    first = Client()
    password_login(first, cleared_analyst)
    assert first.post(TWO_FACTOR, {"code": codes[0].upper()}).status_code == 302
    assert "Quiet Women Mediators" in first.get("/stakeholders/").content.decode()
    assert StaticToken.objects.filter(device__user=cleared_analyst).count() == 9

    second = Client()
    password_login(second, cleared_analyst)
    refused = second.post(TWO_FACTOR, {"code": codes[0]})
    assert refused.status_code == 400
    assert second.get("/stakeholders/").status_code == 302


def test_administrators_owe_it_too(client, administrator):
    enrolled(administrator)
    password_login(client, administrator, next_url="/accounts/tokens/")
    assert client.get("/accounts/tokens/")["Location"].startswith(TWO_FACTOR)


def test_people_who_need_no_second_factor_are_not_asked(client, analyst):
    password_login(client, analyst)
    assert client.get("/stakeholders/").status_code == 200


def test_the_admin_login_asks_for_the_code(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    device, _ = enrolled(root)
    # Signed in with a password elsewhere: the admin still asks for the code.
    password_login(client, root)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    admin_login = "/admin/login/?next=/admin/"
    without = client.post(admin_login, {"username": "root", "password": PASSWORD})
    assert without.status_code == 200
    assert "Enter the code" in without.content.decode() and SESSION_KEY in client.session
    assert client.get("/admin/").status_code == 302
    wrong = client.post(
        admin_login, {"username": "root", "password": PASSWORD, "otp_token": "000000"}
    )
    assert wrong.status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    ok = client.post(
        admin_login,
        {"username": "root", "password": PASSWORD, "otp_token": code_for(device, offset=1)},
    )
    assert ok.status_code == 302, ok.context["form"].errors
    assert client.get("/admin/").status_code == 200


def test_only_a_superuser_resets_a_second_factor(client, administrator, cleared_analyst):
    enrolled(cleared_analyst)
    login_verified(client, administrator)
    changelist = reverse("admin:accounts_user_changelist")
    actions = dict(client.get(changelist).context["action_form"].fields["action"].choices)
    assert "reset_two_factor" not in actions
    with pytest.raises(Exception, match="Only a superuser"):
        services.two_factor_reset(user=cleared_analyst, by=administrator)

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    superuser = Client()
    login_verified(superuser, root)
    superuser.post(
        changelist, {"action": "reset_two_factor", "_selected_action": [cleared_analyst.pk]}
    )
    assert not TOTPDevice.objects.filter(user=cleared_analyst).exists()
    assert not StaticDevice.objects.filter(user=cleared_analyst).exists()
    # At the next sign-in they set it up again.
    again = Client()
    password_login(again, cleared_analyst)
    assert again.get(TWO_FACTOR)["Location"].startswith("/accounts/two-factor/setup/")


def test_a_reset_ends_the_verified_sessions(client, cleared_analyst, hidden):
    enrolled(cleared_analyst)
    login_verified(client, cleared_analyst)
    assert "Quiet Women Mediators" in client.get("/stakeholders/").content.decode()
    services.two_factor_reset(user=cleared_analyst, by=UserFactory(is_superuser=True))
    assert client.get("/stakeholders/")["Location"].startswith(TWO_FACTOR)


def test_without_the_requirement_the_password_is_enough(client, cleared_analyst, hidden, settings):
    settings.TWO_FACTOR_REQUIRED = False
    password_login(client, cleared_analyst)
    assert "Quiet Women Mediators" in client.get("/stakeholders/").content.decode()


def test_the_demo_settings_leave_it_off_and_production_keeps_it_on(monkeypatch):
    import importlib

    from smartdiplomacy.settings import base, local

    monkeypatch.delenv("TWO_FACTOR_REQUIRED", raising=False)
    assert importlib.reload(local).TWO_FACTOR_REQUIRED is False
    assert importlib.reload(base).TWO_FACTOR_REQUIRED is True
    monkeypatch.setenv("TWO_FACTOR_REQUIRED", "1")
    assert importlib.reload(local).TWO_FACTOR_REQUIRED is True
