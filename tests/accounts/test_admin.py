"""No one but a superuser can hand out clearance or the powers that hand out powers, in the admin.

Acted as an administrator (the role, with staff status) who is not a superuser: through the user
and group admins they cannot make anyone — themselves included — a superuser or staff, give the
clearance permission directly or through a group (nor add it to a group), put anyone in a group
that carries such powers, or take over a more powerful account by changing its password."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.roles import CLEARANCE_PERMISSION, Role
from stakeholders.selectors import user_is_cleared
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def perm(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def admin_client(client, administrator):
    login_verified(client, administrator)
    return client


@pytest.fixture
def cleared_group():
    group = Group.objects.create(name="field team")
    group.permissions.add(perm(CLEARANCE_PERMISSION))
    return group


def change_form_data(client, user, **changes) -> dict:
    """What the admin's change form for ``user`` posts back as it is, with ``changes``."""
    response = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("groups", "user_permissions"):
            data[name] = [getattr(item, "pk", item) for item in (value or [])]
        elif name in ("last_login", "date_joined"):
            if value:
                data[f"{name}_0"], data[f"{name}_1"] = f"{value:%Y-%m-%d}", f"{value:%H:%M:%S}"
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None and name != "password":
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def post_change(client, user, **changes):
    data = change_form_data(client, user, **changes)
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_an_administrator_cannot_make_anyone_superuser_or_staff(admin_client, administrator):
    analyst = UserFactory(roles=[Role.ANALYST])
    for target in (analyst, administrator):
        post_change(admin_client, target, is_superuser="on", is_staff="on")
        target = fresh(target)
        assert not target.is_superuser
    assert not fresh(analyst).is_staff


def test_an_administrator_cannot_grant_clearance_directly(admin_client, administrator):
    analyst = UserFactory(roles=[Role.ANALYST])
    clearance = perm(CLEARANCE_PERMISSION).pk
    for target in (analyst, administrator):
        post_change(admin_client, target, user_permissions=[clearance])
        target = fresh(target)
        assert not target.user_permissions.exists()
        assert not target.has_perm(CLEARANCE_PERMISSION)


def test_an_administrator_cannot_grant_clearance_or_powers_through_a_group(
    admin_client, administrator, cleared_group
):
    analyst = UserFactory(roles=[Role.ANALYST])
    admin_role = Group.objects.get(name=Role.ADMINISTRATOR)
    analyst_role = Group.objects.get(name=Role.ANALYST)
    for group in (cleared_group, admin_role):
        response = post_change(admin_client, analyst, groups=[analyst_role.pk, group.pk])
        assert response.status_code == 200  # the form is shown again, naming the field
        assert "groups" in response.context["adminform"].form.errors
        assert set(fresh(analyst).groups.all()) == {analyst_role}
    post_change(admin_client, administrator, groups=[admin_role.pk, cleared_group.pk])
    assert not user_is_cleared(fresh(administrator))
    # The groups offered are the ones that carry no such power.
    response = admin_client.get(reverse("admin:accounts_user_change", args=[analyst.pk]))
    offered = set(response.context["adminform"].form.fields["groups"].queryset)
    assert analyst_role in offered and cleared_group not in offered and admin_role not in offered


def test_an_administrator_still_manages_ordinary_accounts(admin_client):
    analyst = UserFactory(roles=[Role.ANALYST])
    reviewer_role = Group.objects.get(name=Role.REVIEWER)
    response = post_change(admin_client, analyst, groups=[reviewer_role.pk], first_name="Amina")
    assert response.status_code == 302
    analyst = fresh(analyst)
    assert analyst.first_name == "Amina"
    assert set(analyst.groups.all()) == {reviewer_role}


def test_an_administrator_cannot_take_over_a_more_powerful_account(admin_client, cleared_group):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    cleared = UserFactory(roles=[Role.ANALYST], cleared=True)
    for target in (superuser, cleared):
        password_url = reverse("admin:auth_user_password_change", args=[target.pk])
        response = admin_client.post(
            password_url, {"password1": "taken-over-2026", "password2": "taken-over-2026"}
        )
        assert response.status_code == 403
        assert not fresh(target).check_password("taken-over-2026")
        before = fresh(target).first_name
        response = post_change(admin_client, target, first_name="Mallory")
        assert response.status_code == 403
        assert fresh(target).first_name == before


def test_a_group_editor_cannot_add_clearance_or_powers_to_a_group(client, cleared_group):
    editor = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
    editor.user_permissions.add(perm("auth.change_group"), perm("auth.add_group"))
    login_verified(client, editor)
    analyst_role = Group.objects.get(name=Role.ANALYST)
    before = set(analyst_role.permissions.all())
    for power in (CLEARANCE_PERMISSION, "accounts.change_user", "auth.change_group"):
        response = client.post(
            reverse("admin:auth_group_change", args=[analyst_role.pk]),
            {"name": analyst_role.name, "permissions": [p.pk for p in before] + [perm(power).pk]},
        )
        assert response.status_code == 200
        assert "permissions" in response.context["adminform"].form.errors
        assert set(analyst_role.permissions.all()) == before
        response = client.post(
            reverse("admin:auth_group_add"),
            {"name": f"new {power}", "permissions": [perm(power).pk]},
        )
        assert not Group.objects.filter(name=f"new {power}").exists()
    # A group that already carries clearance cannot be changed by them at all.
    response = client.post(
        reverse("admin:auth_group_change", args=[cleared_group.pk]),
        {"name": "renamed", "permissions": [perm(CLEARANCE_PERMISSION).pk]},
    )
    assert response.status_code == 403


def test_a_superuser_still_grants_everything(client, cleared_group):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    login_verified(client, superuser)
    analyst = UserFactory(roles=[Role.ANALYST])
    admin_role = Group.objects.get(name=Role.ADMINISTRATOR)
    response = post_change(
        client,
        analyst,
        is_staff="on",
        groups=[admin_role.pk, cleared_group.pk],
        user_permissions=[perm(CLEARANCE_PERMISSION).pk],
    )
    assert response.status_code == 302
    analyst = fresh(analyst)
    assert analyst.is_staff and analyst.has_perm(CLEARANCE_PERMISSION)
