"""The whole-import IATI importer as it was before issue 21 (commit 4698370), kept as the
reference the batched importer must equal (tests/iati/test_scale.py, benchmarks/iati_import.py).
Since then it has taken the names and provenance of issue 16 as the batched importer did, and it
uses the batched importer's own functions for what the batching did not change (the report,
files, sectors, outcome and stake writes, engagements): what it keeps is the whole-import
collector and its stakeholder matching.

Original docstring: Importing IATI activity files into the registry (the one write path for IATI
data).

``iati_import`` reads the files with the streaming parser and writes, in ONE transaction:
- ``IatiActivity``: each activity as read (new → created; same content → unchanged; a different
  version → updated, unless the stored one has a later last-updated-datetime);
- stakeholders: the participating and reporting organisations, deduplicated by IATI organisation
  identifier (ref) first, then by normalised name (``mapping.name_normalised``); existing
  stakeholders are matched the same way and never overwritten — they only gain the missing
  ``ExternalIdentifier(scheme="iati_org")``; new ones get kind, scope and a toolbox from
  ``mapping``;
- sectors: the DAC 5-digit sectors the outcomes use, named from the codelist, when missing;
- outcomes: one per DAC sector × recipient country, titled "<sector name> in <country name>",
  theme from ``mapping.theme_for_sector``; existing outcomes (same title) are left as they are;
- stakes: one per organisation × outcome. interest = the share of the organisation's activities
  (in the files imported together) that work on the outcome; influence = the strongest role it
  plays in them (``mapping.INFLUENCE_BY_ROLE``), averaged with its budget share of the outcome
  where budgets are published (``mapping.influence_with_budget``). A stake that did not come from
  IATI is left alone.

- engagements of the index: one ``index.Engagement`` per activity, linked by ``iati_activity``
  (``engagements.engagement_draft``; tables in ``mapping``): created for a new activity (or one
  imported before engagements existed), updated for a newer version whose engagement differs
  (participants and outcomes replaced), left untouched for the same digest. Only the fields the
  import owns (``engagements.IMPORTED_FIELDS``) are written; facts IATI does not say stay as they
  are (unknown on a new engagement).

Writes are bulk (no per-row signals) with their change history written in bulk; once the
transaction commits, one ``registry_bulk_changed`` signal starts one full overlap run (and a
graph refresh when stakeholders changed), and the new or changed engagements are scored by
``index.tasks.engagements_rescore``, one task per ``RESCORE_TASK_SIZE`` engagements.
A file that is not XML, is truncated or is not IATI aborts the whole import: nothing is written.
"""

import dataclasses
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from iati import mapping
from iati.codelists import country_name, sector_name
from iati.engagements import EngagementDraft, engagement_draft

# What the batching did not change is the batched importer's own: the report, files, sectors,
# outcomes, the stake writes and the engagement writes (the equality is about how organisations,
# outcomes and stakes are gathered across batches, not about these).
from iati.importing import (
    VALIDATION_MODES,
    IatiImportError,
    ImportReport,
    files_expand,
    truncated_aliases,
)
from iati.importing.activities import IDENTIFIER_MAX_LENGTH, _activity_from_payload, _digest
from iati.importing.engagement_writes import RESCORE_TASK_SIZE, _engagement_batch_write
from iati.importing.files import _file_validate
from iati.importing.organisations import ROLE_NAMES
from iati.importing.outcomes import _outcomes_write, _sectors_write
from iati.importing.runs import _bulk_change_announce
from iati.importing.sql import BATCH_SIZE
from iati.importing.stakes import _stakes_write
from iati.models import IatiActivity
from iati.parser import Activity, IatiFileError, Organisation, SkippedActivity, activities_read
from iati.selectors import kind_override_table
from index.models import Engagement
from index.tasks import engagements_rescore
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import Capability, IdentifierScheme, Kind, Origin, Scope
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import (
    ExternalIdentifier,
    Stakeholder,
)
from stakeholders.names import name_display, name_is_truncation
from stakeholders.selectors import stakeholder_visible_to


