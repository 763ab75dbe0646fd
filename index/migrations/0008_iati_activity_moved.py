"""Engagement.iati_activity now points at iati.IatiActivity: the same table, so nothing in the
database changes (see iati 0001)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("index", "0007_webhook_description_one_line"),
        ("iati", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="engagement",
                    name="iati_activity",
                    field=models.OneToOneField(
                        blank=True,
                        help_text=(
                            "The IATI activity this engagement was imported from "
                            "(updated on re-import)."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="engagement",
                        to="iati.iatiactivity",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalengagement",
                    name="iati_activity",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text=(
                            "The IATI activity this engagement was imported from "
                            "(updated on re-import)."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="iati.iatiactivity",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
