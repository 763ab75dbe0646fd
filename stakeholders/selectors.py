"""Reads of the registry. Every page, API view, export and job starts from these.

The restriction rule of DESIGN.md ("do no harm") lives here and only here: restricted and
confidential stakeholders, and everything hanging off them, exist only for cleared people.
"""

from collections.abc import Iterable
from itertools import chain

from django.apps import apps
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, Greatest

from accounts.roles import CLEARANCE_PERMISSION
from accounts.selectors import two_factor_passed

from .choices import Audience, Sensitivity
from .models import MergeRecord, Outcome, Stake, Stakeholder, Tag, Tie
from .stake_history import stake_history_seen, stake_recorder


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


def audience_of(user) -> str:
    """The audience whose derived data ``user`` reads: ``cleared`` or ``public``."""
    return Audience.CLEARED if user_is_cleared(user) else Audience.PUBLIC


def sensitivities_of_audience(audience: str) -> list[str]:
    """The sensitivities of the stakeholders whose data goes into what ``audience`` reads."""
    if audience == Audience.CLEARED:
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


def stakeholder_dates_as_seen(queryset: QuerySet[Stakeholder], *, user) -> QuerySet[Stakeholder]:
    """``queryset`` with ``seen_created_at``: when each stakeholder came into ``user``'s view.

    For cleared people its creation. For the others, an actor that was restricted before it was
    made public began when it was made public: its earlier existence is not theirs to know.
    """
    if user_is_cleared(user):
        return queryset.annotate(seen_created_at=F("created_at"))
    first_seen = Stakeholder.history.filter(
        id=OuterRef("pk"), sensitivity=Sensitivity.PUBLIC
    ).order_by("history_date", "history_id")
    return queryset.annotate(
        first_seen_type=Subquery(first_seen.values("history_type")[:1]),
        first_seen_at=Subquery(first_seen.values("history_date")[:1]),
    ).annotate(
        seen_created_at=Case(
            When(Q(first_seen_type="+") | Q(first_seen_type__isnull=True), then=F("created_at")),
            default=F("first_seen_at"),
        )
    )


def _first_seen_public(end: str) -> Subquery:
    """When the stakeholder at ``end`` (an id field of the outer row) was first recorded public."""
    return Subquery(
        Stakeholder.history.filter(id=OuterRef(end), sensitivity=Sensitivity.PUBLIC)
        .order_by("history_date", "history_id")
        .values("history_date")[:1]
    )


