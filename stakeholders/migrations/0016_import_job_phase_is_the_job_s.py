"""What a registry import is doing now (checking, writing…) is its job's phase alone
(``smartdiplomacy.jobs.Job.phase``, which its page and /jobs/ read): the import's own copy goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0015_import_job_cancelled"),
    ]

    operations = [
        migrations.RemoveField(model_name="importjob", name="phase"),
    ]
