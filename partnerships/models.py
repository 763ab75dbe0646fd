"""Runs of the overlap job and the candidate partnerships they compute (see DESIGN.md).

Readers only ever see the candidates of the *current* run (``OverlapRun.is_current``); a new run
writes its candidates beside the old ones and becomes current in one transaction, so a run that
fails or whose worker dies leaves the last good candidates in place.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from stakeholders.choices import Audience
from stakeholders.fields import CapabilitiesField
from stakeholders.models import Outcome, Stakeholder

from .choices import (
    ACTIVE_RUN_STATUSES,
    ChunkStatus,
    MemberRole,
    PartnershipStatus,
    RunPhase,
    RunStatus,
    RunTrigger,
)


class OverlapRun(models.Model):
    """One run of the overlap job: what it was asked, how far it got, what it wrote."""

    Status = RunStatus
    Phase = RunPhase
    Trigger = RunTrigger

    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    phase = models.CharField(max_length=10, choices=RunPhase.choices, default=RunPhase.WAITING)
    # True while queued or running; a partial unique index on it lets only one run be active.
    is_active = models.BooleanField(default=True, editable=False)
    # The run whose candidates everyone reads; at most one.
    is_current = models.BooleanField(default=False, editable=False)
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    parameters = models.JSONField(default=dict, help_text="Weights, K, minimum score, chunks.")
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    stakeholder_count = models.PositiveIntegerField(null=True, blank=True)
    stake_count = models.PositiveIntegerField(null=True, blank=True)
    candidate_count = models.PositiveIntegerField(null=True, blank=True)
    public_counts = models.JSONField(
        default=dict,
        help_text="Stakeholders, stakes and candidates of the public audience (what people not "
        "cleared may be told); the other counts include restricted actors.",
    )
    timings = models.JSONField(default=dict, help_text="Seconds spent in each phase.")
    statistics = models.JSONField(
        default=dict,
        editable=False,
        help_text="Registry-wide public figures as the run read them (ties and actors by kind, "
        "public holders of each outcome, public actors holding any): a refresh between runs "
        "scores one actor's pairs with these, so that it changes nothing but those pairs.",
    )
    message = models.TextField(blank=True, help_text="What a person should know about the result.")
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="overlap_runs",
    )
    snapshot_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the registry was read: later stake changes are refreshed after the run.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="partnerships_overlaprun_one_active",
                violation_error_message="Another overlap run is already queued or running.",
            ),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="partnerships_overlaprun_one_current",
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status__in=ACTIVE_RUN_STATUSES),
                name="partnerships_overlaprun_active_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Overlap run #{self.pk} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("partnerships:run_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        """Progress in percent: reading 0–10, comparing 10–80 (by chunk), writing 80–100."""
        if self.status == RunStatus.SUCCEEDED:
            return 100
        if self.phase == RunPhase.LOAD:
            return 5
        if self.phase == RunPhase.COMPUTE:
            share = self.chunks_done / self.chunks_total if self.chunks_total else 0
            return 10 + int(70 * share)
        if self.phase == RunPhase.WRITE:
            return 85
        return 0

    def counts_for(self, audience: str) -> dict:
        """Stakeholders read, stakes with interest and candidates written, as ``audience`` may be
        told them: the public audience's own counts, never the whole registry's."""
        if audience == Audience.CLEARED:
            return {
                "stakeholders": self.stakeholder_count,
                "stakes": self.stake_count,
                "candidates": self.candidate_count,
            }
        counts = self.public_counts or {}
        return {name: counts.get(name) for name in ("stakeholders", "stakes", "candidates")}

    @property
    def total_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class OverlapSnapshot(models.Model):
    """The registry as one run read it, as arrays, so that every chunk compares the same data.

    Kept in the database (not a local file) because chunks may run on other machines; deleted
    when the run ends.
    """

    run = models.OneToOneField(OverlapRun, on_delete=models.CASCADE, related_name="snapshot")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"Snapshot of overlap run #{self.run_id}"


class OverlapChunk(models.Model):
    """One slice of a run's rows, computed by one task; its result waits here for the finaliser."""

    run = models.ForeignKey(OverlapRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    row_start = models.PositiveIntegerField()
    row_end = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    result = models.BinaryField(null=True, blank=True)
    selected = models.PositiveIntegerField(default=0, help_text="Directed selections found.")
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="partnerships_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class OverlapStep(models.Model):
    """A step of a run a worker is executing now (reading, one chunk, writing), and when that
    worker last said it was alive: every ``OVERLAP_RUN_LEASE_SECONDS`` from a thread beside the
    work. Removed when the step ends; one left behind and silent means its worker died.

    Kept apart from the run's row, which a step locks while it writes.
    """

    run = models.ForeignKey(OverlapRun, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=40)
    worker = models.CharField(max_length=200, blank=True, help_text="host and process id")
    started_at = models.DateTimeField()
    alive_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="partnerships_step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.name}"


class Candidate(models.Model):
    """A computed candidate partnership between two stakeholders (``stakeholder_a.id < b.id``).

    The explanation is rebuilt from the stored components: the shared outcomes, the capabilities
    the shared outcomes need and what each actor brings of them.
    """

    # The job writes up to millions of rows in one COPY: foreign keys without database
    # constraints (checking three per row at commit would cost more than the write itself) and
    # only the indexes readers need. Deleting a run or a stakeholder still deletes its candidates
    # (Django's cascade), and readers reach candidates through joins to both actors, so a row
    # whose actor vanished mid-run is never shown and goes with the next run. On PostgreSQL the
    # table is partitioned by run (migration 0012, ``overlap/partitions.py``): its primary key
    # there is (id, run_id), ids still come from one sequence, and Django knows rows by id.
    run = models.ForeignKey(
        OverlapRun,
        on_delete=models.CASCADE,
        related_name="candidates",
        db_index=False,  # served by the (run, -score) index
        db_constraint=False,
    )
    stakeholder_a = models.ForeignKey(
        Stakeholder,
        on_delete=models.CASCADE,
        related_name="candidates_as_a",
        db_index=False,  # served by the unique (stakeholder_a, stakeholder_b, run) index
        db_constraint=False,
    )
    stakeholder_b = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="candidates_as_b", db_constraint=False
    )
    overlap = models.FloatField(help_text="Cosine similarity of the two interest vectors, 0–1.")
    complementarity = models.FloatField(help_text="0–1, see the methodology page.")
    inclusion = models.FloatField(help_text="1 if the pair brings in an inclusive actor, else 0.")
    # The priority (the name "score" kept for readers of the API): the likelihood adjusted by the
    # documented preference for inclusive pairs; lists are sorted by it by default.
    score = models.FloatField(help_text="Priority, 0–1: the likelihood adjusted for inclusion.")
    likelihood = models.FloatField(
        default=0.0, help_text="0–1: how well the evidence says the two would work together."
    )
    power_interest = models.FloatField(
        default=0.0, help_text="Mean gap in influence over the shared outcomes, 0–1."
    )
    kind_affinity = models.FloatField(
        default=1.0,
        help_text="0–1: how often actors of these two kinds work together in the registry.",
    )
    shared_partners = models.PositiveIntegerField(
        default=0, help_text="How many public actors already work with both (ties)."
    )
    needed_capabilities = CapabilitiesField(help_text="What the shared outcomes need together.")
    brings_a = CapabilitiesField(help_text="What A has of the needed capabilities.")
    brings_b = CapabilitiesField(help_text="What B has of the needed capabilities.")
    shared_count = models.PositiveIntegerField(default=0)
    shared_outcome_ids = models.JSONField(
        default=list, help_text="The shared outcomes that weigh most in the overlap (capped)."
    )
    # Which audiences chose the pair (bit flags, ``overlap.PUBLIC_SET | overlap.CLEARED_SET``):
    # people not cleared read the pairs chosen among public actors only (DESIGN.md, do no harm).
    audiences = models.PositiveSmallIntegerField(default=3)
    # Set when a person proposes a partnership from this candidate ("promoted").
    partnership = models.ForeignKey(
        "Partnership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promoted_candidates",
    )

    class Meta:
        ordering = ["-score", "-likelihood", "-shared_count", "id"]
        indexes = [
            models.Index(fields=["run", "-score"], name="partnerships_cand_run_score"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder_a", "stakeholder_b", "run"], name="partnerships_cand_pair"
            ),
            models.CheckConstraint(
                condition=Q(stakeholder_a__lt=F("stakeholder_b")),
                name="partnerships_cand_ordered_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder_a} + {self.stakeholder_b} ({self.score:.2f})"

    def get_absolute_url(self) -> str:
        return reverse(
            "partnerships:candidate_detail", args=[self.stakeholder_a_id, self.stakeholder_b_id]
        )

    @property
    def priority(self) -> float:
        return self.score

    @property
    def pair(self) -> str:
        """The pair's key, ``<a>-<b>`` (lower id first): how pages and the API name a candidate,
        the same from one run to the next."""
        return f"{self.stakeholder_a_id}-{self.stakeholder_b_id}"

    def partner_of(self, stakeholder_id: int) -> Stakeholder:
        return self.stakeholder_b if self.stakeholder_a_id == stakeholder_id else self.stakeholder_a


class CandidateDismissal(models.Model):
    """A person's decision that a pair is not worth pursuing; keyed by the pair so that it
    survives re-runs (a new run writes new candidate rows for the same pair)."""

    stakeholder_a = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")
    stakeholder_b = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-dismissed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder_a", "stakeholder_b"], name="partnerships_dismissal_pair"
            ),
            models.CheckConstraint(
                condition=Q(stakeholder_a__lt=F("stakeholder_b")),
                name="partnerships_dismissal_ordered_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Dismissed: {self.stakeholder_a_id} + {self.stakeholder_b_id}"


# --- partnerships: from proposal to agreement ---------------------------------------------------


class Partnership(models.Model):
    """A proposed or agreed non-traditional security partnership and where it is in its workflow.

    Writes go through ``partnerships.workflow``; ``version`` grows with every write so that a form
    or API client holding an old copy can be told someone else changed it meanwhile.
    """

    Status = PartnershipStatus

    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=PartnershipStatus.choices, default=PartnershipStatus.DRAFT
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="partnership_proposals",
    )
    outcomes = models.ManyToManyField(Outcome, blank=True, related_name="partnerships")
    rationale = models.TextField(help_text="Why these actors, for these outcomes.")
    resources = models.TextField(blank=True, help_text="Money, people, assets each side commits.")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    risks = models.TextField(blank=True)
    do_no_harm = models.TextField(
        "do-no-harm assessment",
        blank=True,
        help_text="Risks to participants, especially women and displaced people, and how they "
        "are mitigated. Required to submit.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[outcomes])

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("review_partnership", "Can review partnership proposals")]
        indexes = [models.Index(fields=["status", "-updated_at"], name="partnerships_pship_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="partnerships_pship_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnerships:partnership_detail", args=[self.pk])


class PartnershipMember(models.Model):
    """One actor in a partnership, its role and what it brings from its toolbox."""

    Role = MemberRole

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="members")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.PROTECT, related_name="partnership_memberships"
    )
    role = models.CharField(max_length=20, choices=MemberRole.choices, default=MemberRole.OTHER)
    contribution = models.TextField(blank=True, help_text="What it brings from its toolbox.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["partnership", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "stakeholder"], name="partnerships_member_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} in {self.partnership}"


class PartnershipEvent(models.Model):
    """One step of a partnership's timeline: who did what, when, and what they said."""

    timeline_kind = "step"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=20, choices=PartnershipStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PartnershipStatus.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.partnership}: {self.from_status or 'new'} → {self.to_status}"


class PartnershipComment(models.Model):
    """A remark on a partnership outside the workflow: anyone who may see the partnership may
    leave one (``partnerships.workflow.partnership_comment_add``). Comments are never edited or
    deleted through the app; the history keeps who wrote what, when."""

    # The timeline template tells comments from steps by this.
    timeline_kind = "comment"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.partnership}"


# Coalitions live in their own package; imported here so that Django registers their models.
from .coalitions.models import (  # noqa: E402, F401
    Coalition,
    CoalitionComputation,
    CoalitionMember,
)
