"""The one job model: every background run is a row (see the package's docstring)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class JobKind(models.TextChoices):
    OVERLAP = "overlap", "Overlap run"
    RESCORE = "rescore", "Rescoring"
    REGISTRY_IMPORT = "registry_import", "Registry import"
    IATI_IMPORT = "iati_import", "IATI import"
    THREEW_IMPORT = "threew_import", "3W import"
    GRAPH_REFRESH = "graph_refresh", "Graph refresh"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(models.Model):
    """One background run: what kind, how far, how long, how it ended and who started it.

    ``detail_key`` is the domain row's key (an overlap run's id, an IATI import's token): the
    domain row keeps its parameters and counts, this row the run's life. Written only by
    ``smartdiplomacy.jobs.services``.
    """

    Kind = JobKind
    Status = JobStatus
    # Set for showing by ``presentation.jobs_annotate`` (not columns).
    kind_label: str
    detail_url: str | None
    can_cancel: bool

    kind = models.CharField(max_length=20, choices=JobKind.choices)
    detail_key = models.CharField(max_length=64, help_text="The domain row's id (or token).")
    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    phase = models.CharField(max_length=100, blank=True, help_text="What the job is doing now.")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty while the job does not know how much there is."
    )
    error = models.TextField(blank=True)
    task_id = models.CharField(
        max_length=255,
        blank=True,
        help_text="The Celery task last sent for it: revoked when the job is cancelled.",
    )
    restricted = models.BooleanField(
        default=False,
        help_text="Its subject is a restricted actor, or a hidden change set it off: cleared "
        "people only.",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "detail_key"], name="jobs_job_kind_detail"),
            models.CheckConstraint(
                condition=Q(progress_total__isnull=True)
                | Q(progress_done__lte=F("progress_total")),
                name="jobs_job_done_within_total",
            ),
        ]
        indexes = [models.Index(fields=["kind", "-created_at"], name="jobs_job_kind_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.detail_key} ({self.get_status_display().lower()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int | None:
        """Progress in percent, or None while the total is unknown (a finished job: 100)."""
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def total_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
