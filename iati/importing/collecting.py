"""Reading a run's files and writing each batch (activities, organisations, outcomes, staged
aggregates, engagements)."""

from pathlib import Path

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from index.models import Engagement
from index.tasks import engagements_rescore
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import IdentifierScheme, Sensitivity
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Stakeholder
from stakeholders.names import name_display
from stakeholders.selectors import stakeholder_visible_to

from .. import mapping
from ..codelists import country_name, sector_name
from ..engagements import EngagementDraft, engagement_draft
from ..models import (
    IatiActivity,
    IatiImportRun,
    IatiStagedIdentifier,
    IatiStagedOrg,
    IatiStagedOutcome,
    IatiStagedPair,
)
from ..parser import Activity, Organisation, SkippedActivity, activities_read
from ..selectors import kind_override_table
from . import engagement_writes
from .activities import IDENTIFIER_MAX_LENGTH, _activity_from_payload, _digest
from .engagement_writes import _engagement_batch_write
from .files import _file_validate
from .organisations import _identifiers_visible, _stakeholder_new
from .outcomes import _outcomes_write, _sectors_write
from .report import ImportReport
from .sql import BATCH_SIZE, _rows_insert, _rows_update, _tables_analyze, array_literal
from .staging import STAGING_MODELS, _StagedOrgs

FLUSH_ACTIVITIES = (
    2000  # activities read between two flushes: the importer's memory is bounded by it
)