@dataclasses.dataclass
class _Org:
    """One organisation as the import sees it, across all the activities that name it."""

    index: int
    ref: str
    name: str
    type: str
    roles: set[str] = dataclasses.field(default_factory=set)
    activity_count: int = 0
    # The reporting-org refs of the activities that name it (kind overrides per publisher).
    publishers: set[str] = dataclasses.field(default_factory=set)


class _Collector:
    """Everything the registry writes need, gathered while the files stream past."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.orgs: list[_Org] = []
        self.orgs_by_ref: dict[str, _Org] = {}
        self.orgs_by_name: dict[str, _Org] = {}
        # (org index, (sector, country)) → [activity count, strongest influence, budget of the
        # activities it takes part in there]
        self.pairs: dict[tuple[int, tuple[str, str]], list] = {}
        # (sector, country) → the budgets of its activities that publish one
        self.outcome_budgets: dict[tuple[str, str], float] = {}
        self.seen_identifiers: set[str] = set()
        self.pending: list[tuple[Activity, str]] = []
        # IatiActivity ids whose engagement is to be built or compared once ids are known.
        self.engagement_activity_ids: list[int] = []

    # --- activities ------------------------------------------------------------------------

    def activity_add(self, item: Activity | SkippedActivity, *, source: str) -> None:
        counts = self.report.counts["activities"]
        if isinstance(item, SkippedActivity):
            counts.skipped += 1
            self.report.note(item.reason, f"{source}, activity #{item.position}")
            return
        if len(item.identifier) > IDENTIFIER_MAX_LENGTH:
            counts.skipped += 1
            self.report.note(
                f"iati-identifier longer than {IDENTIFIER_MAX_LENGTH} characters",
                f"{source}, {item.identifier[:60]}…",
            )
            return
        if item.identifier in self.seen_identifiers:
            counts.skipped += 1
            self.report.note("the same iati-identifier again in this import", item.identifier)
            return
        self.seen_identifiers.add(item.identifier)
        self.report.activities_usable += 1
        self.pending.append((item, source))
        if len(self.pending) >= BATCH_SIZE:
            self.activities_flush()

    def activities_flush(self) -> None:
        """Store a batch of activities (create / update / unchanged) and gather what they show."""
        if not self.pending:
            return
        counts = self.report.counts["activities"]
        stored = {
            row.iati_identifier: row
            for row in IatiActivity.objects.filter(
                iati_identifier__in=[activity.identifier for activity, _ in self.pending]
            ).only("id", "iati_identifier", "digest", "last_updated", "payload")
        }
        creates, updates, now = [], [], timezone.now()
        kept: list[int] = []  # stored rows left as they are: their engagement may be missing
        for activity, source in self.pending:
            payload = activity.payload()
            digest = _digest(payload)
            row = stored.get(activity.identifier)
            if row is None:
                creates.append(
                    IatiActivity(
                        iati_identifier=activity.identifier,
                        last_updated=activity.last_updated,
                        digest=digest,
                        payload=payload,
                        source=source[:255],
                    )
                )
            elif row.digest == digest:
                counts.unchanged += 1
                kept.append(row.pk)
            elif row.last_updated and (
                activity.last_updated is None or activity.last_updated < row.last_updated
            ):
                # An older version than the one stored: keep the stored one, and let the stored
                # version (not this one) count towards stakes.
                counts.skipped += 1
                self.report.note(
                    "older than the version already imported (last-updated-datetime)",
                    activity.identifier,
                )
                activity = _activity_from_payload(row.payload)
                kept.append(row.pk)
            else:
                row.last_updated, row.digest, row.payload = activity.last_updated, digest, payload
                row.source, row.updated_at = source[:255], now
                updates.append(row)
            self._gather(activity)
        IatiActivity.objects.bulk_create(creates, batch_size=BATCH_SIZE)
        IatiActivity.objects.bulk_update(
            updates,
            ["last_updated", "digest", "payload", "source", "updated_at"],
            batch_size=BATCH_SIZE,
        )
        counts.created += len(creates)
        counts.updated += len(updates)
        self.engagement_activity_ids.extend(row.pk for row in [*creates, *updates])
        # Same content: the engagement is left untouched if it exists (made before engagements
        # existed, or deleted by hand: built again).
        linked = set(
            Engagement.objects.filter(iati_activity_id__in=kept).values_list(
                "iati_activity_id", flat=True
            )
        )
        self.report.counts["engagements"].unchanged += len(linked)
        self.engagement_activity_ids.extend(pk for pk in kept if pk not in linked)
        self.pending = []

    # --- organisations and outcomes ----------------------------------------------------------

    def _gather(self, activity: Activity) -> None:
        influence: dict[int, float] = {}
        publisher = activity.reporting_org.ref if activity.reporting_org else ""
        for org in activity.participating_orgs:
            found = self._org(org)
            found.roles.add(org.role)
            if publisher:
                found.publishers.add(publisher)
            value = mapping.influence_for_role(org.role)
            influence[found.index] = max(influence.get(found.index, 0.0), value)
        if activity.reporting_org and (activity.reporting_org.ref or activity.reporting_org.name):
            found = self._org(activity.reporting_org)
            if publisher:
                found.publishers.add(publisher)
            influence.setdefault(found.index, mapping.REPORTING_INFLUENCE)
        for index in influence:
            self.orgs[index].activity_count += 1
        budget = activity.budget_total if (activity.budget_total or 0) > 0 else 0.0
        for outcome in self.outcomes_of(activity):
            if budget:
                self.outcome_budgets[outcome] = self.outcome_budgets.get(outcome, 0.0) + budget
            for index, value in influence.items():
                pair = self.pairs.setdefault((index, outcome), [0, 0.0, 0.0])
                pair[0] += 1
                pair[1] = max(pair[1], value)
                pair[2] += budget

    def _org(self, org: Organisation) -> _Org:
        """The import's record of this organisation: by ref first, then by normalised name."""
        normalised = mapping.name_normalised(org.name)
        found = self.orgs_by_ref.get(org.ref) if org.ref else None
        if found is None and normalised:
            named = self.orgs_by_name.get(normalised)
            # A name matches an organisation with no ref, or with the same ref; two different
            # refs are two organisations even under one name ("Recipient Government").
            if named is not None and (not org.ref or not named.ref):
                found = named
                if org.ref and not named.ref:
                    named.ref = org.ref
                    self.orgs_by_ref[org.ref] = named
        if found is None:
            found = _Org(index=len(self.orgs), ref=org.ref, name=org.name or org.ref, type=org.type)
            self.orgs.append(found)
            if org.ref:
                self.orgs_by_ref[org.ref] = found
            if normalised:
                self.orgs_by_name.setdefault(normalised, found)
        if not found.type and org.type:
            found.type = org.type
        if not found.name and org.name:
            found.name = org.name
        elif org.name and found.name != org.name and name_is_truncation(found.name, org.name):
            found.name = org.name  # the full narrative over one cut at a field limit
        return found

    def org_index(self, org: Organisation) -> int | None:
        """The index ``_org`` gave this organisation while reading (a lookup; nothing is added).

        Every ref read is in ``orgs_by_ref``; an organisation without one was matched by its
        normalised name, first come first served, exactly as ``_org`` did.
        """
        if org.ref:
            found = self.orgs_by_ref.get(org.ref)
        else:
            found = self.orgs_by_name.get(mapping.name_normalised(org.name))
        return None if found is None else found.index

    def outcomes_of(self, activity: Activity, *, note: bool = True) -> list[tuple[str, str]]:
        """The (DAC sector, country) outcome keys of an activity; unknown codes are noted in the
        report on the first pass only (the engagements' pass asks again with ``note=False``)."""
        report_note = self.report.note if note else (lambda reason, detail=None: None)
        sectors = []
        for code, _ in activity.sectors:
            if sector_name(code) is None:
                report_note(f"unknown DAC sector code {code}: no outcome for it")
            else:
                sectors.append(code)
        countries = []
        for code, _ in activity.recipient_countries:
            if country_name(code) is None:
                report_note(f"unknown country code {code}: no outcome for it")
            else:
                countries.append(code)
        if not sectors or not countries:
            report_note("activity without a DAC 5-digit sector and a recipient country")
        return [(sector, country) for sector in dict.fromkeys(sectors) for country in countries]


