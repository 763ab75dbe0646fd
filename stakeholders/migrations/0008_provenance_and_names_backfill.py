"""Existing rows get their provenance and clean names: what the IATI and 3W imports made is
recognised by the texts they wrote (descriptions, stake and tie sources); imported names written
in capitals or cut short get a display name, the recorded one kept in ``recorded_name``."""

import re

from django.db import migrations
from django.db.models import F

from stakeholders.names import name_display, name_normalise, names_fullest

IATI_STAKE_SOURCE = "IATI activity data"
THREEW_PREFIX = "3W "
DAC_SECTOR = re.compile(r"OECD DAC sector (\d{5})")
THREEW_SOURCE = re.compile(r"^Imported from 3W data \((?P<source>.*), row (?P<row>\d+)")


def forwards(apps, schema_editor):
    Stakeholder = apps.get_model("stakeholders", "Stakeholder")
    Outcome = apps.get_model("stakeholders", "Outcome")
    Stake = apps.get_model("stakeholders", "Stake")
    Tie = apps.get_model("stakeholders", "Tie")
    Sector = apps.get_model("stakeholders", "Sector")

    imported = []
    for row in Stakeholder.objects.filter(
        description__regex=r"^Imported from (IATI activity data|3W data) \("
    ).only("id", "name", "acronym", "description"):
        if row.description.startswith("Imported from IATI"):
            row.origin, row.source = "iati", "IATI import"
        else:
            row.origin = "3w"
            match = THREEW_SOURCE.match(row.description)
            row.source = (
                f"3W {match.group('source')} row {match.group('row')}" if match else "3W import"
            )[:300]
        imported.append(row)
    fullest = names_fullest(row.name for row in imported)
    for row in imported:
        display, acronym = name_display(fullest.get(row.name, row.name))
        if display != row.name:
            row.recorded_name = row.name[:500]
            row.name = display[:300]
            row.normalised_name = name_normalise(row.name)[:300]
            if acronym and not row.acronym:
                row.acronym = acronym[:40]
    Stakeholder.objects.bulk_update(
        imported,
        ["origin", "source", "recorded_name", "name", "normalised_name", "acronym"],
        batch_size=1000,
    )

    sectors = dict(Sector.objects.values_list("code", "id"))
    outcomes = []
    for row in Outcome.objects.filter(
        description__regex=r"(as IATI activity data shows\.|Made by the 3W import\.)$"
    ).only("id", "description"):
        if row.description.endswith("Made by the 3W import."):
            row.origin, row.source = "3w", "3W import"
        else:
            row.origin, row.source = "iati", "IATI import"
            match = DAC_SECTOR.search(row.description)
            row.sector_id = sectors.get(match.group(1)) if match else None
        outcomes.append(row)
    Outcome.objects.bulk_update(outcomes, ["origin", "source", "sector"], batch_size=1000)

    Stake.objects.filter(source=IATI_STAKE_SOURCE).update(origin="iati")
    Stake.objects.filter(source__startswith=THREEW_PREFIX).update(origin="3w")
    Tie.objects.filter(source__startswith=THREEW_PREFIX).update(origin="3w")
    Stake.objects.filter(created_at__isnull=True).update(created_at=F("updated_at"))
    Tie.objects.filter(created_at__isnull=True).update(created_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("stakeholders", "0007_names_origins_provenance")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
