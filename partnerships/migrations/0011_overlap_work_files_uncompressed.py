"""A run's snapshot and chunk results are stored uncompressed (PostgreSQL ``STORAGE EXTERNAL``).

They are NumPy arrays that PostgreSQL's own compression (pglz) squeezes little and slowly: storing
a chunk's 85 MB result took 18.2 s compressed and 9.7 s not, at load 12 (issue 22). They live
only while their run does, so the disk they take is brief. Other databases: nothing to do.
"""

from django.db import migrations

COLUMNS = (("partnerships_overlapchunk", "result"), ("partnerships_overlapsnapshot", "data"))


def storage(kind):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in COLUMNS:
            schema_editor.execute(
                f"ALTER TABLE {schema_editor.quote_name(table)} "
                f"ALTER COLUMN {schema_editor.quote_name(column)} SET STORAGE {kind}"
            )

    return alter


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0010_candidate_kind_affinity_shared_partners")]

    operations = [migrations.RunPython(storage("EXTERNAL"), storage("EXTENDED"))]
