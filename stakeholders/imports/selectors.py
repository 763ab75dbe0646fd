"""Reads of import jobs, and who may import what."""

from django.db.models import QuerySet

from accounts.roles import Role, user_has_role
from stakeholders.models import ImportJob
from stakeholders.selectors import user_is_cleared

MODEL_OF_KIND = {
    ImportJob.Kind.STAKEHOLDERS: "stakeholder",
    ImportJob.Kind.OUTCOMES: "outcome",
    ImportJob.Kind.STAKES: "stake",
    ImportJob.Kind.TIES: "tie",
}


def import_permissions(kind: str) -> list[str]:
    """An import both adds and changes rows, so it needs both permissions on the model."""
    model = MODEL_OF_KIND[kind]
    return [f"stakeholders.add_{model}", f"stakeholders.change_{model}"]


def import_kinds_for(user) -> list[str]:
    """The kinds of file ``user`` may import (program officers and administrators: all four)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return [kind for kind in ImportJob.Kind.values if user.has_perms(import_permissions(kind))]


def user_can_import(user, kind: str | None = None) -> bool:
    kinds = import_kinds_for(user)
    return kind in kinds if kind is not None else bool(kinds)


def user_sees_all_imports(user) -> bool:
    return user_has_role(user, Role.ADMINISTRATOR)


def import_job_visible_to(user) -> QuerySet[ImportJob]:
    """The jobs ``user`` may see: their own (administrators: everyone's).

    A job whose file names restricted or confidential stakeholders is shown only to cleared
    users, whoever uploaded it: its report lists names and values from those rows.
    """
    if not getattr(user, "is_authenticated", False):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("created_by")
    if not user_sees_all_imports(user):
        jobs = jobs.filter(created_by=user)
    if not user_is_cleared(user):
        jobs = jobs.filter(involves_restricted=False)
    return jobs


def import_job_recent_for(user, *, limit: int = 25) -> list[ImportJob]:
    return list(import_job_visible_to(user).order_by("-created_at", "-id")[:limit])
