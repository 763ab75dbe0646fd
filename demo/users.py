"""The demo users: one per role, cleared or not (demo/data/users.yaml)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import CLEARANCE_PERMISSION, Role

from .vocabulary import data_file

DEMO_PASSWORD = "demo-pass-2026"
DEMO_ORGANISATION = "Smart Diplomacy demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    cleared: bool
    superuser: bool = False


DEMO_USERS = tuple(
    DemoUser(
        row["username"],
        row["first_name"],
        row["last_name"],
        Role(row["role"]),
        cleared=row["cleared"],
        superuser=row.get("superuser", False),
    )
    for row in data_file("users.yaml")["users"]
)


@transaction.atomic
def demo_users_ensure() -> list[dict]:
    """Create or fix the demo users: one per role, cleared or not as DEMO_USERS says.

    The password is set only when a user is created, so a second run changes nothing (a new hash
    would differ on every run) and a password changed since is kept.
    """
    User = get_user_model()
    app_label, codename = CLEARANCE_PERMISSION.split(".")
    clearance = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    rows = []
    for spec in DEMO_USERS:
        group = Group.objects.get(name=spec.role)
        user = User.objects.filter(username=spec.username).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                username=spec.username,
                email=f"{spec.username}@demo.smartdiplomacy.example",
                password=DEMO_PASSWORD,
            )
        wanted = {
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "email": f"{spec.username}@demo.smartdiplomacy.example",
            "organisation": DEMO_ORGANISATION,
            "is_active": True,
            "is_staff": spec.superuser or spec.role == Role.ADMINISTRATOR,
            "is_superuser": spec.superuser,
        }
        changed = [name for name, value in wanted.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, wanted[name])
        if changed:
            user.save(update_fields=changed)
        if set(user.groups.all()) != {group}:
            user.groups.set([group])
        has_clearance = user.user_permissions.filter(pk=clearance.pk).exists()
        if spec.cleared and not has_clearance:
            user.user_permissions.add(clearance)
        elif not spec.cleared and has_clearance:
            user.user_permissions.remove(clearance)
        rows.append(
            {
                "username": spec.username,
                "name": f"{spec.first_name} {spec.last_name}",
                "role": Role(spec.role).label,
                "cleared": spec.cleared,
                "created": created,
            }
        )
    return rows
