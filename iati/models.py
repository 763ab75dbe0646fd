from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from stakeholders.choices import Kind


class IatiActivity(models.Model):
    """The last imported version of one IATI activity, as read (see the iati app).

    Written only by ``iati.importing.iati_import``: a re-import of the same version
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


# --- imports in batches (``iati.importing``): a run and its staging tables ----------------------
# Never read by a page or API: the importer's working memory, kept in the database so that memory
# is bounded by a batch and a job split into one task per file can resume after a killed worker.
# A run's staging rows are deleted when it finishes.


class IatiImportRun(models.Model):
    """One import of one or more files, in one or several tasks (``iati.importing``)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validation = models.CharField(max_length=10, default="report")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    # The run's cumulative ImportReport (``ImportReport.as_json``), saved with each file.
    report = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"IATI import {self.token}"


class IatiImportFile(models.Model):
    """One file of a run; done in one transaction, skipped by digest when the run resumes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Imported"
        SKIPPED = "skipped", "Same content as a file already imported in this run"

    run = models.ForeignKey(IatiImportRun, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    path = models.CharField(max_length=1000)
    digest = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    activities = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="iati_file_run_position")
        ]

    def __str__(self) -> str:
        return self.path


class IatiStagedOrg(models.Model):
    """One organisation as a run sees it across its files (the old collector's ``_Org``)."""

    run = models.ForeignKey(IatiImportRun, on_delete=models.CASCADE, related_name="+")
    ref = models.TextField(blank=True)
    name_key = models.TextField(blank=True)
    # The first organisation of the run with this name key: the one an unreferenced name joins.
    name_owner = models.BooleanField(default=False)
    name = models.TextField(blank=True)
    type = models.CharField(max_length=50, blank=True)
    roles = models.JSONField(default=list)
    activity_count = models.PositiveIntegerField(default=0)
    stakeholder_id = models.BigIntegerField(null=True)
    created_here = models.BooleanField(default=False)
    # Where the run first read it ("IATI activity X of publisher Y"): a new stakeholder's source.
    source = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["run", "ref"], name="iati_staged_org_ref"),
            models.Index(fields=["run", "name_key"], name="iati_staged_org_name"),
        ]

    def __str__(self) -> str:
        return self.ref or self.name


class IatiStagedPublisher(models.Model):
    """A publisher (reporting organisation's ref) whose activities name a staged organisation:
    what a publisher's kind override needs. A row per pair, added once (``ON CONFLICT DO
    NOTHING``): a list on the organisation, rewritten with every batch, grew with the publishers
    of the run (thousands for an organisation the whole registry names) in time and memory."""

    run = models.ForeignKey(IatiImportRun, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(IatiStagedOrg, on_delete=models.CASCADE, related_name="+")
    publisher = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "publisher"], name="iati_staged_publisher")
        ]

    def __str__(self) -> str:
        return f"{self.org_id} ← {self.publisher}"


class IatiStagedPair(models.Model):
    """One batch's aggregates of one organisation × outcome key: activities, strongest role,
    budget. Appended, a row per batch (never updated): an upsert per batch into a table growing
    with the run cost more per batch the larger the run (its unique index past the server's
    buffers). The run's end reads them sorted and adds a pair's batches up (``stakes``)."""

    run = models.ForeignKey(IatiImportRun, on_delete=models.CASCADE, related_name="+")
    # No index: rows are read only by the run's end, one sorted pass over the run's. No
    # constraint either: its check of each staged organisation deleted at the run's end
    # (deferred to the COMMIT) found no index and scanned the pairs once per organisation (55 s
    # and more at 200,000 activities); the importer deletes the pairs first.
    org = models.ForeignKey(
        IatiStagedOrg,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    sector = models.CharField(max_length=20)
    country = models.CharField(max_length=10)
    count = models.PositiveIntegerField(default=0)
    influence = models.FloatField(default=0.0)
    budget = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.org_id} × {self.sector}/{self.country}"


class IatiStagedOutcome(models.Model):
    """An outcome key a run wrote (or found), with the budgets of its activities."""

    run = models.ForeignKey(IatiImportRun, on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(max_length=20)
    country = models.CharField(max_length=10)
    outcome_id = models.BigIntegerField(null=True)  # none until an organisation works on it
    budget = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "sector", "country"], name="iati_staged_outcome_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sector}/{self.country}"


class IatiStagedIdentifier(models.Model):
    """An iati-identifier a run has used: the same one again in the run is skipped."""

    run = models.ForeignKey(IatiImportRun, on_delete=models.CASCADE, related_name="+")
    identifier = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "identifier"], name="iati_staged_identifier")
        ]

    def __str__(self) -> str:
        return self.identifier