class _RunImporter:
    """Reads a run's files and writes the registry every ``FLUSH_ACTIVITIES`` activities and at
    each file's end; what stakes need across files (activities per organisation, per organisation
    × outcome, budgets per outcome) is added to the run's staging tables, and the stakes are
    written once the run's last file is in (``_run_finish``)."""

    def __init__(self, run: IatiImportRun, report: ImportReport, *, history: HistoryWriter):
        self.run, self.report, self.history = run, report, history
        self.user = run.user
        self.pending: list[tuple[Activity, str]] = []
        self.batch_identifiers: set[str] = set()
        self.overrides = kind_override_table(self.user)
        self._names_loaded: dict[str, int] | None = None
        self.to_score: list[int] = []
        # Activities read when the staging tables' statistics were last renewed (or before this
        # importer's first batch): see ``_staging_analyze``.
        self.analyzed_at = report.activities_read
        self.activities_by_id: dict[int, Activity] = {}  # the batch's activities written

    # --- reading ---------------------------------------------------------------------------

    def file_import(self, path: Path, *, progress=None, last: bool = True) -> int:
        """Validate and read one file, flushing every ``FLUSH_ACTIVITIES`` activities; returns
        the activities read. ``last``: the end of what this transaction reads (a job's one file,
        or the last of ``iati_import``'s): the batch is written and the engagements left are
        queued for scoring. Files read in one transaction share batches: a batch per file cost
        a round of lookups, upserts and history per 250 activities on the registry's layout."""
        report = self.report
        if self.run.validation != "off":
            _file_validate(path, report=report, strict=self.run.validation == "strict")
        read = 0
        for item in activities_read(path):
            read += 1
            report.activities_read += 1
            self.activity_add(item, source=path.name)
            if progress and report.activities_read % BATCH_SIZE == 0:
                progress("reading", report.activities_read, None)
        if last:
            self.reading_end()
        return read

    def reading_end(self) -> None:
        """Write the last batch and queue the scoring of the engagements not queued yet: one
        task per ``RESCORE_TASK_SIZE`` engagements of the transaction, not one per file."""
        self.flush()
        if self.to_score:
            enqueue_on_commit(engagements_rescore, self.to_score)
            self.to_score = []

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
        if item.identifier in self.batch_identifiers:
            self._repeated(item.identifier)
            return
        self.batch_identifiers.add(item.identifier)
        self.report.activities_usable += 1
        self.pending.append((item, source))
        if len(self.pending) >= FLUSH_ACTIVITIES:
            self.flush()

    def _repeated(self, identifier: str) -> None:
        self.report.counts["activities"].skipped += 1
        self.report.note("the same iati-identifier again in this import", identifier)

    # --- one batch ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write one batch: activities, organisations (staged, matched or created as
        stakeholders), sectors and outcomes, the running aggregates of stakes, engagements."""
        if not self.pending:
            return
        pending, self.pending, self.batch_identifiers = self.pending, [], set()
        seen: set[str] = set()
        identifiers = [activity.identifier for activity, _ in pending]
        for start in range(0, len(identifiers), BATCH_SIZE):
            seen.update(
                IatiStagedIdentifier.objects.filter(
                    run=self.run, identifier__in=identifiers[start : start + BATCH_SIZE]
                ).values_list("identifier", flat=True)
            )
        if seen:
            for identifier in identifiers:
                if identifier in seen:
                    self.report.activities_usable -= 1
                    self._repeated(identifier)
            pending = [
                (activity, source)
                for activity, source in pending
                if activity.identifier not in seen
            ]
        IatiStagedIdentifier.objects.bulk_create(
            [IatiStagedIdentifier(run=self.run, identifier=a.identifier) for a, _ in pending],
            batch_size=BATCH_SIZE,
        )
        gathered, engagement_ids = self._activities_write(pending)
        orgs = _StagedOrgs(self.run, gathered)
        pairs: dict[tuple[int, tuple[str, str]], list] = {}  # (slot, outcome key) → aggregates
        budgets: dict[tuple[str, str], float] = {}
        for activity in gathered:
            self._gather(activity, orgs=orgs, pairs=pairs, budgets=budgets)
        self._stakeholders_match(orgs.new)
        orgs.save()
        outcome_ids = self._outcomes_stage({key for _, key in pairs}, budgets)
        self._pairs_stage(pairs, orgs=orgs)
        self._engagements_write(engagement_ids, orgs=orgs, outcome_ids=outcome_ids)
        self._staging_analyze()

    def _staging_analyze(self) -> None:
        """``ANALYZE`` the staging tables whenever the activities read have doubled since it was
        last done: the next batches' lookups are planned on their real sizes, at a cost of about
        twenty ``ANALYZE`` for a million activities instead of one per file."""
        read = self.report.activities_read
        if read.bit_length() != self.analyzed_at.bit_length():
            _tables_analyze(STAGING_MODELS)
            self.analyzed_at = read

    def _activities_write(self, pending) -> tuple[list[Activity], list[int]]:
        """Store a batch of activities (create / update / unchanged); returns the activities as
        they count (the stored version when it is newer) and the ids whose engagement is to be
        built or compared."""
        counts = self.report.counts["activities"]
        stored = {
            row.iati_identifier: row
            for row in IatiActivity.objects.filter(
                iati_identifier__in=[activity.identifier for activity, _ in pending]
            ).only("id", "iati_identifier", "digest", "last_updated")
        }
        creates: list[tuple] = []
        updates: list[tuple] = []
        written: list[Activity] = []
        updated: list[Activity] = []
        now = timezone.now()
        kept: list[int] = []
        gathered: list[Activity] = []
        for activity, source in pending:
            payload = activity.payload()
            digest = _digest(payload)
            row = stored.get(activity.identifier)
            if row is None:
                creates.append(
                    (activity.identifier, activity.last_updated, digest, payload, source[:255])
                )
                written.append(activity)
            elif row.digest == digest:
                counts.unchanged += 1
                kept.append(row.pk)
            elif row.last_updated and (
                activity.last_updated is None or activity.last_updated < row.last_updated
            ):
                counts.skipped += 1
                self.report.note(
                    "older than the version already imported (last-updated-datetime)",
                    activity.identifier,
                )
                activity = _activity_from_payload(_payload_stored(row.pk))
                kept.append(row.pk)
            else:
                updates.append((row.pk, activity.last_updated, digest, payload, source[:255], now))
                updated.append(activity)
            gathered.append(activity)
        created = _rows_insert(
            IatiActivity,
            ["iati_identifier", "last_updated", "digest", "payload", "source"],
            creates,
        )
        _rows_update(
            IatiActivity, ["last_updated", "digest", "payload", "source", "updated_at"], updates
        )
        counts.created += len(creates)
        counts.updated += len(updates)
        ids = [*created, *(row[0] for row in updates)]
        # Those just written are at hand; the engagements' pass reads only the others' payloads.
        self.activities_by_id = dict(zip(ids, [*written, *updated], strict=True))
        linked = set(
            Engagement.objects.filter(iati_activity_id__in=kept).values_list(
                "iati_activity_id", flat=True
            )
        )
        self.report.counts["engagements"].unchanged += len(linked)
        ids.extend(pk for pk in kept if pk not in linked)
        return gathered, ids

    def _gather(self, activity: Activity, *, orgs: _StagedOrgs, pairs, budgets) -> None:
        influence: dict[int, float] = {}  # slot → strongest role
        publisher = activity.reporting_org.ref if activity.reporting_org else ""
        source = _activity_source(activity)
        first_read: list[IatiStagedOrg] = []  # new here: this activity is their source
        for org in activity.participating_orgs:
            found = orgs.get(org, source=source)
            found.role_set.add(org.role)
            if publisher:
                found.publisher_set.add(publisher)
            if found.pk is None and not hasattr(found, "source_activity"):
                first_read.append(found)
            value = mapping.influence_for_role(org.role)
            influence[found.slot] = max(influence.get(found.slot, 0.0), value)
        reporting = None
        if activity.reporting_org and (activity.reporting_org.ref or activity.reporting_org.name):
            reporting = found = orgs.get(activity.reporting_org, source=source)
            if publisher:
                found.publisher_set.add(publisher)
            if found.pk is None and not hasattr(found, "source_activity"):
                first_read.append(found)
            influence.setdefault(found.slot, mapping.REPORTING_INFLUENCE)
        for found in first_read:
            # Provenance as data (``Stakeholder.source_activity`` / ``source_publisher``).
            found.source_activity, found.publisher_row = activity.identifier, reporting
        for slot in influence:
            orgs.rows[slot].activity_count += 1
        budget = activity.budget_total if (activity.budget_total or 0) > 0 else 0.0
        for outcome in self.outcomes_of(activity):
            if budget:
                budgets[outcome] = budgets.get(outcome, 0.0) + budget
            for slot, value in influence.items():
                pair = pairs.setdefault((slot, outcome), [0, 0.0, 0.0])
                pair[0] += 1
                pair[1] = max(pair[1], value)
                pair[2] += budget

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

    # --- organisations → stakeholders ----------------------------------------------------------

    def _names(self) -> dict[str, int]:
        """Existing stakeholders the importer may see, by name key (the lowest id winning);
        those this run created are left out, as the whole import matched only the registry as it
        was before it. Loaded once per task."""
        if self._names_loaded is None:
            visible = (
                Stakeholder.objects.all()
                if self.user is None
                else stakeholder_visible_to(self.user)
            )
            visible = visible.exclude(
                pk__in=IatiStagedOrg.objects.filter(run=self.run, created_here=True).values(
                    "stakeholder_id"
                )
            )
            names: dict[str, int] = {}
            for pk, name, recorded in (
                visible.order_by("id")
                .values_list("id", "name", "recorded_name")
                .iterator(chunk_size=2000)
            ):
                names.setdefault(mapping.name_normalised(name), pk)
                if recorded:  # one shown under a clean name is still found by the recorded one
                    names.setdefault(mapping.name_normalised(recorded), pk)
            self._names_loaded = names
        return self._names_loaded

    def _stakeholders_match(self, new: list[IatiStagedOrg]) -> None:
        """Match the batch's new organisations to existing stakeholders (ref, then name) or
        create them. Kind, scope, capabilities and description are written again with the run's
        totals, and the history recorded, when the run finishes (``_run_finish``)."""
        if not new:
            return
        by_ref = _identifiers_visible([org.ref for org in new if org.ref], user=self.user)
        names = self._names()
        created: list[Stakeholder] = []
        created_orgs: list[IatiStagedOrg] = []
        for org in new:
            pk = by_ref.get(org.ref) if org.ref else None
            if pk is None:
                pk = names.get(mapping.name_normalised(org.name))
            if pk is None:  # "… Humanitarian Affairs (OCHA)" is the registry's "… Affairs"
                pk = names.get(mapping.name_normalised(name_display(org.name)[0]))
            if pk is not None:
                org.stakeholder_id = pk
                continue
            kind, _ = self.overrides.kind_for(
                ref=org.ref, org_type=org.type, publishers=sorted(org.publisher_set)
            )
            created.append(_stakeholder_new(org, kind))
            created_orgs.append(org)
        _sources_without_hidden_publishers(created)
        for start in range(0, len(created), BATCH_SIZE):
            Stakeholder.objects.bulk_create(created[start : start + BATCH_SIZE])
        for org, row in zip(created_orgs, created, strict=True):
            org.stakeholder_id, org.created_here = row.pk, True
        _publishers_link(created_orgs)
        self.report.counts["stakeholders"].created += len(created)

    # --- outcomes and stakes' running aggregates ---------------------------------------------

    def _outcomes_stage(
        self, keys: set[tuple[str, str]], budgets: dict[tuple[str, str], float]
    ) -> dict[tuple[str, str], int]:
        """Sectors and outcomes for the keys the run meets for the first time; the budgets of
        the batch added to the run's per-outcome totals. Returns key → outcome id."""
        wanted = keys | set(budgets)
        staged: dict[tuple[str, str], IatiStagedOutcome] = {}
        if wanted:
            for row in IatiStagedOutcome.objects.filter(
                run=self.run,
                sector__in={sector for sector, _ in wanted},
                country__in={country for _, country in wanted},
            ):
                staged[(row.sector, row.country)] = row
        fresh = {key for key in keys if key not in staged or staged[key].outcome_id is None}
        if fresh:
            sectors = {sector for sector, _ in fresh}
            done = set(
                IatiStagedOutcome.objects.filter(
                    run=self.run, sector__in=sectors, outcome_id__isnull=False
                ).values_list("sector", flat=True)
            )
            _sectors_write(sectors - done, report=self.report, history=self.history)
            ids = _outcomes_write(fresh, report=self.report, history=self.history)
        else:
            ids = {}
        creates, updates = [], []
        for key in wanted:
            row = staged.get(key)
            if row is None:
                creates.append(
                    IatiStagedOutcome(
                        run=self.run,
                        sector=key[0],
                        country=key[1],
                        outcome_id=ids.get(key),
                        budget=budgets.get(key, 0.0),
                    )
                )
                continue
            if key in ids:
                row.outcome_id = ids[key]
            row.budget += budgets.get(key, 0.0)
            updates.append(row)
        IatiStagedOutcome.objects.bulk_create(creates, batch_size=BATCH_SIZE)
        _rows_update(
            IatiStagedOutcome,
            ["outcome_id", "budget"],
            [(row.pk, row.outcome_id, row.budget) for row in updates],
        )
        result = {key: row.outcome_id for key, row in staged.items() if row.outcome_id}
        result.update(ids)
        return result

    def _pairs_stage(self, pairs: dict, *, orgs: _StagedOrgs) -> None:
        """Append the batch's organisation × outcome aggregates to the run's (one INSERT; the
        run's end adds up a pair's batches)."""
        rows = [
            (self.run.pk, orgs.rows[slot].pk, sector, country, count, influence, budget)
            for (slot, (sector, country)), (count, influence, budget) in pairs.items()
        ]
        if not rows:
            return
        table = IatiStagedPair._meta.db_table
        columns = "(run_id, org_id, sector, country, count, influence, budget)"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {table} {columns} SELECT * FROM unnest(%s::bigint[], "
                    f"%s::bigint[], %s::text[], %s::text[], %s::int[], %s::float8[], "
                    f"%s::float8[])",
                    [array_literal(column) for column in zip(*rows, strict=True)],
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s, %s, %s, %s)", rows
                )

    # --- engagements -----------------------------------------------------------------------

    def _engagements_write(
        self, ids: list[int], *, orgs: _StagedOrgs, outcome_ids: dict[tuple[str, str], int]
    ) -> None:
        """Create or update the engagements of the batch's activities, from their stored
        payloads. An engagement whose imported fields, participants and outcomes already match is
        left untouched. New and changed engagements are scored after commit."""
        counts = self.report.counts["engagements"]

        def stakeholder_of(org: Organisation) -> int | None:
            found = orgs.lookup(org)
            return None if found is None else found.stakeholder_id

        at_hand = self.activities_by_id
        for start in range(0, len(ids), BATCH_SIZE):
            drafts: dict[int, EngagementDraft] = {}
            chunk = ids[start : start + BATCH_SIZE]
            stored = IatiActivity.objects.filter(pk__in=[pk for pk in chunk if pk not in at_hand])
            activities = [(pk, at_hand[pk]) for pk in chunk if pk in at_hand]
            activities += [
                (pk, _activity_from_payload(payload))
                for pk, payload in stored.values_list("pk", "payload")
            ]
            for pk, activity in activities:
                draft = engagement_draft(
                    activity,
                    stakeholder_of=stakeholder_of,
                    outcome_ids=[
                        outcome_ids[key]
                        for key in self.outcomes_of(activity, note=False)
                        if key in outcome_ids
                    ],
                )
                for note in draft.notes:
                    self.report.note(note, activity.identifier)
                if draft.start_date is None:
                    counts.skipped += 1
                else:
                    drafts[pk] = draft
            self.to_score.extend(
                _engagement_batch_write(drafts, counts=counts, history=self.history)
            )
            size = engagement_writes.RESCORE_TASK_SIZE
            while len(self.to_score) >= size:
                enqueue_on_commit(engagements_rescore, self.to_score[:size])
                self.to_score = self.to_score[size:]


