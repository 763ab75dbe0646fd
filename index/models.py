from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Audience
from stakeholders.locations import (
    latitude_field,
    location_constraints,
    location_errors,
    longitude_field,
    subnational_area_field,
)

from .choices import (
    Aggregation,
    DacGenderMarker,
    EngagementFormat,
    EngagementKind,
    ParticipantRole,
    ReachLevel,
)

PILLAR_SCORE = [MinValueValidator(0.0), MaxValueValidator(100.0)]


def _nullable_range(field: str, low, high) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        name="%(app_label)s_%(class)s_" + f"{field}_range",
        violation_error_message=f"{field.replace('_', ' ').capitalize()} must be {low}–{high}.",
    )


class Engagement(models.Model):
    """One diplomatic engagement and the facts that the index's indicators read.

    Nullable facts are "unknown", which the index keeps apart from zero or "no".
    """

    Kind = EngagementKind
    Format = EngagementFormat

    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=EngagementKind.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    country = CountryField(blank=True)
    subnational_area = subnational_area_field()
    latitude = latitude_field()
    longitude = longitude_field()
    format = models.CharField(
        max_length=12, choices=EngagementFormat.choices, default=EngagementFormat.IN_PERSON
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engagements",
    )
    outcomes = models.ManyToManyField(
        "stakeholders.Outcome", blank=True, related_name="engagements"
    )
    iati_activity = models.OneToOneField(
        "iati.IatiActivity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engagement",
        help_text="The IATI activity this engagement was imported from (updated on re-import).",
    )

    # Digital pillar facts.
    digital_channels = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="How many online channels were used (video, messaging, social media, web, SMS…).",
    )
    realtime_reporting = models.BooleanField(
        null=True, blank=True, help_text="Real-time or regular reporting from the ground."
    )
    marginalised_reach = models.PositiveSmallIntegerField(
        choices=ReachLevel.choices,
        null=True,
        blank=True,
        help_text="Reach to marginalised or remote people.",
    )
    disinformation_safeguards = models.BooleanField(null=True, blank=True)
    data_protection = models.BooleanField(
        null=True, blank=True, help_text="Participants' personal data protected."
    )
    # Feminist pillar facts.
    participants_total = models.PositiveIntegerField(null=True, blank=True)
    participants_women = models.PositiveIntegerField(null=True, blank=True)
    leaders_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="People who lead, negotiate or decide."
    )
    leaders_women = models.PositiveIntegerField(null=True, blank=True)
    gbv_safeguards = models.BooleanField(
        null=True, blank=True, help_text="Protection from gender-based violence built in."
    )
    # UNSCR 1325 pillars addressed: True, False, or unknown (None). F6 is unknown only when all
    # four are; a pillar left unknown beside known ones counts as not addressed.
    unscr1325_participation = models.BooleanField(null=True, blank=True, default=None)
    unscr1325_protection = models.BooleanField(null=True, blank=True, default=None)
    unscr1325_prevention = models.BooleanField(null=True, blank=True, default=None)
    unscr1325_relief_recovery = models.BooleanField(null=True, blank=True, default=None)
    results_by_sex = models.BooleanField(null=True, blank=True)
    dac_gender_marker = models.PositiveSmallIntegerField(
        choices=DacGenderMarker.choices, null=True, blank=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[outcomes])

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["country", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="index_engagement_dates_in_order",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(participants_women__isnull=True)
                | Q(participants_total__isnull=True)
                | Q(participants_women__lte=F("participants_total")),
                name="index_engagement_women_within_participants",
                violation_error_message="Women participants cannot exceed all participants.",
            ),
            models.CheckConstraint(
                condition=Q(leaders_women__isnull=True)
                | Q(leaders_total__isnull=True)
                | Q(leaders_women__lte=F("leaders_total")),
                name="index_engagement_women_within_leaders",
                violation_error_message="Women leaders cannot exceed all leaders.",
            ),
            _nullable_range("marginalised_reach", 0, 3),
            _nullable_range("dac_gender_marker", 0, 2),
            *location_constraints(),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("index:engagement_detail", args=[self.pk])

    def clean(self) -> None:
        errors = location_errors(latitude=self.latitude, longitude=self.longitude)
        if errors:
            raise ValidationError(errors)


