"""Give the roles their permissions on interactions, follow-ups and owners.

Everyone with a role reads them; program officers log interactions, add and close follow-ups and
assign owners; administrators may also delete.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view_interaction", "view_followup", "view_stakeholderowner"]
WRITE = [
    "add_interaction",
    "change_interaction",
    "add_followup",
    "change_followup",
    "add_stakeholderowner",
    "change_stakeholderowner",
]
DELETE = ["delete_interaction", "delete_followup", "delete_stakeholderowner"]
ROLE_PERMISSIONS = {
    "analyst": READ,
    "reviewer": READ,
    "program officer": READ + WRITE,
    "administrator": READ + WRITE + DELETE,
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("relationships")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="relationships", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    codenames = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    permissions = Permission.objects.filter(
        content_type__app_label="relationships", codename__in=codenames
    )
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("relationships", "0001_interactions_owners_follow_ups"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
