from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .choices import (
    ALL_CAPABILITIES,
    MACHINE_ORIGINS,
    DigitalPresence,
    IdentifierScheme,
    Kind,
    Origin,
    Scope,
    Sensitivity,
    Theme,
)
from .fields import CapabilitiesField
from .locations import (
    latitude_field,
    location_constraints,
    location_errors,
    longitude_field,
    subnational_area_field,
)
from .names import name_normalise
from .unit_interval import UNIT_INTERVAL, unit_interval_check


class Sector(models.Model):
    """A sector or mission area; codes follow the OECD DAC 5-digit purpose codes where one fits."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label officers put on stakeholders and outcomes ("sahel", "women-led coalition").

    Names are stored folded (lower case, single spaces), so that the spelling of a tag someone
    else created never shows through when another person types it. Lists of tags offered to a
    reader are those carried by what they may see (``selectors.tags_visible_to``): a tag only
    hidden actors carry is never listed to the uncleared.
    """

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def tag_name_clean(name: str) -> str:
    return " ".join((name or "").lower().split())[:60]


class StakeholderQuerySet(models.QuerySet):
    """Keeps ``normalised_name`` on the bulk paths that skip ``save`` (the importers create and
    rename in bulk), so that duplicate suggestions see imported names too."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.normalised_name = name_normalise(obj.name)[:300]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "name" in fields:
            for obj in objs:
                obj.normalised_name = name_normalise(obj.name)[:300]
            fields = [*fields, "normalised_name"] if "normalised_name" not in fields else fields
        return super().bulk_update(objs, fields, *args, **kwargs)


class StakeholderManager(models.Manager.from_queryset(StakeholderQuerySet)):
    """Stakeholders in use: those merged into another are left out of every read but the merge
    record's own (``all_objects``)."""

    def get_queryset(self):
        return super().get_queryset().filter(merged_into__isnull=True)


