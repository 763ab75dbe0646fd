"""Vocabularies of the overlap job."""

from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class RunPhase(models.TextChoices):
    WAITING = "waiting", "Waiting for a worker"
    LOAD = "load", "Reading the registry"
    COMPUTE = "compute", "Comparing stakeholders"
    WRITE = "write", "Writing candidates"
    DONE = "done", "Done"


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "Started from the Runs page"
    API = "api", "Started through the API"
    SCHEDULE = "schedule", "Nightly schedule"
    CHANGES = "changes", "Many stakes changed at once"


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"


class PartnershipStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    UNDER_REVIEW = "under_review", "Under review"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    CONCLUDED = "concluded", "Concluded"
    DECLINED = "declined", "Declined"
    SENT_BACK = "sent_back", "Sent back"


class MemberRole(models.TextChoices):
    LEAD = "lead", "Lead"
    FUNDER = "funder", "Funder"
    IMPLEMENTER = "implementer", "Implementer"
    CONVENER = "convener", "Convener"
    TECHNICAL = "technical", "Technical partner"
    COMMUNITY = "community", "Community partner"
    OTHER = "other", "Other"


# ``Candidate.audiences`` values each audience reads: the pairs chosen for it (bit flags of
# ``partnerships.overlap.parameters``: 1 public, 2 cleared, 3 both).
AUDIENCE_FLAGS = {"public": (1, 3), "cleared": (2, 3)}
