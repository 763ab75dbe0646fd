"""Create the four roles as groups with their permissions.

Clearance (``stakeholders.view_restricted_stakeholder``) is deliberately in no role: it is given to
people one by one. Later apps add their own permissions to these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REGISTRY_MODELS = ["sector", "stakeholder", "externalidentifier", "outcome", "stake", "tie"]

READ = [f"stakeholders.view_{model}" for model in REGISTRY_MODELS]
WRITE = [
    f"stakeholders.{action}_{model}"
    for model in REGISTRY_MODELS
    for action in ("add", "change", "delete")
]

ROLE_PERMISSIONS = {
    "analyst": READ,
    "program officer": READ + WRITE,
    "reviewer": READ,
    "administrator": READ
    + WRITE
    + [
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "ops.view_workerheartbeat",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("stakeholders", "0001_initial"),
        ("ops", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