def iati_import(
    *,
    paths: Iterable[str | Path],
    user=None,
    on_progress: Callable[[str, int, int | None], None] | None = None,
    validation: str = "report",
) -> ImportReport:
    """Import IATI activity files (or folders of ``*.xml``) into the registry, all or nothing.

    ``validation``: "report" (default) checks each file against the official schema of its
    version (``validation.file_problems``) and lists each problem with its line in the report,
    importing every activity the parser can still use; "strict" refuses the whole import when a
    file has any schema problem; "off" does not validate.

    ``user`` is recorded in the change history and decides which existing stakeholders the
    import may match by name (``stakeholder_visible_to``); without a user (the command line run
    by an administrator) every stakeholder is matched. Raises ``IatiImportError`` — with the DB
    unchanged — for a missing path, a file that is not XML, is truncated or is not IATI.
    """
    if validation not in VALIDATION_MODES:
        raise ApplicationError(
            f"validation must be one of {', '.join(VALIDATION_MODES)}, not {validation!r}.",
            "validation",
        )
    started = time.perf_counter()
    files = files_expand(paths)
    report = ImportReport(files=[str(path) for path in files])
    progress = on_progress or (lambda phase, done, total: None)
    try:
        with transaction.atomic():
            collector = _Collector(report)
            for path in files:
                if validation != "off":
                    _file_validate(path, report=report, strict=validation == "strict")
                for item in activities_read(path):
                    report.activities_read += 1
                    collector.activity_add(item, source=path.name)
                    if report.activities_read % BATCH_SIZE == 0:
                        progress("reading", report.activities_read, None)
            collector.activities_flush()
            progress("writing", report.activities_read, report.activities_read)
            history = HistoryWriter(user=user, reason="IATI import")
            stakeholder_of_org, outcome_ids = _registry_write(collector, user=user, history=history)
            progress("engagements", report.activities_read, report.activities_read)
            _engagements_write(
                collector,
                stakeholder_of_org=stakeholder_of_org,
                outcome_ids=outcome_ids,
                history=history,
            )
            _bulk_change_announce(report)
    except IatiFileError as error:
        raise IatiImportError(f"Nothing was imported: {error.path}: {error.reason}.") from None
    report.seconds = time.perf_counter() - started
    return report