def relation_dates_as_seen(queryset: QuerySet, *, user, ends: tuple[str, ...]) -> QuerySet:
    """Stakes or ties (``ends``: their stakeholder id fields) with ``seen_created_at``: when each
    came into ``user``'s view. For cleared people its creation; for the others not before each
    of its actors was first public (a stake recorded while its actor was restricted began, for
    them, when the actor was made public: ``stakeholder_dates_as_seen``)."""
    if user_is_cleared(user):
        return queryset.annotate(seen_created_at=F("created_at"))
    return queryset.annotate(
        seen_created_at=Greatest(
            F("created_at"),
            *(Coalesce(_first_seen_public(end), F("created_at")) for end in ends),
        )
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


def relation_history_as_seen(
    records: QuerySet, *, user, ends: tuple[str, ...], at: str = "history_date"
) -> QuerySet:
    """History records of stakes or ties (``ends``: their stakeholder id fields) without those
    from a time one of their actors was hidden from ``user``: they did not exist for them.

    Such a time is anything up to the actor's last hidden version, and anything recorded while
    that version held (after it, until the actor was made visible). ``at`` names the field
    that says when a record was made (``created_at`` for rows that are their own history)."""
    allowed = sensitivities_visible_to(user)
    if len(allowed) == len(Sensitivity.values):
        return records
    for index, end in enumerate(ends):
        until, then = f"hidden_until_{index}", f"sensitivity_then_{index}"
        records = records.alias(
            **{
                until: Subquery(
                    Stakeholder.history.filter(id=OuterRef(end))
                    .exclude(sensitivity__in=allowed)
                    .order_by("-history_date")
                    .values("history_date")[:1]
                ),
                then: Subquery(
                    Stakeholder.history.filter(id=OuterRef(end), history_date__lte=OuterRef(at))
                    .order_by("-history_date")
                    .values("sensitivity")[:1]
                ),
            }
        ).filter(
            Q(**{f"{until}__isnull": True}) | Q(**{f"{at}__gt": F(until), f"{then}__in": allowed})
        )
    return records


def stake_history_as_seen(records: QuerySet, *, user, part: str = "all") -> QuerySet:
    """Stake history records as ``user`` could have seen them, with when, whether it reads as
    recorded and who made it, for them (``stake_history.stake_history_seen``): a declassified
    actor's stakes begin, for the uncleared, as recorded when it was made public."""
    return stake_history_seen(records, allowed=sensitivities_visible_to(user), part=part)


REGISTRY_CHANGE_KINDS = ("stakeholder", "outcome", "stake", "tie")


def registry_recent_changes(
    *, user, limit: int = 12, before=None, kinds: Iterable[str] = REGISTRY_CHANGE_KINDS
) -> list:
    """The latest changes to the registry that ``user`` may see, newest first (older than
    ``before`` if given; of the given ``kinds`` of record only).

    A change to a stakeholder (or to a stake or tie of it) is shown only while that stakeholder is
    visible to the user now, so a record that was public and became restricted disappears too.
    """
    kinds = set(kinds)
    visible_ids = stakeholder_visible_to(user).values("id")
    allowed = sensitivities_visible_to(user)
    stakes = Stake.history.filter(stakeholder_id__in=visible_ids)
    ties = Tie.history.filter(
        from_stakeholder_id__in=visible_ids, to_stakeholder_id__in=visible_ids
    )
    ties = relation_history_as_seen(
        ties, user=user, ends=("from_stakeholder_id", "to_stakeholder_id")
    )
    earlier_seen = Stakeholder.history.filter(
        id=OuterRef("id"), sensitivity__in=allowed, history_date__lt=OuterRef("history_date")
    )
    # Each change is placed when it happened for this reader (``seen_at``): a declassified
    # actor's stakes, when it was made public.
    at = {"seen_at": F("history_date")}
    stake_related = ("stakeholder", "outcome")
    histories = [
        (
            "stakeholder",
            Stakeholder.history.filter(id__in=visible_ids, sensitivity__in=allowed).annotate(
                seen_before=Exists(earlier_seen), **at
            ),
            (),
        ),
        (
            "outcome",
            # Whether the outcome still has a page: one deleted since (or archived by a deletion,
            # which reads as deleted) is named without a link, whichever way it went.
            Outcome.history.annotate(
                is_live=Exists(Outcome.objects.filter(pk=OuterRef("id"), archived_at__isnull=True)),
                **at,
            ),
            (),
        ),
        ("stake", stake_history_as_seen(stakes, user=user, part="visible"), stake_related),
        # Stakes recorded while their actor was hidden, begun when it was made public: read
        # apart, from the few actors ever hidden, so the long history above keeps its index.
        ("stake", stake_history_as_seen(stakes, user=user, part="carried"), stake_related),
        ("tie", ties.annotate(**at), ("from_stakeholder", "to_stakeholder")),
    ]
    # Changes made at the same moment (one request, one import) are ordered by kind and record id,
    # never left to the database: an order that the rows of hidden actors could shift would
    # change which of them make the cut (ids of visible records keep their relative order).
    rank = {kind: position for position, (kind, _, _) in reversed(list(enumerate(histories)))}
    records = chain.from_iterable(
        (
            (rank[kind], record)
            for record in (history.filter(seen_at__lt=before) if before is not None else history)
            .select_related("history_user", *related)
            .order_by("-seen_at", "-id", "-history_id")[:limit]
        )
        for kind, history, related in histories
        if kind in kinds
    )
    ordered = sorted(
        records, key=lambda item: (item[1].seen_at, -item[0], item[1].id), reverse=True
    )
    return [record for _, record in ordered[:limit]]


CHANGE_VERBS = {"+": "created", "~": "changed", "-": "deleted"}


def describe_change(record) -> dict:
    """A registry history record as a line a person can read (no extra queries)."""
    model = record.instance_type
    verb = CHANGE_VERBS.get(record.history_type, "changed")
    who = record.history_user
    if model is Stakeholder:
        label, url_object = record.name, record
        if record.history_type == "~" and getattr(record, "seen_before", True) is False:
            verb = CHANGE_VERBS["+"]  # hidden from this reader before: for them it began here
    elif model is Outcome:
        label, url_object = record.title, record
        if record.archived_at is None and getattr(record, "is_live", True) is False:
            # Deleted (or archived by a deletion) since: named, without a page to link to.
            return {
                "what": model._meta.verbose_name,
                "label": label,
                "verb": verb,
                "who": record.history_user,
                "when": record.history_date,
                "url": None,
            }
        if record.archived_at is not None:
            # Archived by someone's deletion: to everyone's reads it was deleted.
            return {
                "what": model._meta.verbose_name,
                "label": label,
                "verb": CHANGE_VERBS["-"],
                "who": record.history_user,
                "when": record.history_date,
                "url": None,
            }
    elif model is Stake:
        label = f"{record.stakeholder.name} → {_outcome_title(record)}"
        url_object = record.stakeholder
        if getattr(record, "seen_first", False):
            verb = CHANGE_VERBS["+"]  # its actor hidden from this reader before: it began here
        who = stake_recorder(record) if hasattr(record, "seen_by_id") else who
    else:
        kind = dict(Tie.Kind.choices).get(record.kind, record.kind).lower()
        label = f"{record.from_stakeholder.name} {kind} {record.to_stakeholder.name}"
        url_object = record.from_stakeholder
    return {
        "what": model._meta.verbose_name,
        "label": label,
        "verb": verb,
        "who": who,
        "when": getattr(record, "seen_at", record.history_date),
        "url": None if record.history_type == "-" else _url_of(url_object),
    }


def _outcome_title(record) -> str:
    """The title of a stake record's outcome, also once the outcome is gone (deleted, or archived:
    both read as deleted) — from the outcome's own last history record."""
    outcome = record.outcome
    if outcome is not None and outcome.archived_at is None:
        return outcome.title
    last = (
        Outcome.history.filter(id=record.outcome_id, archived_at__isnull=True)
        .order_by("-history_date", "-history_id")
        .values_list("title", flat=True)
        .first()
    )
    return last or "a deleted outcome"


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
HISTORY_SKIPPED_FIELDS = ("created_at", "updated_at", "archived_at", "archived_by")


def stakeholder_history(*, stakeholder: Stakeholder, user, limit: int | None = 30) -> list[dict]:
    """The stakeholder's change history as ``user`` may see it, newest first.

    Each entry says who, when, what kind of change and which fields changed (old and new raw
    values; the page formats them). Snapshots taken while the stakeholder was hidden from ``user``
    are left out, so an uncleared reader never learns that it once was restricted. Costs four
    queries whatever the length of the history.
    """
    records = (
        stakeholder.history.filter(sensitivity__in=sensitivities_visible_to(user))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    records = list(records if limit is None else records[: limit + 1])
    if limit is None:
        limit = len(records)
    sectors_by_record = _historical_sector_codes([record.history_id for record in records])
    tags_by_record = _historical_tag_names([record.history_id for record in records])
    # A parent the reader may not see is, for them, no parent at all: the change that set it is
    # no change (DESIGN.md: as if the hidden actor had never existed).
    parent_ids = {record.parent_id for record in records if record.parent_id is not None}
    shown_parents = set(stakeholder_names_visible_to(user, parent_ids))
    all_fetched = len(records) <= limit
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        verb = CHANGE_VERBS.get(record.history_type, "changed")
        if previous is None and all_fetched and record.history_type == "~":
            # Its earlier snapshots are hidden from this reader: for them it began here.
            verb = CHANGE_VERBS["+"]
        if previous is not None and record.history_type != "-":
            delta = record.diff_against(
                previous, excluded_fields=["sectors", "tags", *HISTORY_SKIPPED_FIELDS]
            )
            for change in delta.changes:
                old, new = change.old, change.new
                if change.field == "parent":
                    old = old if old in shown_parents else None
                    new = new if new in shown_parents else None
                if old != new:
                    changes.append({"field": change.field, "old": old, "new": new})
            old_sectors = sectors_by_record.get(previous.history_id, [])
            new_sectors = sectors_by_record.get(record.history_id, [])
            if old_sectors != new_sectors:
                changes.append({"field": "sectors", "old": old_sectors, "new": new_sectors})
            old_tags = tags_by_record.get(previous.history_id, [])
            new_tags = tags_by_record.get(record.history_id, [])
            if old_tags != new_tags:
                changes.append({"field": "tags", "old": old_tags, "new": new_tags})
            if not changes and record.history_type == "~":
                continue  # nothing this reader may see changed
        entries.append(
            {
                "history_id": record.history_id,
                "verb": verb,
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


def _historical_tag_names(history_ids: list[int]) -> dict[int, list[str]]:
    """Tag names recorded with each historical snapshot, in one query (as the sectors above)."""
    if not history_ids:
        return {}
    through = apps.get_model("stakeholders", "HistoricalStakeholder_tags")
    names: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(history_id__in=history_ids)
        .order_by("tag__name")
        .values_list("history_id", "tag__name")
    )
    for history_id, name in rows:
        names.setdefault(history_id, []).append(name)
    return names


def stakeholder_names_visible_to(user, ids) -> dict[int, str]:
    """Names of those of ``ids`` that ``user`` may see; hidden or missing ids are simply absent."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return dict(stakeholder_visible_to(user).filter(pk__in=ids).values_list("pk", "name"))


SEARCH_RESULTS = 20


def stakeholder_search(*, user, query: str, limit: int = SEARCH_RESULTS) -> list[dict]:
    """Type-ahead: stakeholders ``user`` may see whose name or acronym contains ``query`` (two
    characters at least), names first by where the match starts."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    kinds = dict(Stakeholder.Kind.choices)
    rows = (
        stakeholder_visible_to(user)
        .filter(Q(name__icontains=query) | Q(acronym__iexact=query))
        .order_by("name", "id")
        .values("id", "name", "acronym", "kind", "country")[: limit * 3]
    )
    lowered = query.lower()
    ranked = sorted(rows, key=lambda r: (not r["name"].lower().startswith(lowered), r["name"]))

    def label(row) -> str:
        return " · ".join(
            x for x in (row["acronym"], kinds.get(row["kind"], ""), row["country"]) if x
        )

    return [{"id": r["id"], "name": r["name"], "label": label(r)} for r in ranked[:limit]]


def outcome_search(*, query: str, limit: int = SEARCH_RESULTS) -> list[dict]:
    """Type-ahead over the outcomes in use (they are public)."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    rows = Outcome.objects.filter(title__icontains=query).order_by("title", "id")[:limit]
    return [{"id": o.pk, "name": o.title, "label": o.get_theme_display()} for o in rows]


def merge_record_visible_to(user) -> QuerySet[MergeRecord]:
    """Merge records ``user`` may see. For people not cleared: those whose records were all
    public when merged and are all public now (a merge never reveals a hidden actor). Merges of
    outcomes (public) are everyone's; what they moved of hidden actors' rows is marked in the
    record (``restricted_summary``), for cleared readers only."""
    records = MergeRecord.objects.select_related(
        "survivor", "outcome_survivor", "merged_by", "undone_by"
    )
    if user_is_cleared(user):
        return records
    candidates = records.filter(involves_restricted=False).filter(
        Q(survivor__sensitivity=Sensitivity.PUBLIC) | Q(outcome_survivor__isnull=False)
    )
    merged = dict(candidates.filter(survivor__isnull=False).values_list("pk", "merged_ids"))
    ids = {pk for merged_ids in merged.values() for pk in merged_ids}
    hidden = set(
        Stakeholder.all_objects.filter(pk__in=ids)
        .exclude(sensitivity=Sensitivity.PUBLIC)
        .values_list("pk", flat=True)
    )
    return candidates.exclude(pk__in=[pk for pk, m in merged.items() if hidden & set(m)])


def tags_visible_to(user) -> QuerySet:
    """The tags carried by a stakeholder ``user`` may see or by an outcome in use: the options
    a tag filter or picker offers. A tag only hidden actors carry is not listed (nor counted)."""
    return Tag.objects.filter(
        Q(pk__in=Tag.objects.filter(stakeholders__in=stakeholder_visible_to(user)).values("pk"))
        | Q(pk__in=Tag.objects.filter(outcomes__in=Outcome.objects.all()).values("pk"))
    ).order_by("name")
