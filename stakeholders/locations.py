"""Where a record is, beyond its country: a subnational area and, where known, a point.

Stakeholders and engagements (``index``) carry the same three optional fields, checked the same
way here: latitude in −90…90, longitude in −180…180, and both or neither (a latitude alone says
nothing a map could draw). The map (``relationships.geo``) places a record at its point, else at
its country.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

LATITUDE_MESSAGE = "Latitude must be between −90 and 90 (degrees north; south is negative)."
LONGITUDE_MESSAGE = "Longitude must be between −180 and 180 (degrees east; west is negative)."
BOTH_MESSAGE = "Give both latitude and longitude, or neither."

LATITUDE_VALIDATORS = [
    MinValueValidator(-90.0, message=LATITUDE_MESSAGE),
    MaxValueValidator(90.0, message=LATITUDE_MESSAGE),
]
LONGITUDE_VALIDATORS = [
    MinValueValidator(-180.0, message=LONGITUDE_MESSAGE),
    MaxValueValidator(180.0, message=LONGITUDE_MESSAGE),
]


def subnational_area_field() -> models.CharField:
    return models.CharField(
        max_length=200,
        blank=True,
        help_text="Province, region or state (a 3W file's #adm1), when known.",
    )


def latitude_field() -> models.FloatField:
    return models.FloatField(
        null=True,
        blank=True,
        validators=LATITUDE_VALIDATORS,
        help_text="Decimal degrees, −90 to 90 (north positive); with the longitude, or empty.",
    )


def longitude_field() -> models.FloatField:
    return models.FloatField(
        null=True,
        blank=True,
        validators=LONGITUDE_VALIDATORS,
        help_text="Decimal degrees, −180 to 180 (east positive); with the latitude, or empty.",
    )


def location_constraints() -> list[models.CheckConstraint]:
    """The database's copy of the rules, for writes that skip ``full_clean`` (bulk imports)."""
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True) | Q(latitude__gte=-90.0, latitude__lte=90.0),
            name="%(app_label)s_%(class)s_latitude_range",
            violation_error_message=LATITUDE_MESSAGE,
        ),
        models.CheckConstraint(
            condition=Q(longitude__isnull=True) | Q(longitude__gte=-180.0, longitude__lte=180.0),
            name="%(app_label)s_%(class)s_longitude_range",
            violation_error_message=LONGITUDE_MESSAGE,
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name="%(app_label)s_%(class)s_point_both_or_neither",
            violation_error_message=BOTH_MESSAGE,
        ),
    ]


def location_errors(*, latitude: float | None, longitude: float | None) -> dict[str, str]:
    """Errors for a model's ``clean``, keyed by the field that is missing its partner."""
    if latitude is not None and longitude is None:
        return {"longitude": BOTH_MESSAGE}
    if longitude is not None and latitude is None:
        return {"latitude": BOTH_MESSAGE}
    return {}
