"""What links the registry's records: a stakeholder's stake in an outcome and a tie between two
stakeholders. Re-exported by ``stakeholders.models``, where Django finds them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .choices import SYMMETRIC_TIE_KINDS, Origin, Position, TieKind
from .unit_interval import UNIT_INTERVAL, unit_interval_check


class Stake(models.Model):
    """A stakeholder's stake in an outcome: one cell of the power–interest grid."""

    Position = Position

    stakeholder = models.ForeignKey("Stakeholder", on_delete=models.CASCADE, related_name="stakes")
    outcome = models.ForeignKey("Outcome", on_delete=models.CASCADE, related_name="stakes")
    interest = models.FloatField(validators=UNIT_INTERVAL, help_text="0 (none) to 1 (vital).")
    influence = models.FloatField(validators=UNIT_INTERVAL, help_text="0 (none) to 1 (decisive).")
    position = models.CharField(max_length=10, choices=Position.choices, default=Position.SUPPORTS)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Where this comes from.")
    # Each version (kept by the history) is one dated assessment: interest, influence and
    # position as judged on that day, with its note and source. Empty on rows written by bulk
    # imports and before this field existed: read as the day the version was recorded.
    assessed_on = models.DateField(
        null=True, blank=True, help_text="The day this interest, influence and position held."
    )
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.CURATED, db_index=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-interest", "id"]
        indexes = [models.Index(fields=["outcome", "stakeholder"])]
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder", "outcome"],
                name="stakeholders_stake_one_per_outcome",
                violation_error_message="This stakeholder already has a stake in this outcome.",
            ),
            unit_interval_check("interest"),
            unit_interval_check("influence"),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} → {self.outcome}"


class Tie(models.Model):
    """An existing relationship between two stakeholders."""

    Kind = TieKind

    from_stakeholder = models.ForeignKey(
        "Stakeholder", on_delete=models.CASCADE, related_name="ties_out"
    )
    to_stakeholder = models.ForeignKey(
        "Stakeholder", on_delete=models.CASCADE, related_name="ties_in"
    )
    kind = models.CharField(max_length=20, choices=TieKind.choices)
    strength = models.FloatField(
        default=0.5, validators=UNIT_INTERVAL, help_text="0 (nominal) to 1 (very strong)."
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Where this comes from.")
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.CURATED, db_index=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, null=True, editable=False)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-strength", "id"]
        indexes = [models.Index(fields=["to_stakeholder", "from_stakeholder"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stakeholder=F("to_stakeholder")),
                name="stakeholders_tie_not_to_self",
                violation_error_message="A tie must link two different stakeholders.",
            ),
            models.UniqueConstraint(
                fields=["from_stakeholder", "to_stakeholder", "kind"],
                name="stakeholders_tie_unique_kind",
                violation_error_message="These two stakeholders already have a tie of this kind.",
            ),
            unit_interval_check("strength"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="stakeholders_tie_dates_in_order",
                violation_error_message="The end date cannot be before the start date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_stakeholder} {self.get_kind_display().lower()} {self.to_stakeholder}"

    @property
    def is_symmetric(self) -> bool:
        return self.kind in SYMMETRIC_TIE_KINDS

    def clean(self) -> None:
        errors = {}
        if self.from_stakeholder_id and self.from_stakeholder_id == self.to_stakeholder_id:
            errors["to_stakeholder"] = "A tie must link two different stakeholders."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date cannot be before the start date."
        if (
            self.is_symmetric
            and self.from_stakeholder_id
            and self.to_stakeholder_id
            and Tie.objects.filter(
                from_stakeholder_id=self.to_stakeholder_id,
                to_stakeholder_id=self.from_stakeholder_id,
                kind=self.kind,
            )
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["kind"] = (
                f"'{self.get_kind_display()}' reads both ways and the reverse tie already exists."
            )
        if errors:
            raise ValidationError(errors)
