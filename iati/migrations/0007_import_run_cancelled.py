"""An IATI folder import whose job was cancelled is *cancelled*, as its job: it read "failed".
Runs cancelled before keep their message and turn cancelled; going back turns them failed."""

from django.db import migrations, models


def cancelled_runs(apps, status_from, status_to):
    IatiImportRun = apps.get_model("iati", "IatiImportRun")
    Job = apps.get_model("jobs", "Job")
    tokens = list(
        Job.objects.filter(kind="iati_import", status="cancelled").values_list(
            "detail_key", flat=True
        )
    )
    for start in range(0, len(tokens), 2000):
        IatiImportRun.objects.filter(
            token__in=tokens[start : start + 2000], status=status_from
        ).update(status=status_to)


def forwards(apps, schema_editor):
    cancelled_runs(apps, "failed", "cancelled")


def backwards(apps, schema_editor):
    cancelled_runs(apps, "cancelled", "failed")


class Migration(migrations.Migration):
    dependencies = [
        ("iati", "0006_staged_pairs_appended"),
        ("jobs", "0003_job_task_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="iatiimportrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                default="running",
                max_length=10,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
