from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .choices import SENTIMENT_MAX, SENTIMENT_MIN, InteractionKind, Sentiment
from .salience import SCALE, SCALE_MAX, SCALE_MIN, salience_class


class Interaction(models.Model):
    """One contact with other actors: a meeting, a call, an e-mail, an event or a visit.

    An interaction with any restricted or confidential stakeholder is itself hidden from people
    not cleared for it (``relationships.selectors.interaction_visible_to``).
    """

    Kind = InteractionKind

    kind = models.CharField(max_length=10, choices=InteractionKind.choices)
    date = models.DateField()
    our_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="interactions", verbose_name="our people"
    )
    stakeholders = models.ManyToManyField(
        "stakeholders.Stakeholder",
        related_name="interactions",
        verbose_name="their people and organisations",
    )
    outcomes = models.ManyToManyField(
        "stakeholders.Outcome", blank=True, related_name="interactions"
    )
    notes = models.TextField(blank=True)
    sentiment = models.SmallIntegerField(choices=Sentiment.choices, null=True, blank=True)
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    # The engagement it was promoted to: the engagement remembers its interaction
    # (``engagement.interaction``) without the index knowing this app.
    engagement = models.OneToOneField(
        "index.Engagement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interaction",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[stakeholders, outcomes, our_people])

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["date", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True)
                | Q(sentiment__gte=SENTIMENT_MIN, sentiment__lte=SENTIMENT_MAX),
                name="relationships_interaction_sentiment_range",
                violation_error_message=f"Sentiment must be {SENTIMENT_MIN} to {SENTIMENT_MAX}.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("relationships:interaction_detail", args=[self.pk])

    @property
    def title(self) -> str:
        """A short title from the notes' first line (or the kind and date)."""
        first = (self.notes or "").strip().splitlines()[0:1]
        return (first[0][:120] if first else "") or str(self)


class StakeholderOwner(models.Model):
    """Who in our team looks after a stakeholder (one owner per stakeholder)."""

    stakeholder = models.OneToOneField(
        "stakeholders.Stakeholder", on_delete=models.CASCADE, related_name="owner_record"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stakeholders_owned"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.owner} owns {self.stakeholder}"


class FollowUp(models.Model):
    """Something to do next about a stakeholder, by a due date, for one person."""

    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder", on_delete=models.CASCADE, related_name="follow_ups"
    )
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_ups"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "done_at", "due_date"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return (
            reverse("stakeholders:stakeholder_detail", args=[self.stakeholder_id]) + "#follow-ups"
        )


class FollowUpReminder(models.Model):
    """One reminder e-mail sent: at most one per follow-up and day (the beat job is safe to
    repeat)."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "day"], name="relationships_one_reminder_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder of {self.follow_up_id} on {self.day}"


def _scale_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{name}__gte": SCALE_MIN, f"{name}__lte": SCALE_MAX}),
        name=f"relationships_salience_{name}_range",
        violation_error_message=f"{name.capitalize()} must be {SCALE_MIN} to {SCALE_MAX}.",
    )


class SalienceAssessment(models.Model):
    """One dated reading of a stakeholder's power, legitimacy and urgency in an outcome
    (Mitchell, Agle & Wood; the scale and the rule in ``relationships.salience``).

    A re-assessment is a new row: the earlier ones are kept and listed; the latest (by
    ``assessed_on``, then by when it was recorded) is the actor's class. Hidden with its
    stakeholder (``relationships.selectors.salience_visible_to``).
    """

    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder", on_delete=models.CASCADE, related_name="salience_assessments"
    )
    outcome = models.ForeignKey(
        "stakeholders.Outcome", on_delete=models.CASCADE, related_name="salience_assessments"
    )
    power = models.SmallIntegerField(choices=SCALE)
    legitimacy = models.SmallIntegerField(choices=SCALE)
    urgency = models.SmallIntegerField(choices=SCALE)
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["outcome", "stakeholder", "assessed_on"])]
        constraints = [_scale_check("power"), _scale_check("legitimacy"), _scale_check("urgency")]

    def __str__(self) -> str:
        return f"Salience of {self.stakeholder} in {self.outcome} on {self.assessed_on}"

    @property
    def salience(self):
        return salience_class(power=self.power, legitimacy=self.legitimacy, urgency=self.urgency)
