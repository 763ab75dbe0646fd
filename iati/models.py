from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from stakeholders.choices import Kind


class IatiActivity(models.Model):
    """The last imported version of one IATI activity, as read (see the iati app).

    Written only by ``iati.services.iati_import``: a re-import of the same version
    (same digest) changes nothing, a newer one replaces it. The index's engagements will link here.
    """

    iati_identifier = models.CharField(max_length=255, unique=True)
    last_updated = models.DateTimeField(
        null=True, blank=True, help_text="The activity's last-updated-datetime, when published."
    )
    digest = models.CharField(max_length=64, help_text="SHA-256 of the payload, to spot changes.")
    payload = models.JSONField(help_text="The activity as parsed (iati.parser).")
    source = models.CharField(max_length=255, blank=True, help_text="The file it came from.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table kept its name when the model moved here from stakeholders (migration 0001).
        db_table = "stakeholders_iatiactivity"
        ordering = ["iati_identifier"]
        verbose_name = "IATI activity"
        verbose_name_plural = "IATI activities"

    def __str__(self) -> str:
        return self.iati_identifier


class KindOverride(models.Model):
    """An officer's correction of the organisation type → kind mapping (``mapping``), kept
    across re-imports: for one organisation (its IATI ref), or for one organisation type in one
    publisher's activities (the reporting-org ref). Written only by ``iati.kind_services``.

    Not unique on purpose: someone not cleared never learns, from a refused duplicate, that a
    cleared person corrected a hidden organisation's kind; the latest change wins on import.
    """

    class Scope(models.TextChoices):
        ORGANISATION = "organisation", "One organisation (its IATI ref)"
        PUBLISHER = "publisher", "An organisation type in one publisher's activities"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    ref = models.CharField(
        max_length=200, help_text="The organisation's IATI ref, or the publisher's (reporting-org)."
    )
    org_type = models.CharField(
        max_length=10,
        blank=True,
        help_text="Publisher scope: the IATI organisation type code it corrects (e.g. 21).",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True, help_text="Why (shown on the page).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scope", "ref", "org_type", "-updated_at"]
        indexes = [models.Index(fields=["scope", "ref"])]

    def __str__(self) -> str:
        where = (
            self.ref
            if self.scope == self.Scope.ORGANISATION
            else f"{self.ref}, type {self.org_type}"
        )
        return f"{where} → {self.get_kind_display()}"