def _registry_write(
    collector: _Collector, *, user, history: HistoryWriter
) -> tuple[dict[int, int], dict[tuple[str, str], int]]:
    """Stakeholders, sectors, outcomes and stakes; returns org index → stakeholder id and
    (sector, country) → outcome id, which the engagements need."""
    report = collector.report
    stakeholder_of_org = _stakeholders_write(collector, user=user, history=history)
    outcome_keys = {outcome for _, outcome in collector.pairs}
    _sectors_write({sector for sector, _ in outcome_keys}, report=report, history=history)
    outcome_ids = _outcomes_write(outcome_keys, report=report, history=history)
    # Interest and influence per stakeholder × outcome; two records of one organisation that
    # matched the same stakeholder keep the larger share and the stronger role.
    wanted: dict[tuple[int, int], tuple[float, float]] = {}
    while collector.pairs:  # popped, so that the two tables are not held in full at once
        (index, outcome), (count, role_influence, budget) = collector.pairs.popitem()
        org = collector.orgs[index]
        key = (stakeholder_of_org[index], outcome_ids[outcome])
        interest = round(count / org.activity_count, 4)
        influence = mapping.influence_with_budget(
            role_influence, budget, collector.outcome_budgets.get(outcome, 0.0)
        )
        old = wanted.get(key)
        wanted[key] = (
            (interest, influence)
            if old is None
            else (max(old[0], interest), max(old[1], influence))
        )
    _stakes_write(wanted, report=report, history=history)
    return stakeholder_of_org, outcome_ids