PUBLISHER_MARK = " of publisher "


def _sources_without_hidden_publishers(created: list[Stakeholder]) -> None:
    """A source that would name a publisher held by a restricted or confidential stakeholder
    (its ref, and the activity identifier that starts with it) says only "IATI import": the
    new stakeholder may be public, and its provenance must not point at a hidden actor."""
    refs = {
        row.source.rsplit(PUBLISHER_MARK, 1)[1] for row in created if PUBLISHER_MARK in row.source
    }
    if not refs:
        return
    hidden = set(
        ExternalIdentifier.objects.filter(scheme=IdentifierScheme.IATI_ORG, value__in=refs)
        .exclude(stakeholder__sensitivity=Sensitivity.PUBLIC)
        .values_list("value", flat=True)
    )
    hidden |= set(
        Stakeholder.objects.filter(Q(name__in=refs) | Q(recorded_name__in=refs))
        .exclude(sensitivity=Sensitivity.PUBLIC)
        .values_list("name", flat=True)
    )  # a publisher without a ref is named by its name
    for row in created:
        if PUBLISHER_MARK in row.source and row.source.rsplit(PUBLISHER_MARK, 1)[1] in hidden:
            row.source = "IATI import"


def _publishers_link(created: list[IatiStagedOrg]) -> None:
    """The stakeholders just made from organisations first read in an activity record that
    activity and its publisher: the stakeholder the reporting organisation is (matched among
    those the importer may see, or made by this import). ``stakeholders.provenance`` names the
    publisher only to readers who may see it."""
    rows = [
        (org.stakeholder_id, org.source_activity[:200], org.publisher_row.stakeholder_id)
        for org in created
        if getattr(org, "source_activity", "")
        and getattr(org, "publisher_row", None) is not None
        and org.publisher_row.stakeholder_id is not None
    ]
    _rows_update(Stakeholder, ["source_activity", "source_publisher"], rows)


def _activity_source(activity: Activity) -> str:
    """Where an organisation was read: "IATI activity X of publisher Y" (the reporting org's
    ref, else its name; left out when the activity names no reporting org)."""
    reporting = activity.reporting_org
    publisher = (reporting.ref or reporting.name) if reporting else ""
    text = f"IATI activity {activity.identifier}"
    return f"{text}{PUBLISHER_MARK}{publisher}" if publisher else text


def _payload_stored(pk: int) -> dict:
    """The stored payload of one activity (read only for a stored version newer than the file's:
    the batch's lookup leaves payloads out)."""
    return IatiActivity.objects.values_list("payload", flat=True).get(pk=pk)