class Stakeholder(models.Model):
    Kind = Kind
    Origin = Origin
    Sensitivity = Sensitivity
    Scope = Scope
    DigitalPresence = DigitalPresence

    name = models.CharField(max_length=300)
    # The name exactly as the source recorded it (an IATI narrative, a 3W cell), when an import
    # made the stakeholder; ``name`` is the clean name people read (``names.name_display``).
    recorded_name = models.CharField(max_length=500, blank=True, editable=False)
    # A person changed the name: re-imports keep theirs.
    name_edited = models.BooleanField(default=False, editable=False)
    acronym = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    country = CountryField(blank=True, help_text="Where the actor is based (ISO 3166-1).")
    country_of_origin = CountryField(
        blank=True, help_text="Diaspora groups only: the country the community comes from."
    )
    subnational_area = subnational_area_field()
    latitude = latitude_field()
    longitude = longitude_field()
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.NATIONAL)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The state of an agency, the organisation of a country office.",
    )
    sectors = models.ManyToManyField(Sector, blank=True, related_name="stakeholders")
    tags = models.ManyToManyField(Tag, blank=True, related_name="stakeholders")
    capabilities = CapabilitiesField(help_text="The actor's toolbox.")
    digital_presence = models.PositiveSmallIntegerField(
        choices=DigitalPresence.choices, default=DigitalPresence.NONE
    )
    women_led = models.BooleanField(default=False)
    women_leadership_share = models.FloatField(
        null=True,
        blank=True,
        validators=UNIT_INTERVAL,
        help_text="Share of women in the actor's leadership, 0–1; empty when unknown.",
    )
    sensitivity = models.CharField(
        max_length=12, choices=Sensitivity.choices, default=Sensitivity.PUBLIC, db_index=True
    )
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    # Set when someone not cleared for all of its relations deleted it: what they could see went,
    # and the stakeholder was kept, restricted, with what they could not see (its ties to
    # restricted actors, restricted actors under it, proposals only cleared people see), for a
    # cleared person to restore or delete for good. Nothing is lost; nothing is revealed.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Set when the stakeholder was merged into another (``stakeholders.merging``); it is then
    # archived too and out of every read; undoing the merge clears it.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    # The name as duplicate suggestions compare it (``names.name_normalise``), kept by ``save``.
    normalised_name = models.CharField(max_length=300, blank=True, editable=False, default="")
    # Provenance: how the record came in, and from what (a CSV import job, an IATI activity, a
    # 3W file and row); when is ``created_at``.
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.CURATED, db_index=True, editable=False
    )
    source = models.CharField(max_length=300, blank=True, editable=False)
    # An IATI-made actor's source as data, rendered per reader (``stakeholders.provenance``): the
    # activity it was first read in and the stakeholder that published it, whom an uncleared
    # reader never sees named.
    source_activity = models.CharField(max_length=200, blank=True, editable=False)
    source_publisher = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_sources",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[sectors, tags])

    all_objects = StakeholderQuerySet.as_manager()
    objects = StakeholderManager()

    class Meta:
        ordering = ["name", "id"]
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        permissions = [
            ("view_restricted_stakeholder", "Can see restricted and confidential stakeholders"),
            ("merge_stakeholder", "Can merge duplicate stakeholders and undo merges"),
        ]
        indexes = [
            models.Index(fields=["kind", "sensitivity"]),
            models.Index(fields=["country", "sensitivity"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            unit_interval_check("women_leadership_share", nullable=True),
            models.CheckConstraint(
                condition=Q(capabilities__gte=0) & Q(capabilities__lte=ALL_CAPABILITIES),
                name="stakeholders_stakeholder_capabilities_known",
                violation_error_message="Capabilities must be known capabilities.",
            ),
            models.CheckConstraint(
                condition=Q(kind=Kind.DIASPORA) | Q(country_of_origin=""),
                name="stakeholders_stakeholder_origin_only_diaspora",
                violation_error_message="Only diaspora groups have a country of origin.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("pk")),
                name="stakeholders_stakeholder_not_own_parent",
                violation_error_message="A stakeholder cannot be its own parent.",
            ),
            *location_constraints(),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def save(self, *args, **kwargs):
        self.normalised_name = name_normalise(self.name)[:300]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "normalised_name"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("stakeholders:stakeholder_detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.kind == Kind.DIASPORA and not self.country_of_origin:
            errors["country_of_origin"] = "A diaspora group needs its country of origin."
        if self.kind != Kind.DIASPORA and self.country_of_origin:
            errors["country_of_origin"] = "Only diaspora groups have a country of origin."
        errors.update(location_errors(latitude=self.latitude, longitude=self.longitude))
        if self.parent_id is not None and self.parent_id == self.pk:
            errors["parent"] = "A stakeholder cannot be its own parent."
        # The link to a parent is stored on the child: a public child under a restricted parent
        # would show that parent (and each change of the link) to people not cleared for it.
        parent = self.parent if self.parent_id else None
        if (
            parent is not None
            and self.sensitivity == Sensitivity.PUBLIC
            and parent.sensitivity != Sensitivity.PUBLIC
        ):
            errors["parent"] = (
                "A public stakeholder cannot sit under a restricted or confidential one (people "
                "not cleared would see the link): choose a public parent, or restrict this "
                "stakeholder too."
            )
        if self.pk and self.sensitivity != Sensitivity.PUBLIC and "parent" not in errors:
            public_children = Stakeholder._base_manager.filter(
                parent_id=self.pk, sensitivity=Sensitivity.PUBLIC
            ).count()
            if public_children:
                sit = "stakeholders sit" if public_children > 1 else "stakeholder sits"
                errors["sensitivity"] = (
                    f"{public_children} public {sit} under this one: restrict them too, or give "
                    "them another parent, first."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_restricted(self) -> bool:
        return self.sensitivity != Sensitivity.PUBLIC


class ExternalIdentifier(models.Model):
    """An identifier of the actor in another system, e.g. its IATI organisation identifier."""

    Scheme = IdentifierScheme

    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="external_ids"
    )
    scheme = models.CharField(max_length=20, choices=IdentifierScheme.choices)
    value = models.CharField(max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scheme", "value"]
        # Unique among the stakeholders the writer may see (``services``), not registry-wide: a
        # refusal because a restricted actor holds the identifier would reveal that actor to
        # someone not cleared for it. Two actors with one identifier are offered for merging.
        indexes = [models.Index(fields=["scheme", "value"])]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()}: {self.value}"


class OutcomeQuerySet(models.QuerySet):
    def listed(self):
        """The outcomes default views show: curated ones, and machine-made ones ("<sector> in
        <country>" from the IATI and 3W imports) once an officer promoted them."""
        return self.filter(Q(promoted_at__isnull=False) | ~Q(origin__in=MACHINE_ORIGINS))

    def machine_made(self):
        """Outcomes an import made by rule and no officer promoted yet."""
        return self.filter(origin__in=MACHINE_ORIGINS, promoted_at__isnull=True)


class OutcomeManager(models.Manager.from_queryset(OutcomeQuerySet)):
    """Outcomes in use: archived ones are left out of every read but the archive's own."""

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True)


class Outcome(models.Model):
    """A desired outcome that actors can share a stake in."""

    Theme = Theme
    Origin = Origin

    title = models.CharField(max_length=300)
    theme = models.CharField(max_length=30, choices=Theme.choices)
    description = models.TextField(blank=True)
    geography = models.CharField(
        max_length=200, blank=True, help_text="Where, in words: 'Yemen', 'the Sahel', 'global'."
    )
    countries = CountryField(multiple=True, blank=True)
    needed_capabilities = CapabilitiesField(
        help_text="The capabilities that achieving the outcome needs."
    )
    # Provenance: how the record came in, and from what (a CSV import job, an IATI activity, a
    # 3W file and row); when is ``created_at``.
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.CURATED, db_index=True, editable=False
    )
    source = models.CharField(max_length=300, blank=True, editable=False)
    # The sector a machine-made outcome is grouped under (the DAC sector of an IATI import).
    sector = models.ForeignKey(
        Sector, null=True, blank=True, on_delete=models.SET_NULL, related_name="outcomes"
    )
    # Set when an officer promoted a machine-made outcome into the default lists.
    promoted_at = models.DateTimeField(null=True, blank=True, editable=False)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Set when someone not cleared for every stake in it deleted it: the stakes they could see
    # went, the outcome is gone for everyone's reads, and the restricted actors' stakes stay with
    # it for a cleared person to restore or delete for good.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Set when the outcome was merged into another (``stakeholders.outcome_merging``); it is then
    # archived too; undoing the merge clears it.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="outcomes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[tags])

    all_objects = OutcomeQuerySet.as_manager()
    objects = OutcomeManager()

    class Meta:
        ordering = ["title"]
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        indexes = [models.Index(fields=["theme"]), models.Index(fields=["origin", "promoted_at"])]
        constraints = [
            # Unique among outcomes in use: an archived one does not hold its title.
            models.UniqueConstraint(
                fields=["title"],
                condition=Q(archived_at__isnull=True),
                name="stakeholders_outcome_title_in_use",
                violation_error_code="title_in_use",
                violation_error_message="An outcome with this title already exists.",
            ),
            models.CheckConstraint(
                condition=Q(needed_capabilities__gte=0)
                & Q(needed_capabilities__lte=ALL_CAPABILITIES),
                name="stakeholders_outcome_capabilities_known",
                violation_error_message="Needed capabilities must be known capabilities.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("stakeholders:outcome_detail", args=[self.pk])

    def validate_constraints(self, exclude=None):
        """As Django's, with the title's uniqueness said at the title field (it is a conditional
        constraint, which Django reports for the whole form)."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            title = [e for e in general if getattr(e, "code", None) == "title_in_use"]
            general = [e for e in general if e not in title]
            if title:
                errors.setdefault("title", []).extend(title)
            if general:
                errors[NON_FIELD_ERRORS] = general
            raise ValidationError(errors) from None

    @property
    def is_machine_made(self) -> bool:
        return self.origin in MACHINE_ORIGINS and self.promoted_at is None


class ImportJob(models.Model):
    """One uploaded CSV/XLSX file being checked (dry run) and then imported, all or nothing.

    Written only by stakeholders.imports.services; the file's rows never touch the registry until
    the dry run has found no error and the uploader has asked for the import.
    """

    class Kind(models.TextChoices):
        STAKEHOLDERS = "stakeholders", "Stakeholders"
        OUTCOMES = "outcomes", "Outcomes"
        STAKES = "stakes", "Stakes"
        TIES = "ties", "Ties"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        VALIDATING = "validating", "Checking"
        VALIDATED = "validated", "Ready to import"
        INVALID = "invalid", "Has errors"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    original_filename = models.CharField(max_length=255)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.UPLOADED, db_index=True
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_processed = models.PositiveIntegerField(default=0)
    create_count = models.PositiveIntegerField(default=0)
    update_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)
    involves_restricted = models.BooleanField(
        default=False,
        help_text="The file names restricted or confidential stakeholders: cleared users only.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.get_kind_display().lower()} ({self.original_filename})"

    def get_absolute_url(self) -> str:
        return reverse("stakeholder_imports:job_detail", args=[self.pk])


# Stakes and ties, merge records and dismissals live in modules of their own; Django finds an
# app's models through this module, so they are imported here (and ``from stakeholders.models
# import Stake`` keeps working).
from .left_stakes_models import LeftStakesDecision  # noqa: E402
from .merge_models import DuplicateDismissal, MergeRecord  # noqa: E402
from .relation_models import HistoricalStake, HistoricalTie, Stake, Tie  # noqa: E402

__all__ = [
    "UNIT_INTERVAL",
    "DuplicateDismissal",
    "ExternalIdentifier",
    "HistoricalStake",
    "HistoricalTie",
    "ImportJob",
    "LeftStakesDecision",
    "MergeRecord",
    "Outcome",
    "Sector",
    "Stake",
    "Stakeholder",
    "Tag",
    "Tie",
    "tag_name_clean",
    "unit_interval_check",
]
