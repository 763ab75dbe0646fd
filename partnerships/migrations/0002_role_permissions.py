"""Give the roles their permissions on the overlap job.

Everyone with a role reads candidates and runs; program officers and administrators also start
runs and dismiss (or restore) candidates.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    "partnerships.view_overlaprun",
    "partnerships.view_candidate",
    "partnerships.view_candidatedismissal",
]
ACT = [
    "partnerships.add_overlaprun",
    "partnerships.add_candidatedismissal",
    "partnerships.delete_candidatedismissal",
]
ROLE_PERMISSIONS = {
    "analyst": READ,
    "reviewer": READ,
    "program officer": READ + ACT,
    "administrator": READ + ACT,
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("partnerships")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *[
                Permission.objects.get(content_type__app_label="partnerships", codename=code.split(".")[1])
                for code in codes
            ]
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    codenames = {code.split(".")[1] for codes in ROLE_PERMISSIONS.values() for code in codes}
    permissions = Permission.objects.filter(
        content_type__app_label="partnerships", codename__in=codenames
    )
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0001_overlap_engine"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
