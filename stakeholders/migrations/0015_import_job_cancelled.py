"""A registry import whose job was cancelled is *cancelled*, as its job: it read "failed" on its
own page and "cancelled" on /jobs/. Imports cancelled before keep their message ("Cancelled by
…: nothing was imported.") and turn cancelled; going back turns them failed again."""

from django.db import migrations, models


def cancelled_imports(apps, status_from, status_to):
    ImportJob = apps.get_model("stakeholders", "ImportJob")
    Job = apps.get_model("jobs", "Job")
    cancelled = Job.objects.filter(kind="registry_import", status="cancelled").values_list(
        "detail_key", flat=True
    )
    ids = [int(key) for key in cancelled.iterator() if key.isdigit()]
    for start in range(0, len(ids), 2000):
        ImportJob.objects.filter(pk__in=ids[start : start + 2000], status=status_from).update(
            status=status_to
        )


def forwards(apps, schema_editor):
    cancelled_imports(apps, "failed", "cancelled")


def backwards(apps, schema_editor):
    cancelled_imports(apps, "cancelled", "failed")


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0014_left_stakes_decision"),
        ("jobs", "0003_job_task_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("uploaded", "Uploaded"),
                    ("validating", "Checking"),
                    ("validated", "Ready to import"),
                    ("invalid", "Has errors"),
                    ("importing", "Importing"),
                    ("done", "Imported"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                db_index=True,
                default="uploaded",
                max_length=12,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
