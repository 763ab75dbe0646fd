"""Values on the unit interval (interest, influence, strength, shares): the form validators and
the database check that hold a float field between 0 and 1, with an error naming the field."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

UNIT_INTERVAL = [MinValueValidator(0.0), MaxValueValidator(1.0)]


def unit_interval_check(field: str, *, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0.0}) & Q(**{f"{field}__lte": 1.0})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(
        condition=condition,
        name="%(app_label)s_%(class)s_" + f"{field}_0_1",
        violation_error_message=f"{field.replace('_', ' ').capitalize()} must be between 0 and 1.",
    )
