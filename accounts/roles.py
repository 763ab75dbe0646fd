"""The product's roles. Each is a Django group created by a data migration with its permissions.

Clearance to see restricted and confidential stakeholders is *not* part of any role: it is given to
a person deliberately (``stakeholders.view_restricted_stakeholder``), whatever their role.
"""

from django.db import models

CLEARANCE_PERMISSION = "stakeholders.view_restricted_stakeholder"


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    PROGRAM_OFFICER = "program officer", "Program officer"
    REVIEWER = "reviewer", "Reviewer"
    ADMINISTRATOR = "administrator", "Administrator"


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    if not hasattr(user, "_role_cache"):
        user._role_cache = set(user.groups.values_list("name", flat=True))
    return user._role_cache


def user_has_role(user, *roles: str) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & set(roles))