def _stakeholders_write(collector: _Collector, *, user, history: HistoryWriter) -> dict[int, int]:
    """Match or create a stakeholder for every organisation; returns org index → stakeholder id."""
    report = collector.report
    counts, id_counts = report.counts["stakeholders"], report.counts["identifiers"]
    refs = [org.ref for org in collector.orgs if org.ref]
    visible = Stakeholder.objects.all() if user is None else stakeholder_visible_to(user)
    by_ref: dict[str, int] = {}
    for start in range(0, len(refs), BATCH_SIZE):
        by_ref.update(
            # Only the stakeholders the importer may see, the lowest id winning (a later duplicate
            # is one to merge): matching a hidden one would tell in the report that it exists.
            ExternalIdentifier.objects.filter(
                scheme=IdentifierScheme.IATI_ORG,
                value__in=refs[start : start + BATCH_SIZE],
                stakeholder__in=visible,
            )
            .order_by("-stakeholder_id")
            .values_list("value", "stakeholder_id")
        )
    by_name: dict[str, int] = {}
    for pk, name, recorded in (
        visible.order_by("id").values_list("id", "name", "recorded_name").iterator(chunk_size=2000)
    ):
        by_name.setdefault(mapping.name_normalised(name), pk)
        if recorded:  # a stakeholder shown under a clean name is still found by the recorded one
            by_name.setdefault(mapping.name_normalised(recorded), pk)

    result: dict[int, int] = {}
    matched: list[_Org] = []
    new: list[_Org] = []
    aliases = truncated_aliases([(org.ref, org.name) for org in collector.orgs])
    folded: dict[int, int] = {}
    for org in collector.orgs:
        pk = by_ref.get(org.ref) if org.ref else None
        if pk is None:
            pk = by_name.get(mapping.name_normalised(org.name))
        if pk is None:  # "… Humanitarian Affairs (OCHA)" is the registry's "… Humanitarian Affairs"
            pk = by_name.get(mapping.name_normalised(name_display(org.name)[0]))
        if pk is None and org.index in aliases:  # one stakeholder with the full name's
            target = aliases[org.index]
            while target in folded:
                target = folded[target]
            folded[org.index] = target
            full = collector.orgs[target]
            if org.ref and not full.ref:
                full.ref, org.ref = org.ref, ""
            continue
        if pk is None:
            new.append(org)
        else:
            result[org.index] = pk
            matched.append(org)

    created = []
    overrides = kind_override_table(user)
    for org in new:
        kind, note = overrides.kind_for(
            ref=org.ref, org_type=org.type, publishers=sorted(org.publishers)
        )
        if note:
            report.note(note, org.name)
        capabilities = Capability(0)
        for role in org.roles:
            capabilities |= mapping.CAPABILITY_BY_ROLE.get(role, Capability(0))
        display, acronym = name_display(org.name)
        created.append(
            Stakeholder(
                name=display[:300],
                recorded_name=org.name[:500],
                acronym=acronym[:40],
                origin=Origin.IATI,
                source="IATI import",
                kind=kind,
                scope=mapping.SCOPE_BY_ORG_TYPE.get(org.type, Scope.NATIONAL),
                capabilities=capabilities,
                description=_org_description(org, kind),
            )
        )
    for start in range(0, len(created), BATCH_SIZE):
        batch = Stakeholder.objects.bulk_create(created[start : start + BATCH_SIZE])
        history.record(Stakeholder, [row.pk for row in batch], history_type="+")
    for org, row in zip(new, created, strict=True):
        result[org.index] = row.pk
    for index, target in folded.items():
        while target in folded:
            target = folded[target]
        result[index] = result[target]
    counts.created += len(created)

    # The ref kept as an external id, for new stakeholders and matched ones that lack it.
    identifiers = [
        ExternalIdentifier(
            stakeholder_id=result[org.index], scheme=IdentifierScheme.IATI_ORG, value=org.ref[:200]
        )
        for org in [*new, *matched]
        if org.ref and org.ref not in by_ref
    ]
    for start in range(0, len(identifiers), BATCH_SIZE):
        batch = ExternalIdentifier.objects.bulk_create(identifiers[start : start + BATCH_SIZE])
        history.record(ExternalIdentifier, [row.pk for row in batch], history_type="+")
    id_counts.created += len(identifiers)
    id_counts.unchanged += sum(1 for org in collector.orgs if org.ref and org.ref in by_ref)
    gained = {row.stakeholder_id for row in identifiers} - {row.pk for row in created}
    counts.updated += len(gained)
    counts.unchanged += len({result[org.index] for org in matched} - gained)
    return result


