"""IatiActivity moves here from stakeholders with its table (``stakeholders_iatiactivity``), its
rows, its content type and so its permissions: only Django's idea of which app owns it changes.
"""

from django.db import migrations, models


def content_type_move(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.filter(app_label="stakeholders", model="iatiactivity")
    if ContentType.objects.filter(app_label="iati", model="iatiactivity").exists():
        old.delete()
    else:
        old.update(app_label="iati")


def content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="iati", model="iatiactivity").update(
        app_label="stakeholders"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("stakeholders", "0004_archived_records_and_identifiers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IatiActivity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("iati_identifier", models.CharField(max_length=255, unique=True)),
                        (
                            "last_updated",
                            models.DateTimeField(
                                blank=True,
                                help_text="The activity's last-updated-datetime, when published.",
                                null=True,
                            ),
                        ),
                        (
                            "digest",
                            models.CharField(
                                help_text="SHA-256 of the payload, to spot changes.", max_length=64
                            ),
                        ),
                        (
                            "payload",
                            models.JSONField(
                                help_text="The activity as parsed (iati.parser)."
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                blank=True, help_text="The file it came from.", max_length=255
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "IATI activity",
                        "verbose_name_plural": "IATI activities",
                        "ordering": ["iati_identifier"],
                        "db_table": "stakeholders_iatiactivity",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_move, content_type_back),
    ]
