"""Computed coalitions of an outcome, one set per audience (see ``partnerships.coalitions.core``).

Each outcome has two computations: the *public* one, made from public stakeholders, their stakes
and the ties between them only — exactly as if restricted and confidential actors had never
existed — and the *cleared* one, made from everyone. Readers get the one their clearance allows
(``partnerships.coalitions.selectors``). A computation's coalitions are replaced in one
transaction, and only when what they are computed from changed: a job that dies leaves the last
good coalitions, and a recompute caused by a hidden actor leaves the public ones (and their
"computed at") untouched.
"""

from django.db import models
from django.urls import reverse

from stakeholders.choices import Audience
from stakeholders.fields import CapabilitiesField
from stakeholders.models import Outcome, Stakeholder


class CoalitionSolver(models.TextChoices):
    EXACT = "exact", "Exact (branch and bound)"
    GREEDY = "greedy", "Greedy (with a certified bound)"
    NONE = "none", "None (no coalition possible)"


class CoalitionComputation(models.Model):
    """The coalitions of one outcome for one audience as last computed, and how."""

    Audience = Audience

    outcome = models.ForeignKey(
        Outcome, on_delete=models.CASCADE, related_name="coalition_computations"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices)
    computed_at = models.DateTimeField(help_text="When the coalitions shown were computed.")
    read_at = models.DateTimeField(
        help_text="When the registry was read for them: an older read never overwrites them."
    )
    digest = models.CharField(max_length=64, help_text="Fingerprint of the inputs.")
    parameters = models.JSONField(default=dict)
    solver = models.CharField(max_length=10, choices=CoalitionSolver.choices)
    pool_size = models.PositiveIntegerField(
        default=0, help_text="Stakeholders of this audience holding a stake in the outcome."
    )
    seconds = models.FloatField(default=0.0)
    upper_bound = models.FloatField(
        null=True, blank=True, help_text="No coalition can be worth more (greedy: certified)."
    )
    guarantee = models.FloatField(
        default=0.0, help_text="A priori share of the optimum (1 exact; 1/2, 1/3 or 0 greedy)."
    )
    reason = models.CharField(max_length=30, blank=True, help_text="Why there is no coalition.")
    error = models.TextField(blank=True, help_text="Why the last attempt failed, if it did.")
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["outcome", "audience"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "audience"], name="partnerships_coalcomp_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Coalitions of {self.outcome} ({self.audience})"


class Coalition(models.Model):
    """Three to five actors who together could achieve an outcome; see the methodology page."""

    computation = models.ForeignKey(
        CoalitionComputation, on_delete=models.CASCADE, related_name="coalitions"
    )
    # Copied from the computation so that lists filter and sort without a join.
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="coalitions")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    key = models.CharField(
        max_length=16,
        unique=True,
        help_text="From the audience, outcome and members: the same coalition keeps its key "
        "when it is computed again, and keys say nothing about other audiences' coalitions.",
    )
    rank = models.PositiveSmallIntegerField(help_text="1 = the outcome's best coalition.")
    value = models.FloatField()
    coverage = models.FloatField()
    stake = models.FloatField()
    trust = models.FloatField()
    needed_capabilities = CapabilitiesField()
    covered_capabilities = CapabilitiesField()
    bound = models.FloatField(help_text="Proven share of the best coalition's value reached.")
    # [[stakeholder id, stakeholder id, strength, tie kind], ...]: ties between members.
    ties = models.JSONField(default=list)
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_coalitions",
        help_text="The partnership proposed from this coalition.",
    )

    class Meta:
        ordering = ["-value", "key"]
        indexes = [
            models.Index(fields=["audience", "-value"], name="partnerships_coal_aud_value"),
            models.Index(fields=["outcome", "audience", "rank"], name="partnerships_coal_outcome"),
        ]

    def __str__(self) -> str:
        return f"Coalition {self.rank} for {self.outcome}"

    def get_absolute_url(self) -> str:
        return reverse("partnerships:coalition_detail", args=[self.key])


class CoalitionMember(models.Model):
    coalition = models.ForeignKey(Coalition, on_delete=models.CASCADE, related_name="members")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="coalition_memberships"
    )
    position = models.PositiveSmallIntegerField(help_text="Order on the page: the broker first.")
    brings = CapabilitiesField(help_text="The needed capabilities it has.")
    interest = models.FloatField()
    influence = models.FloatField()
    is_broker = models.BooleanField(default=False)
    is_inclusive = models.BooleanField(default=False)
    tied_to = models.PositiveSmallIntegerField(default=0, help_text="Members it has a tie with.")

    class Meta:
        ordering = ["coalition", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["coalition", "stakeholder"], name="partnerships_coalmember_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} in {self.coalition}"
