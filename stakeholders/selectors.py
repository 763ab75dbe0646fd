"""Reads of the registry. Every page, API view, export and job starts from these.

The restriction rule of DESIGN.md ("do no harm") lives here and only here: restricted and
confidential stakeholders, and everything hanging off them, exist only for cleared people.
"""

from itertools import chain

from django.apps import apps
from django.db.models import Count, Q, QuerySet

from accounts.roles import CLEARANCE_PERMISSION
from accounts.selectors import two_factor_passed

from .choices import Sensitivity
from .models import Outcome, Stake, Stakeholder, Tie


def user_is_cleared(user) -> bool:
    """May ``user`` see restricted and confidential stakeholders?

    Holding the clearance is not enough where a second factor is required: a session that has
    not passed it is treated as not cleared, everywhere (``two_factor_passed``)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and user.has_perm(CLEARANCE_PERMISSION)
        and two_factor_passed(user)
    )


def sensitivities_visible_to(user) -> list[str]:
    if user_is_cleared(user):
        return list(Sensitivity.values)
    return [Sensitivity.PUBLIC]


def stakeholder_visible_to(user) -> QuerySet[Stakeholder]:
    """The stakeholders ``user`` may see. The one restriction helper: use it for every read."""
    return Stakeholder.objects.filter(sensitivity__in=sensitivities_visible_to(user))


def stake_visible_to(user) -> QuerySet[Stake]:
    return Stake.objects.filter(stakeholder__sensitivity__in=sensitivities_visible_to(user))


def tie_visible_to(user) -> QuerySet[Tie]:
    """Ties whose both ends ``user`` may see: a hidden actor's ties vanish with it."""
    allowed = sensitivities_visible_to(user)
    return Tie.objects.filter(
        from_stakeholder__sensitivity__in=allowed, to_stakeholder__sensitivity__in=allowed
    )


