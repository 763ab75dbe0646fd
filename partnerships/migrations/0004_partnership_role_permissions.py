"""Give the roles their permissions on partnerships.

Everyone with a role reads partnerships; program officers propose and edit (their own — the
workflow services check ownership); reviewers review; administrators may do everything.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    "view_partnership",
    "view_partnershipmember",
    "view_partnershipevent",
]
PROPOSE = ["add_partnership", "change_partnership"]
REVIEW = ["review_partnership"]
ROLE_PERMISSIONS = {
    "analyst": READ,
    "reviewer": READ + REVIEW,
    "program officer": READ + PROPOSE,
    "administrator": READ + PROPOSE + REVIEW + ["delete_partnership"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("partnerships")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="partnerships", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    codenames = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    permissions = Permission.objects.filter(
        content_type__app_label="partnerships", codename__in=codenames
    )
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0003_partnerships"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
