"""IatiActivity now belongs to the iati app (iati 0001 took it over with its table): forget it
here without dropping anything."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0004_archived_records_and_identifiers"),
        ("index", "0008_iati_activity_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IatiActivity")],
            database_operations=[],
        ),
    ]
