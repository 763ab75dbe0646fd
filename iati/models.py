from django.db import models


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