def stakeholder_counts_by_kind(*, user) -> list[dict]:
    """Every kind with how many stakeholders of it ``user`` may see (zero included)."""
    counts = dict(
        stakeholder_visible_to(user)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return [
        {"kind": kind, "label": label, "count": counts.get(kind, 0)}
        for kind, label in Stakeholder.Kind.choices
    ]


def outcome_list_by_stakes(*, user, limit: int = 10) -> QuerySet[Outcome]:
    """Outcomes with the most stakes that ``user`` may see, each annotated with ``stake_count``."""
    allowed = sensitivities_visible_to(user)
    return (
        Outcome.objects.annotate(
            stake_count=Count("stakes", filter=Q(stakes__stakeholder__sensitivity__in=allowed)),
            supporters=Count(
                "stakes",
                filter=Q(
                    stakes__stakeholder__sensitivity__in=allowed,
                    stakes__position=Stake.Position.SUPPORTS,
                ),
            ),
        )
        .filter(stake_count__gt=0)
        .order_by("-stake_count", "title")[:limit]
    )


def registry_recent_changes(*, user, limit: int = 12) -> list:
    """The latest changes to the registry that ``user`` may see, newest first.

    A change to a stakeholder (or to a stake or tie of it) is shown only while that stakeholder is
    visible to the user now, so a record that was public and became restricted disappears too.
    """
    visible_ids = stakeholder_visible_to(user).values("id")
    histories = [
        (
            Stakeholder.history.filter(
                id__in=visible_ids, sensitivity__in=sensitivities_visible_to(user)
            ),
            (),
        ),
        (Outcome.history.all(), ()),
        (Stake.history.filter(stakeholder_id__in=visible_ids), ("stakeholder", "outcome")),
        (
            Tie.history.filter(
                from_stakeholder_id__in=visible_ids, to_stakeholder_id__in=visible_ids
            ),
            ("from_stakeholder", "to_stakeholder"),
        ),
    ]
    records = chain.from_iterable(
        history.select_related("history_user", *related).order_by("-history_date")[:limit]
        for history, related in histories
    )
    return sorted(records, key=lambda record: record.history_date, reverse=True)[:limit]


CHANGE_VERBS = {"+": "created", "~": "changed", "-": "deleted"}


def describe_change(record) -> dict:
    """A registry history record as a line a person can read (no extra queries)."""
    model = record.instance_type
    if model is Stakeholder:
        label, url_object = record.name, record
    elif model is Outcome:
        label, url_object = record.title, record
    elif model is Stake:
        label = f"{record.stakeholder.name} → {record.outcome.title}"
        url_object = record.stakeholder
    else:
        kind = dict(Tie.Kind.choices).get(record.kind, record.kind).lower()
        label = f"{record.from_stakeholder.name} {kind} {record.to_stakeholder.name}"
        url_object = record.from_stakeholder
    return {
        "what": model._meta.verbose_name,
        "label": label,
        "verb": CHANGE_VERBS.get(record.history_type, "changed"),
        "who": record.history_user,
        "when": record.history_date,
        "url": None if record.history_type == "-" else _url_of(url_object),
    }


def _url_of(obj) -> str | None:
    instance = getattr(obj, "instance", obj)  # a historical record knows its model instance
    return instance.get_absolute_url() if hasattr(instance, "get_absolute_url") else None


# --- reads for the registry pages ---------------------------------------------------------------


def outcome_list_with_stake_counts(*, user) -> QuerySet[Outcome]:
    """Every outcome, annotated with how many stakes ``user`` may see in it, by position.

    ``stake_count``, ``supporters``, ``neutrals`` and ``opposers`` count only stakes of visible
    stakeholders, so the figures never betray a hidden actor.
    """
    allowed = sensitivities_visible_to(user)
    visible = Q(stakes__stakeholder__sensitivity__in=allowed)
    # Aggregating queries drop Meta.ordering, so the order is restated for stable pagination.
    return Outcome.objects.annotate(
        stake_count=Count("stakes", filter=visible),
        supporters=Count("stakes", filter=visible & Q(stakes__position=Stake.Position.SUPPORTS)),
        neutrals=Count("stakes", filter=visible & Q(stakes__position=Stake.Position.NEUTRAL)),
        opposers=Count("stakes", filter=visible & Q(stakes__position=Stake.Position.OPPOSES)),
    ).order_by("title", "pk")


def stakeholder_ties(*, stakeholder: Stakeholder, user) -> QuerySet[Tie]:
    """The ties of ``stakeholder`` in both directions whose other end ``user`` may see."""
    return (
        tie_visible_to(user)
        .filter(Q(from_stakeholder=stakeholder) | Q(to_stakeholder=stakeholder))
        .select_related("from_stakeholder", "to_stakeholder")
    )


# Fields whose changes are bookkeeping, not news.
HISTORY_SKIPPED_FIELDS = ("created_at", "updated_at")


def stakeholder_history(*, stakeholder: Stakeholder, user, limit: int = 30) -> list[dict]:
    """The stakeholder's change history as ``user`` may see it, newest first.

    Each entry says who, when, what kind of change and which fields changed (old and new raw
    values; the page formats them). Snapshots taken while the stakeholder was hidden from ``user``
    are left out, so an uncleared reader never learns that it once was restricted. Costs three
    queries whatever the length of the history.
    """
    records = list(
        stakeholder.history.filter(sensitivity__in=sensitivities_visible_to(user))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    sectors_by_record = _historical_sector_codes([record.history_id for record in records])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type != "-":
            delta = record.diff_against(
                previous, excluded_fields=["sectors", *HISTORY_SKIPPED_FIELDS]
            )
            changes = [
                {"field": change.field, "old": change.old, "new": change.new}
                for change in delta.changes
            ]
            old_sectors = sectors_by_record.get(previous.history_id, [])
            new_sectors = sectors_by_record.get(record.history_id, [])
            if old_sectors != new_sectors:
                changes.append({"field": "sectors", "old": old_sectors, "new": new_sectors})
        entries.append(
            {
                "verb": CHANGE_VERBS.get(record.history_type, "changed"),
                "who": record.history_user,
                "when": record.history_date,
                "changes": changes,
                "reason": record.history_change_reason or "",
            }
        )
    return entries


def _historical_sector_codes(history_ids: list[int]) -> dict[int, list[str]]:
    """Sector codes recorded with each historical snapshot, in one query."""
    if not history_ids:
        return {}
    through = apps.get_model("stakeholders", "HistoricalStakeholder_sectors")
    codes: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(history_id__in=history_ids)
        .order_by("sector__code")
        .values_list("history_id", "sector__code")
    )
    for history_id, code in rows:
        codes.setdefault(history_id, []).append(code)
    return codes


def stakeholder_names_visible_to(user, ids) -> dict[int, str]:
    """Names of those of ``ids`` that ``user`` may see; hidden or missing ids are simply absent."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return dict(stakeholder_visible_to(user).filter(pk__in=ids).values_list("pk", "name"))