class EngagementParticipant(models.Model):
    Role = ParticipantRole

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="participants"
    )
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder", on_delete=models.CASCADE, related_name="engagements_joined"
    )
    role = models.CharField(
        max_length=12, choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["engagement", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "stakeholder"],
                name="index_participant_once_per_engagement",
                violation_error_message="This stakeholder already takes part in the engagement.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder_id} as {self.role} in {self.engagement_id}"


class Methodology(models.Model):
    """A named, versioned set of indicators, goalposts and weights, held as data.

    ``indicators`` is a list of ``{code, pillar, label, explanation, goalposts: [low, high],
    weight}``; ``pillar_weights`` maps each pillar to its weight in the composite. A published
    version is frozen: changes go into a new version (``methodology_copy``).
    """

    Aggregation = Aggregation

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField(blank=True)
    indicators = models.JSONField(default=list)
    pillar_weights = models.JSONField(default=dict)
    aggregation = models.CharField(
        max_length=12, choices=Aggregation.choices, default=Aggregation.ARITHMETIC
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "-version"]
        verbose_name_plural = "methodologies"
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"],
                name="index_methodology_name_version_unique",
                violation_error_message="This methodology already has this version.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs):
        # Old scores name their version; rewriting a published version would silently change
        # what they mean, so it is refused here, below every form, admin and service.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk, published=True).exists()
            if stored:
                raise ApplicationError(
                    "A published methodology version cannot be changed; copy it to a new version."
                )
        super().save(*args, **kwargs)

    def as_dict(self) -> dict:
        """The data the pure scoring core reads."""
        return {
            "indicators": self.indicators,
            "pillar_weights": self.pillar_weights,
            "aggregation": self.aggregation,
        }


class Score(models.Model):
    """An engagement's index under one methodology version, with everything needed to explain it.

    Computed for an audience (DESIGN.md, do no harm). Every engagement has a ``public`` score,
    computed over its public participants only: exactly the score it would have if its restricted
    and confidential participants had never existed, so nothing in it (pillars, indicators,
    inputs) lets anyone infer them. Where such participants take part, a second, ``cleared``
    score over all participants sits beside it and the public one says so (``cleared_differs``);
    cleared people read that one. The public row keeps its id and its ``computed_at`` whatever
    happens to hidden participants, and is rewritten only when its own values change.
    """

    Audience = Audience

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="scores")
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="scores")
    audience = models.CharField(
        max_length=10, choices=Audience.choices, default=Audience.PUBLIC, editable=False
    )
    cleared_differs = models.BooleanField(
        default=False,
        editable=False,
        help_text="On a public score: a cleared score over all participants exists beside it.",
    )
    digital = models.FloatField(null=True, blank=True, validators=PILLAR_SCORE)
    multi_stakeholder = models.FloatField(null=True, blank=True, validators=PILLAR_SCORE)
    feminist = models.FloatField(null=True, blank=True, validators=PILLAR_SCORE)
    composite = models.FloatField(null=True, blank=True, validators=PILLAR_SCORE)
    indicators = models.JSONField(default=list)
    inputs = models.JSONField(default=dict, help_text="The facts the score was computed from.")
    completeness = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "methodology", "audience"],
                name="index_score_once_per_version_audience",
            ),
            _nullable_range("digital", 0.0, 100.0),
            _nullable_range("multi_stakeholder", 0.0, 100.0),
            _nullable_range("feminist", 0.0, 100.0),
            _nullable_range("composite", 0.0, 100.0),
            models.CheckConstraint(
                condition=Q(completeness__gte=0.0) & Q(completeness__lte=1.0),
                name="index_score_completeness_0_1",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.engagement_id} under {self.methodology_id} ({self.audience}): {self.composite}"
        )


class RescoreRun(models.Model):
    """One bulk rescoring of every engagement under a methodology version, with its progress.

    Made when a version is published (or rescoring is asked for again); written only by
    ``index.services``. Scores are written batch by batch, each batch whole: a run that dies
    leaves every score it had not reached as it was, and running it again is harmless.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    methodology = models.ForeignKey(
        Methodology, on_delete=models.CASCADE, related_name="rescore_runs"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Engagements to score.")
    done = models.PositiveIntegerField(default=0, help_text="Engagements scored so far.")
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rescore_runs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total")), name="index_rescorerun_done_within_total"
            )
        ]

    def __str__(self) -> str:
        return f"Rescoring under {self.methodology} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("index:rescore_run_detail", args=[self.pk])

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


# --- Webhooks -------------------------------------------------------------------------------------


def validate_webhook_url(value: str) -> None:
    """http(s) only, with a host; private and loopback hosts only where settings allow them.

    The one check of an endpoint's URL: the model, the API's serializer and the administrators'
    form all run it, so that each names the same rule."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from .webhooks.protocol import URL_EXAMPLE, webhook_url_problem

    problem = webhook_url_problem(value, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_HOSTS)
    if problem:
        raise ValidationError(problem, code="invalid_url")
    URLValidator(schemes=["http", "https"], message=f"Enter a valid URL, e.g. {URL_EXAMPLE}.")(
        value
    )


def validate_one_line(value: str) -> None:
    """No line breaks or other control characters: the text is shown on one line."""
    from django.core.exceptions import ValidationError

    if any(ord(character) < 32 or ord(character) == 127 for character in value or ""):
        raise ValidationError(
            "Write the description on one line, without line breaks or tabs.", code="one_line"
        )


class WebhookEndpoint(models.Model):
    """A URL where a partner system (one partner token) is told about score changes.

    The signing secret is kept in clear because every delivery is signed with it; it is shown
    once, when the endpoint is made, and left out of the change history.
    """

    token = models.ForeignKey(
        "accounts.PartnerToken", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(
        "URL",
        max_length=2000,
        validators=[validate_webhook_url],
        help_text="Where score changes are posted (http or https).",
    )
    description = models.CharField(max_length=200, blank=True, validators=[validate_one_line])
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_endpoints_created",
        help_text="Empty when the partner registered it through the API with its token.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        """Enough of the secret for people to tell two apart, not enough to sign anything."""
        return f"{self.secret[:8]}…" if self.secret else ""


class WebhookDelivery(models.Model):
    """One signed post of score changes to one endpoint, with every attempt's outcome.

    A log, written only by ``index.services``; the payload is what was (or will be) sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    score_count = models.PositiveIntegerField(default=0, help_text="Scores in the payload.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempt_log = models.JSONField(
        default=list, help_text="Each attempt: when, HTTP status, error, seconds until the next."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then (crash recovery)."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.get_status_display()})"
