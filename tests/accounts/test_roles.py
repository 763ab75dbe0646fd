import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import CLEARANCE_PERMISSION, Role, user_has_role

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.parametrize(
    ("role", "can_change", "can_view"),
    [
        ("analyst", False, True),
        ("reviewer", False, True),
        ("program officer", True, True),
        ("administrator", True, True),
    ],
)
def test_role_permissions(role, can_change, can_view):
    from tests.accounts.factories import UserFactory

    user = UserFactory(roles=[role])
    assert user.has_perm("stakeholders.view_stakeholder") is can_view
    assert user.has_perm("stakeholders.change_stake") is can_change
    assert user.has_perm("stakeholders.add_tie") is can_change
    assert user_has_role(user, role)


def test_no_role_carries_clearance():
    app_label, codename = CLEARANCE_PERMISSION.split(".")
    assert not Group.objects.filter(
        permissions__codename=codename, permissions__content_type__app_label=app_label
    ).exists()


def test_only_administrators_manage_users(analyst, administrator):
    assert administrator.has_perm("accounts.change_user")
    assert not analyst.has_perm("accounts.change_user")


def test_login_and_logout(client, analyst):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    assert b"Log in" in page.content

    bad = client.post(
        reverse("accounts:login"), {"username": "analyst", "password": "wrong"}, follow=True
    )
    assert b"Please enter a correct username and password" in bad.content

    response = client.post(
        reverse("accounts:login"), {"username": "analyst", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302
