"""What every app's services share: a save that validates first."""

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def validated_save(instance: M) -> M:
    """``full_clean`` then ``save``: a service never stores a row its model would refuse."""
    instance.full_clean()
    instance.save()
    return instance