def _org_description(org: _Org, kind: str) -> str:
    roles = ", ".join(
        sorted({ROLE_NAMES.get(role, role) for role in org.roles if role}) or ["reporting"]
    )
    activities = "activity" if org.activity_count == 1 else "activities"
    text = f"Imported from IATI activity data ({org.activity_count} {activities}; roles: {roles})."
    if org.type not in mapping.KIND_BY_ORG_TYPE or org.type == "90":
        text += f" IATI organisation type {org.type or 'missing'}: recorded as {Kind(kind).label}."
    return text


def _engagements_write(
    collector: _Collector,
    *,
    stakeholder_of_org: dict[int, int],
    outcome_ids: dict[tuple[str, str], int],
    history: HistoryWriter,
) -> None:
    """Create or update the engagements of the activities read, a batch at a time.

    The activities come back from their stored payloads (the files are not read twice, and only
    one batch of payloads is in memory). An engagement whose imported fields, participants and
    outcomes already match is left untouched. New and changed engagements are scored after commit.
    """
    report = collector.report
    counts = report.counts["engagements"]
    ids = collector.engagement_activity_ids
    collector.engagement_activity_ids = []

    def stakeholder_of(org: Organisation) -> int | None:
        index = collector.org_index(org)
        return None if index is None else stakeholder_of_org.get(index)

    to_score: list[int] = []
    for start in range(0, len(ids), BATCH_SIZE):
        drafts: dict[int, EngagementDraft] = {}
        for pk, payload in IatiActivity.objects.filter(
            pk__in=ids[start : start + BATCH_SIZE]
        ).values_list("pk", "payload"):
            activity = _activity_from_payload(payload)
            draft = engagement_draft(
                activity,
                stakeholder_of=stakeholder_of,
                outcome_ids=[
                    outcome_ids[key]
                    for key in collector.outcomes_of(activity, note=False)
                    if key in outcome_ids
                ],
            )
            for note in draft.notes:
                report.note(note, activity.identifier)
            if draft.start_date is None:
                counts.skipped += 1
            else:
                drafts[pk] = draft
        changed = _engagement_batch_write(drafts, counts=counts, history=history)
        to_score.extend(changed)
        while len(to_score) >= RESCORE_TASK_SIZE:
            enqueue_on_commit(engagements_rescore, to_score[:RESCORE_TASK_SIZE])
            to_score = to_score[RESCORE_TASK_SIZE:]
    if to_score:
        enqueue_on_commit(engagements_rescore, to_score)
