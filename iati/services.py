"""Importing IATI activity files into the registry (the one write path for IATI data).

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
import datetime as dt
import hashlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from index.models import Engagement, EngagementParticipant
from index.tasks import engagements_rescore
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import Capability, IdentifierScheme, Kind, Origin, Scope
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import (
    ExternalIdentifier,
    Outcome,
    Sector,
    Stake,
    Stakeholder,
)
from stakeholders.names import name_display, name_is_truncation, name_normalise, names_fullest
from stakeholders.selectors import stakeholder_visible_to
from stakeholders.signals import registry_bulk_changed

from . import mapping
from .codelists import country_name, sector_name
from .engagements import IMPORTED_FIELDS, EngagementDraft, engagement_draft
from .models import (
    IatiActivity,
    IatiImportFile,
    IatiImportRun,
    IatiStagedIdentifier,
    IatiStagedOrg,
    IatiStagedOutcome,
    IatiStagedPair,
)
from .parser import Activity, IatiFileError, Organisation, SkippedActivity, activities_read
from .selectors import kind_override_table
from .validation import file_problems

STAKE_SOURCE = "IATI activity data"
SAMPLE_FILE = Path(__file__).resolve().parent / "sample" / "dportal-covid-401-activities.xml"
BATCH_SIZE = 500
RESCORE_TASK_SIZE = 2000  # engagements scored by one engagements_rescore task
PROBLEM_KINDS_KEPT = 1000  # distinct schema messages counted one by one
DETAILS_KEPT = 100  # skipped items listed one by one in the report; the rest are only counted
IDENTIFIER_MAX_LENGTH = IatiActivity._meta.get_field("iati_identifier").max_length


class IatiImportError(ApplicationError):
    """The import was refused as a whole (nothing written); the message says which file and why."""

    def __init__(self, message: str):
        super().__init__(message, "paths")


@dataclasses.dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclasses.dataclass
class ImportReport:
    """What one import did: counts per kind of row, and why anything was skipped or noted."""

    files: list[str] = dataclasses.field(default_factory=list)
    activities_read: int = 0
    counts: dict[str, Counts] = dataclasses.field(
        default_factory=lambda: {
            name: Counts()
            for name in (
                "activities",
                "stakeholders",
                "identifiers",
                "sectors",
                "outcomes",
                "stakes",
                "engagements",
            )
        }
    )
    # Reasons → how often; and the first DETAILS_KEPT skipped items with what they were.
    notes: Counter = dataclasses.field(default_factory=Counter)
    skipped: list[str] = dataclasses.field(default_factory=list)
    # Schema problems (``validation``): how many, by message, and the first DETAILS_KEPT with
    # their file and line.
    problem_count: int = 0
    problem_kinds: Counter = dataclasses.field(default_factory=Counter)
    problems: list[str] = dataclasses.field(default_factory=list)
    # Activities that got past reading (an identifier, not repeated): stored, or kept as stored.
    activities_usable: int = 0
    seconds: float = 0.0

    def problem(self, problem, *, source: str) -> None:
        self.problem_count += 1
        # Messages quote values ("'1,200,000' is not a valid…"): their variety is capped.
        if problem.message in self.problem_kinds or len(self.problem_kinds) < PROBLEM_KINDS_KEPT:
            self.problem_kinds[problem.message] += 1
        else:
            self.problem_kinds["(other messages)"] += 1
        if len(self.problems) < DETAILS_KEPT:
            self.problems.append(f"{source}, {problem}")

    @property
    def failure(self) -> str | None:
        """Why nothing could be imported, naming the commonest reasons; None when something
        was. A file of activities that were all skipped is a failure, not "0 imported"."""
        if self.activities_usable:
            return None
        if not self.activities_read:
            return "Nothing was imported: the files hold no <iati-activity>."
        reasons = "; ".join(f"{count:,} × {reason}" for reason, count in self.notes.most_common(3))
        return (
            f"Nothing was imported: none of the {self.activities_read:,} activities read could "
            f"be used. Commonest reasons: {reasons or 'none noted'}."
        )

    def as_json(self) -> dict:
        """The report as JSON, kept on a run between its tasks."""
        data = dataclasses.asdict(self)
        data["counts"] = {name: dataclasses.asdict(counts) for name, counts in self.counts.items()}
        data["notes"], data["problem_kinds"] = dict(self.notes), dict(self.problem_kinds)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ImportReport":
        report = cls(**{key: value for key, value in data.items() if key not in ("counts",)})
        report.counts = {name: Counts(**value) for name, value in data["counts"].items()}
        report.notes, report.problem_kinds = Counter(data["notes"]), Counter(data["problem_kinds"])
        return report

    def note(self, reason: str, detail: str | None = None) -> None:
        self.notes[reason] += 1
        if detail is not None and len(self.skipped) < DETAILS_KEPT:
            self.skipped.append(f"{detail}: {reason}")

    @property
    def changed(self) -> int:
        return sum(counts.created + counts.updated for counts in self.counts.values())

    def lines(self) -> list[str]:
        """The report as plain lines, for the command line and logs."""
        out = [f"Files: {', '.join(self.files)}", f"Activities read: {self.activities_read:,}"]
        for name, counts in self.counts.items():
            out.append(
                f"  {name:<12} created {counts.created:>6,}  updated {counts.updated:>6,}  "
                f"unchanged {counts.unchanged:>6,}  skipped {counts.skipped:>6,}"
            )
        if self.problem_count:
            out.append(
                f"Schema problems (official IATI schema of each file's version): "
                f"{self.problem_count:,}; commonest:"
            )
            out.extend(
                f"  {count:>6,} × {message}"
                for message, count in self.problem_kinds.most_common(10)
            )
            out.append(f"Schema problems with their lines (first {DETAILS_KEPT}):")
            out.extend(f"  {line}" for line in self.problems)
        if self.notes:
            out.append("Notes (why skipped, or what was assumed):")
            out.extend(f"  {count:>6,} × {reason}" for reason, count in self.notes.most_common())
        if self.skipped:
            out.append(f"Details (first {DETAILS_KEPT}):")
            out.extend(f"  {line}" for line in self.skipped)
        return out


FLUSH_ACTIVITIES = (
    2000  # activities read between two flushes: the importer's memory is bounded by it
)


class _StagedOrgs:
    """The run's staged organisations that one batch of activities names, found and added as the
    old whole-import collector did: by ref first, then by name key (``mapping.name_normalised``).

    A name joins an organisation without a ref, or an unreferenced name joins the first
    organisation of the run with that name; two different refs stay two organisations even under
    one name ("Recipient Government"). An organisation without a ref that meets its ref later
    takes it.
    """

    def __init__(self, run: IatiImportRun, activities: list[Activity]):
        self.run = run
        refs, keys = set(), set()
        for activity in activities:
            for org in _orgs_named(activity):
                if org.ref:
                    refs.add(org.ref)
                key = mapping.name_normalised(org.name)
                if key:
                    keys.add(key)
        rows: list[IatiStagedOrg] = []
        ref_list, key_list = sorted(refs), sorted(keys)
        for start in range(0, max(len(ref_list), len(key_list)), BATCH_SIZE):
            rows.extend(
                IatiStagedOrg.objects.filter(run=run).filter(
                    Q(ref__in=ref_list[start : start + BATCH_SIZE])
                    | Q(name_owner=True, name_key__in=key_list[start : start + BATCH_SIZE])
                )
            )
        self.by_ref: dict[str, IatiStagedOrg] = {}
        self.by_name: dict[str, IatiStagedOrg] = {}
        self.loaded: dict[int, IatiStagedOrg] = {}
        # Every organisation of the batch by its slot (rows not yet saved have no pk to hash).
        self.rows: list[IatiStagedOrg] = []
        for row in rows:
            if row.pk in self.loaded:
                continue
            row.role_set, row.publisher_set = set(row.roles), set(row.publishers)
            row.slot = len(self.rows)
            self.rows.append(row)
            self.loaded[row.pk] = row
            if row.ref:
                self.by_ref[row.ref] = row
            if row.name_owner:
                self.by_name[row.name_key] = row
        self.new: list[IatiStagedOrg] = []

    def get(self, org: Organisation) -> IatiStagedOrg:
        normalised = mapping.name_normalised(org.name)
        found = self.by_ref.get(org.ref) if org.ref else None
        if found is None and normalised:
            named = self.by_name.get(normalised)
            if named is not None and (not org.ref or not named.ref):
                found = named
                if org.ref and not named.ref:
                    named.ref = org.ref
                    self.by_ref[org.ref] = named
        if found is None:
            found = IatiStagedOrg(
                run=self.run,
                ref=org.ref,
                name=org.name or org.ref,
                type=org.type,
                name_key=normalised,
                name_owner=bool(normalised) and normalised not in self.by_name,
            )
            found.role_set, found.publisher_set = set(), set()
            found.slot = len(self.rows)
            self.rows.append(found)
            self.new.append(found)
            if org.ref:
                self.by_ref[org.ref] = found
            if normalised:
                self.by_name.setdefault(normalised, found)
        if not found.type and org.type:
            found.type = org.type
        if not found.name and org.name:
            found.name = org.name
        elif org.name and found.name != org.name and name_is_truncation(found.name, org.name):
            found.name = org.name  # the full narrative over one cut at a field limit
        return found

    def lookup(self, org: Organisation) -> IatiStagedOrg | None:
        """The organisation ``get`` gave for ``org`` (nothing is added)."""
        if org.ref:
            return self.by_ref.get(org.ref)
        return self.by_name.get(mapping.name_normalised(org.name))

    def save(self) -> None:
        for row in [*self.loaded.values(), *self.new]:
            row.roles, row.publishers = sorted(row.role_set), sorted(row.publisher_set)
        for start in range(0, len(self.new), BATCH_SIZE):
            IatiStagedOrg.objects.bulk_create(self.new[start : start + BATCH_SIZE])
        _rows_update(
            IatiStagedOrg,
            ["ref", "name", "type", "roles", "publishers", "activity_count"],
            [
                (row.pk, row.ref, row.name, row.type, row.roles, row.publishers, row.activity_count)
                for row in self.loaded.values()
            ],
        )


def _orgs_named(activity: Activity) -> list[Organisation]:
    orgs = list(activity.participating_orgs)
    if activity.reporting_org and (activity.reporting_org.ref or activity.reporting_org.name):
        orgs.append(activity.reporting_org)
    return orgs


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

    # --- reading ---------------------------------------------------------------------------

    def file_import(self, path: Path, *, progress=None) -> int:
        """Validate and read one file, flushing as it goes and at its end; returns the
        activities read."""
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
        self.flush()
        _tables_analyze(STAGING_MODELS)  # planner statistics for the next file's lookups
        if self.to_score:
            enqueue_on_commit(engagements_rescore, self.to_score)
            self.to_score = []
        return read

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

    def _activities_write(self, pending) -> tuple[list[Activity], list[int]]:
        """Store a batch of activities (create / update / unchanged); returns the activities as
        they count (the stored version when it is newer) and the ids whose engagement is to be
        built or compared."""
        counts = self.report.counts["activities"]
        stored = {
            row.iati_identifier: row
            for row in IatiActivity.objects.filter(
                iati_identifier__in=[activity.identifier for activity, _ in pending]
            ).only("id", "iati_identifier", "digest", "last_updated", "payload")
        }
        creates, updates, now = [], [], timezone.now()
        kept: list[int] = []
        gathered: list[Activity] = []
        for activity, source in pending:
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
            gathered.append(activity)
        IatiActivity.objects.bulk_create(creates, batch_size=BATCH_SIZE)
        IatiActivity.objects.bulk_update(
            updates,
            ["last_updated", "digest", "payload", "source", "updated_at"],
            batch_size=BATCH_SIZE,
        )
        counts.created += len(creates)
        counts.updated += len(updates)
        ids = [row.pk for row in [*creates, *updates]]
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
        for org in activity.participating_orgs:
            found = orgs.get(org)
            found.role_set.add(org.role)
            if publisher:
                found.publisher_set.add(publisher)
            value = mapping.influence_for_role(org.role)
            influence[found.slot] = max(influence.get(found.slot, 0.0), value)
        if activity.reporting_org and (activity.reporting_org.ref or activity.reporting_org.name):
            found = orgs.get(activity.reporting_org)
            if publisher:
                found.publisher_set.add(publisher)
            influence.setdefault(found.slot, mapping.REPORTING_INFLUENCE)
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
        for start in range(0, len(created), BATCH_SIZE):
            Stakeholder.objects.bulk_create(created[start : start + BATCH_SIZE])
        for org, row in zip(created_orgs, created, strict=True):
            org.stakeholder_id, org.created_here = row.pk, True
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
        """Add the batch's organisation × outcome aggregates to the run's (one upsert)."""
        rows = [
            (self.run.pk, orgs.rows[slot].pk, sector, country, count, influence, budget)
            for (slot, (sector, country)), (count, influence, budget) in pairs.items()
        ]
        if not rows:
            return
        table = IatiStagedPair._meta.db_table
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        update = (
            f"ON CONFLICT (org_id, sector, country) DO UPDATE SET "
            f"count = {table}.count + EXCLUDED.count, "
            f"influence = {greatest}({table}.influence, EXCLUDED.influence), "
            f"budget = {table}.budget + EXCLUDED.budget"
        )
        columns = "(run_id, org_id, sector, country, count, influence, budget)"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {table} {columns} SELECT * FROM unnest(%s::bigint[], "
                    f"%s::bigint[], %s::text[], %s::text[], %s::int[], %s::float8[], "
                    f"%s::float8[]) {update}",
                    [list(column) for column in zip(*rows, strict=True)],
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s, %s, %s, %s) {update}",
                    rows,
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
            while len(self.to_score) >= RESCORE_TASK_SIZE:
                enqueue_on_commit(engagements_rescore, self.to_score[:RESCORE_TASK_SIZE])
                self.to_score = self.to_score[RESCORE_TASK_SIZE:]


def _identifiers_visible(refs: list[str], *, user) -> dict[str, int]:
    """IATI ref → the stakeholder the importer may see that holds it (the lowest id winning: a
    later duplicate is one to merge; matching a hidden one would tell that it exists)."""
    visible = Stakeholder.objects.all() if user is None else stakeholder_visible_to(user)
    by_ref: dict[str, int] = {}
    for start in range(0, len(refs), BATCH_SIZE):
        by_ref.update(
            ExternalIdentifier.objects.filter(
                scheme=IdentifierScheme.IATI_ORG,
                value__in=refs[start : start + BATCH_SIZE],
                stakeholder__in=visible,
            )
            .order_by("-stakeholder_id")
            .values_list("value", "stakeholder_id")
        )
    return by_ref


def _stakeholder_new(org: IatiStagedOrg, kind: str) -> Stakeholder:
    capabilities = Capability(0)
    for role in org.role_set:
        capabilities |= mapping.CAPABILITY_BY_ROLE.get(role, Capability(0))
    display, acronym = name_display(org.name)
    return Stakeholder(
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


def truncated_aliases(orgs: list[tuple[str, str]]) -> dict[int, int]:
    """For organisations given as ``(ref, name)`` in the order met: each one whose name is
    another's cut short ("…Community, Tanzani"), when their refs do not tell them apart, mapped
    (by position) to the first organisation with the fullest name (``names.names_fullest``)."""
    fullest = names_fullest(name for _, name in orgs)
    if not fullest:
        return {}
    first: dict[str, int] = {}
    for position, (_, name) in enumerate(orgs):
        first.setdefault(name, position)
    result: dict[int, int] = {}
    for position, (ref, name) in enumerate(orgs):
        target = first.get(fullest.get(name, ""))
        if target is None or target == position or (ref and orgs[target][0]):
            continue
        result[position] = target
    return result


def _truncated_aliases_fold(*, run: IatiImportRun, report: ImportReport) -> set[int]:
    """Organisations the run created under a name that another of its organisations gives in
    full are one stakeholder, named in full, as the whole import made them: the cut one's
    stakeholder is folded into the full one's (its participations moved, the stronger role kept
    where both took part) before stakes are written. Returns the folded staged organisations."""
    orgs = list(
        IatiStagedOrg.objects.filter(run=run)
        .order_by("pk")
        .only("pk", "ref", "name", "stakeholder_id", "created_here")
    )
    aliases = truncated_aliases([(org.ref, org.name) for org in orgs])
    folded: dict[int, int] = {}
    for position, target in sorted(aliases.items()):
        if not orgs[position].created_here:
            continue
        while target in folded:
            target = folded[target]
        folded[position] = target
    if not folded:
        return set()
    historical = EngagementParticipant.history.model
    for position, target in folded.items():
        org, full = orgs[position], orgs[target]
        old, new = org.stakeholder_id, full.stakeholder_id
        if org.ref and not full.ref:
            full.ref, org.ref = org.ref, ""
        # The full one's participations by engagement: (row, role).
        kept = {
            engagement_id: (pk, role)
            for pk, engagement_id, role in EngagementParticipant.objects.filter(
                stakeholder_id=new
            ).values_list("pk", "engagement_id", "role")
        }
        moved, dropped = [], []
        for pk, engagement_id, role in EngagementParticipant.objects.filter(
            stakeholder_id=old
        ).values_list("pk", "engagement_id", "role"):
            if engagement_id not in kept:
                moved.append(pk)
                continue
            dropped.append(pk)
            target_pk, target_role = kept[engagement_id]
            stronger = mapping.participant_role_stronger(target_role, role)
            if stronger != target_role:
                EngagementParticipant.objects.filter(pk=target_pk).update(role=stronger)
        EngagementParticipant.objects.filter(pk__in=moved).update(stakeholder_id=new)
        historical.objects.filter(id__in=moved).update(stakeholder_id=new)
        EngagementParticipant.objects.filter(pk__in=dropped).delete()
        historical.objects.filter(id__in=dropped).delete()
        Stakeholder.objects.filter(pk=old).delete()
        # Made by this run and folded before its history was written: it never existed.
        Stakeholder.history.model.objects.filter(id=old).delete()
        org.stakeholder_id, org.created_here = new, False
        IatiStagedOrg.objects.filter(pk=org.pk).update(
            ref=org.ref, stakeholder_id=new, created_here=False
        )
        IatiStagedOrg.objects.filter(pk=full.pk).update(ref=full.ref)
    report.counts["stakeholders"].created -= len(folded)
    return {orgs[position].pk for position in folded}


def _run_finish(*, run: IatiImportRun, report: ImportReport, history: HistoryWriter) -> None:
    """Once every file of the run is in: the stakeholders the run created get the kind, scope,
    capabilities and description of the run's totals (and their history), matched ones the IATI
    ref they lack, and the stakes are written from the staged aggregates, a chunk of outcomes at
    a time — the same result as one pass over all the files."""
    user = run.user
    overrides = kind_override_table(user)
    counts, id_counts = report.counts["stakeholders"], report.counts["identifiers"]
    folded = _truncated_aliases_fold(run=run, report=report)
    matched: set[int] = set()
    gained: set[int] = set()
    last = 0
    while True:
        chunk = list(IatiStagedOrg.objects.filter(run=run, pk__gt=last).order_by("pk")[:BATCH_SIZE])
        if not chunk:
            break
        last = chunk[-1].pk
        updated = []
        chunk = [org for org in chunk if org.pk not in folded]
        for org in chunk:
            org.role_set, org.publisher_set = set(org.roles), set(org.publishers)
            if not org.created_here:
                matched.add(org.stakeholder_id)
                continue
            kind, note = overrides.kind_for(
                ref=org.ref, org_type=org.type, publishers=sorted(org.publisher_set)
            )
            if note:
                report.note(note, org.name)
            row = _stakeholder_new(org, kind)
            row.pk = org.stakeholder_id
            updated.append(row)
        # The name too: a later file may have given the full narrative of a name cut short.
        _rows_update(
            Stakeholder,
            ["kind", "scope", "capabilities", "description", "name", "recorded_name", "acronym",
             "normalised_name"],
            [
                (row.pk, row.kind, row.scope, int(row.capabilities), row.description, row.name,
                 row.recorded_name, row.acronym, name_normalise(row.name)[:300])
                for row in updated
            ],
        )  # fmt: skip
        history.record(Stakeholder, [row.pk for row in updated], history_type="+")
        by_ref = _identifiers_visible([org.ref for org in chunk if org.ref], user=user)
        identifiers = [
            ExternalIdentifier(
                stakeholder_id=org.stakeholder_id,
                scheme=IdentifierScheme.IATI_ORG,
                value=org.ref[:200],
            )
            for org in chunk
            if org.ref and org.ref not in by_ref
        ]
        batch = ExternalIdentifier.objects.bulk_create(identifiers)
        history.record(ExternalIdentifier, [row.pk for row in batch], history_type="+")
        id_counts.created += len(identifiers)
        id_counts.unchanged += sum(1 for org in chunk if org.ref and org.ref in by_ref)
        gained.update(
            org.stakeholder_id
            for org in chunk
            if not org.created_here and org.ref and org.ref not in by_ref
        )
    counts.updated += len(gained)
    counts.unchanged += len(matched - gained)
    _stakes_from_staging(run=run, report=report, history=history)
    _bulk_change_announce(report)


def _stakes_from_staging(
    *, run: IatiImportRun, report: ImportReport, history: HistoryWriter
) -> None:
    """interest = the organisation's activities on the outcome over all its activities in the
    run; influence = its strongest role, averaged with its budget share of the outcome. Two
    organisations that matched one stakeholder keep the larger share and the stronger role."""
    outcomes = list(
        IatiStagedOutcome.objects.filter(run=run, outcome_id__isnull=False)
        .order_by("outcome_id", "sector", "country")
        .values_list("sector", "country", "outcome_id", "budget")
    )
    step = max(1, BATCH_SIZE // 10)
    start = 0
    while start < len(outcomes):
        end = min(start + step, len(outcomes))
        # Keys that share an outcome (one title) stay in one chunk: their stakes are merged.
        while end < len(outcomes) and outcomes[end][2] == outcomes[end - 1][2]:
            end += 1
        chunk = outcomes[start:end]
        start = end
        info = {
            (sector, country): (outcome_id, budget) for sector, country, outcome_id, budget in chunk
        }
        keys = Q()
        for sector, country in info:
            keys |= Q(sector=sector, country=country)
        wanted: dict[tuple[int, int], tuple[float, float]] = {}
        for sector, country, stakeholder_id, activity_count, count, role_influence, budget in (
            IatiStagedPair.objects.filter(keys, run=run)
            .values_list(
                "sector",
                "country",
                "org__stakeholder_id",
                "org__activity_count",
                "count",
                "influence",
                "budget",
            )
            .iterator(chunk_size=5000)
        ):
            outcome_id, outcome_budget = info[(sector, country)]
            interest = round(count / activity_count, 4)
            influence = mapping.influence_with_budget(role_influence, budget, outcome_budget)
            key = (stakeholder_id, outcome_id)
            old = wanted.get(key)
            wanted[key] = (
                (interest, influence)
                if old is None
                else (max(old[0], interest), max(old[1], influence))
            )
        _stakes_write(wanted, report=report, history=history)


def _rows_update(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE rows (pk, *values of ``fields``) in one statement per ``BATCH_SIZE`` rows: Django's
    ``bulk_update`` builds a CASE per field and row, which cost more than the whole import."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    columns = [model._meta.get_field(name) for name in fields]
    json_fields = {i for i, field in enumerate(columns) if field.get_internal_type() == "JSONField"}
    rows = [
        tuple(json.dumps(value) if i - 1 in json_fields else value for i, value in enumerate(row))
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            chunk = rows[start : start + BATCH_SIZE]
            if connection.vendor == "postgresql":
                names = ["pk", *(f"v{i}" for i in range(len(columns)))]
                types = [pk.db_type(connection), *(field.db_type(connection) for field in columns)]
                sets = ", ".join(
                    f"{quote(field.column)} = v.v{i}" for i, field in enumerate(columns)
                )
                arrays = ", ".join(
                    f"%s::text[]::{kind}[]" if kind == "jsonb" else f"%s::{kind}[]"
                    for kind in types
                )
                cursor.execute(
                    f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "
                    f"WHERE {table}.{quote(pk.column)} = v.pk",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
            else:
                sets = ", ".join(f"{quote(field.column)} = %s" for field in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s",
                    [(*row[1:], row[0]) for row in chunk],
                )


def _run_staging_delete(run: IatiImportRun) -> None:
    """The run's working tables, deleted without loading them (no signals hang on them)."""
    for model in (IatiStagedPair, IatiStagedOutcome, IatiStagedIdentifier, IatiStagedOrg):
        model.objects.filter(run=run)._raw_delete(model.objects.db)


def _org_description(org: IatiStagedOrg, kind: str) -> str:
    roles = ", ".join(
        sorted({ROLE_NAMES.get(role, role) for role in org.role_set if role}) or ["reporting"]
    )
    activities = "activity" if org.activity_count == 1 else "activities"
    text = f"Imported from IATI activity data ({org.activity_count} {activities}; roles: {roles})."
    if org.type not in mapping.KIND_BY_ORG_TYPE or org.type == "90":
        text += f" IATI organisation type {org.type or 'missing'}: recorded as {Kind(kind).label}."
    return text


ROLE_NAMES = {"1": "funding", "2": "accountable", "3": "extending", "4": "implementing"}


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

    Memory is bounded by a batch (``FLUSH_ACTIVITIES``), not by the import: the registry is
    written every batch, and what stakes need across the files is kept in staging tables, deleted
    before the transaction commits. ``iati_run_create`` + ``iati_run_step`` do the same as a job
    of one transaction per file.
    """
    _validation_check(validation)
    started = time.perf_counter()
    files = files_expand(paths)
    report = ImportReport(files=[str(path) for path in files])
    progress = on_progress or (lambda phase, done, total: None)
    try:
        with transaction.atomic():
            run = IatiImportRun.objects.create(
                token=secrets.token_hex(16), user=user, validation=validation
            )
            history = HistoryWriter(user=user, reason="IATI import")
            importer = _RunImporter(run, report, history=history)
            for path in files:
                importer.file_import(path, progress=progress)
            progress("writing", report.activities_read, report.activities_read)
            _run_finish(run=run, report=report, history=history)
            _run_staging_delete(run)
            run.delete()
    except IatiFileError as error:
        raise IatiImportError(f"Nothing was imported: {error.path}: {error.reason}.") from None
    if report.changed >= ANALYZE_AFTER_ROWS:
        _tables_analyze(FILLED_MODELS)
    report.seconds = time.perf_counter() - started
    return report


ANALYZE_AFTER_ROWS = (
    5000  # rows written by an import past which the planner's statistics are renewed
)
STAGING_MODELS = (IatiStagedOrg, IatiStagedPair, IatiStagedOutcome, IatiStagedIdentifier)


def _filled_models():
    return (
        IatiActivity,
        Stakeholder,
        ExternalIdentifier,
        Outcome,
        Stake,
        Engagement,
        EngagementParticipant,
        Engagement.outcomes.through,
    )


FILLED_MODELS = _filled_models()


def _tables_analyze(models) -> None:
    """``ANALYZE`` (PostgreSQL): a large import changes the tables' sizes by orders of magnitude,
    and where autovacuum is off or late the planner would go on planning them as they were."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _validation_check(validation: str) -> None:
    if validation not in VALIDATION_MODES:
        raise ApplicationError(
            f"validation must be one of {', '.join(VALIDATION_MODES)}, not {validation!r}.",
            "validation",
        )


def iati_run_create(
    *, paths: Iterable[str | Path], user=None, validation: str = "report"
) -> IatiImportRun:
    """A run of several files, imported one file per transaction by ``iati_run_step`` (one
    Celery task per file, ``iati.jobs``). Raises ``IatiImportError`` for a missing path."""
    _validation_check(validation)
    files = files_expand(paths)
    with transaction.atomic():
        run = IatiImportRun.objects.create(
            token=secrets.token_hex(16),
            user=user,
            validation=validation,
            # Names only: the report is shown on the job's page, the server's folders are not.
            report=ImportReport(files=[path.name for path in files]).as_json(),
        )
        IatiImportFile.objects.bulk_create(
            [
                IatiImportFile(run=run, position=position, path=str(path))
                for position, path in enumerate(files)
            ]
        )
    return run


def iati_run_step(*, run_id: int) -> str | None:
    """Import the run's next waiting file in one transaction, or finish the run when none is
    left; returns "file", "done", "failed" or None (nothing to do: finished or gone).

    Safe to repeat and to resume after a killed worker: a file is marked done in the
    transaction that imports it, so a file cut short is rolled back and read again; a file with
    the content (SHA-256) of one already done in the run is skipped.
    """
    started = time.perf_counter()
    try:
        with transaction.atomic():
            run = IatiImportRun.objects.select_for_update().filter(pk=run_id).first()
            if run is None or run.status != IatiImportRun.Status.RUNNING:
                return None
            report = ImportReport.from_json(run.report)
            history = HistoryWriter(user=run.user, reason="IATI import")
            file = (
                run.files.filter(status=IatiImportFile.Status.PENDING).order_by("position").first()
            )
            if file is None:
                _run_finish(run=run, report=report, history=history)
                _run_staging_delete(run)
                run.status = (
                    IatiImportRun.Status.FAILED if report.failure else IatiImportRun.Status.DONE
                )
                run.error = report.failure or ""
                run.report, run.finished_at = report.as_json(), timezone.now()
                run.save(update_fields=["status", "error", "report", "finished_at"])
                if report.changed >= ANALYZE_AFTER_ROWS:
                    _tables_analyze(FILLED_MODELS)
                return run.status
            path = Path(file.path)
            if not path.is_file():
                raise IatiImportError(f"Nothing more was imported: {path} is gone.")
            file.digest = file_digest(path)
            if run.files.filter(status=IatiImportFile.Status.DONE, digest=file.digest).exists():
                file.status = IatiImportFile.Status.SKIPPED
            else:
                file.activities = _RunImporter(run, report, history=history).file_import(path)
                file.status = IatiImportFile.Status.DONE
            file.seconds = round(time.perf_counter() - started, 2)
            file.save(update_fields=["digest", "status", "activities", "seconds"])
            run.report = report.as_json()
            run.save(update_fields=["report"])
            return "file"
    except (IatiFileError, IatiImportError) as error:
        message = (
            f"{error.path}: {error.reason}." if isinstance(error, IatiFileError) else str(error)
        )
        # The file's transaction is rolled back; files done before it stay, and so does their
        # staging: the run can be resumed once the file is fixed.
        IatiImportRun.objects.filter(pk=run_id).update(
            status=IatiImportRun.Status.FAILED, error=message
        )
        return "failed"


def iati_run_resume(*, run: IatiImportRun) -> IatiImportRun:
    """A failed or interrupted run, set to go on from its first file not done."""
    if run.status == IatiImportRun.Status.DONE:
        raise ApplicationError("This import is finished; there is nothing to resume.", "token")
    IatiImportRun.objects.filter(pk=run.pk).update(status=IatiImportRun.Status.RUNNING, error="")
    run.refresh_from_db()
    return run


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


VALIDATION_MODES = ("report", "strict", "off")


def _file_validate(path: Path, *, report: ImportReport, strict: bool) -> None:
    """Add the file's schema problems to the report; strict: refuse the import on the first."""
    for problem in file_problems(path):
        if strict:
            raise IatiImportError(
                f"Nothing was imported: {path} does not validate against the IATI schema of its "
                f"version (--strict): {problem}."
            )
        report.problem(problem, source=path.name)


def files_expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml" and p.is_file())
            if not found:
                raise IatiImportError(f"Nothing was imported: {path} holds no .xml file.")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise IatiImportError(f"Nothing was imported: {path} is neither a file nor a folder.")
    if not files:
        raise IatiImportError("Nothing was imported: no file given.")
    return files


def _sectors_write(codes: set[str], *, report: ImportReport, history: HistoryWriter) -> None:
    counts = report.counts["sectors"]
    existing = set(Sector.objects.filter(code__in=codes).values_list("code", flat=True))
    created = Sector.objects.bulk_create(
        [Sector(code=code, name=sector_name(code)[:200]) for code in sorted(codes - existing)]
    )
    history.record(Sector, [row.pk for row in created], history_type="+")
    counts.created += len(created)
    counts.unchanged += len(existing)


def outcome_title(sector: str, country: str) -> str:
    """The outcome's title for a DAC sector × recipient country: "<sector> in <country>"."""
    return f"{sector_name(sector)} in {country_name(country)}"[:300]


def _outcomes_write(
    keys: set[tuple[str, str]], *, report: ImportReport, history: HistoryWriter
) -> dict[tuple[str, str], int]:
    counts = report.counts["outcomes"]
    sector_ids = dict(
        Sector.objects.filter(code__in={sector for sector, _ in keys}).values_list("code", "id")
    )
    titles = {key: outcome_title(*key) for key in keys}
    existing: dict[str, int] = {}
    all_titles = sorted(set(titles.values()))
    for start in range(0, len(all_titles), BATCH_SIZE):
        existing.update(
            Outcome.objects.filter(title__in=all_titles[start : start + BATCH_SIZE]).values_list(
                "title", "id"
            )
        )
    new = {}
    for key, title in sorted(titles.items()):
        if title not in existing and title not in new:
            sector, country = key
            new[title] = Outcome(
                title=title,
                theme=mapping.theme_for_sector(sector),
                geography=country_name(country)[:200],
                countries=[country],
                origin=Origin.IATI,
                source="IATI import",
                sector_id=sector_ids.get(sector),
                description=(
                    f"Actors working on OECD DAC sector {sector} ({sector_name(sector)}) in "
                    f"{country_name(country)}, as IATI activity data shows."
                ),
            )
    rows = list(new.values())
    for start in range(0, len(rows), BATCH_SIZE):
        batch = Outcome.objects.bulk_create(rows[start : start + BATCH_SIZE])
        history.record(Outcome, [row.pk for row in batch], history_type="+")
    existing.update({row.title: row.pk for row in rows})
    counts.created += len(rows)
    counts.unchanged += len(set(all_titles)) - len(rows)
    return {key: existing[title] for key, title in titles.items()}


def _stakes_write(
    wanted: dict[tuple[int, int], tuple[float, float]],
    *,
    report: ImportReport,
    history: HistoryWriter,
) -> None:
    """Create or update the stakes, a batch of outcomes at a time (bounded model instances)."""
    counts = report.counts["stakes"]
    by_outcome: dict[int, list[tuple[int, float, float]]] = {}
    while wanted:
        (stakeholder_id, outcome_id), (interest, influence) = wanted.popitem()
        by_outcome.setdefault(outcome_id, []).append((stakeholder_id, interest, influence))
    outcome_ids = sorted(by_outcome)
    now = timezone.now()
    step = max(1, BATCH_SIZE // 10)
    for start in range(0, len(outcome_ids), step):
        chunk = outcome_ids[start : start + step]
        existing = {
            (stake.stakeholder_id, stake.outcome_id): stake
            for stake in Stake.objects.filter(outcome_id__in=chunk).only(
                "id", "stakeholder_id", "outcome_id", "interest", "influence", "source"
            )
        }
        creates, updates = [], []
        for outcome_id in chunk:
            for stakeholder_id, interest, influence in sorted(by_outcome[outcome_id]):
                stake = existing.get((stakeholder_id, outcome_id))
                if stake is None:
                    creates.append(
                        Stake(
                            stakeholder_id=stakeholder_id,
                            outcome_id=outcome_id,
                            interest=interest,
                            influence=influence,
                            source=STAKE_SOURCE,
                            origin=Origin.IATI,
                        )
                    )
                elif stake.source != STAKE_SOURCE:
                    counts.skipped += 1
                    report.note("a stake recorded another way already exists: left as it is")
                elif (
                    abs(stake.interest - interest) > 1e-9 or abs(stake.influence - influence) > 1e-9
                ):
                    stake.interest, stake.influence, stake.updated_at = interest, influence, now
                    updates.append(stake)
                else:
                    counts.unchanged += 1
        for first in range(0, len(creates), BATCH_SIZE):
            batch = Stake.objects.bulk_create(creates[first : first + BATCH_SIZE])
            history.record(Stake, [row.pk for row in batch], history_type="+")
        for first in range(0, len(updates), BATCH_SIZE):
            batch = updates[first : first + BATCH_SIZE]
            Stake.objects.bulk_update(batch, ["interest", "influence", "updated_at"])
            history.record(Stake, [row.pk for row in batch], history_type="~")
        counts.created += len(creates)
        counts.updated += len(updates)


def _engagement_batch_write(
    drafts: dict[int, EngagementDraft], *, counts: Counts, history: HistoryWriter
) -> list[int]:
    """Write one batch of drafts (activity id → draft); returns the engagements created or
    changed. A few queries per batch, whatever its size."""
    if not drafts:
        return []
    existing = {
        row["iati_activity_id"]: row
        for row in Engagement.objects.filter(iati_activity_id__in=list(drafts)).values(
            "id", "iati_activity_id", *IMPORTED_FIELDS
        )
    }
    engagement_ids = [row["id"] for row in existing.values()]
    participants: dict[int, set[tuple[int, str]]] = {pk: set() for pk in engagement_ids}
    participant_ids: dict[int, list[int]] = {pk: [] for pk in engagement_ids}
    for pk, engagement_id, stakeholder_id, role in EngagementParticipant.objects.filter(
        engagement_id__in=engagement_ids
    ).values_list("pk", "engagement_id", "stakeholder_id", "role"):
        participants[engagement_id].add((stakeholder_id, role))
        participant_ids[engagement_id].append(pk)
    through = Engagement.outcomes.through
    outcomes: dict[int, set[int]] = {pk: set() for pk in engagement_ids}
    for engagement_id, outcome_id in through.objects.filter(
        engagement_id__in=engagement_ids
    ).values_list("engagement_id", "outcome_id"):
        outcomes[engagement_id].add(outcome_id)

    now = timezone.now()
    creates: list[tuple[Engagement, EngagementDraft]] = []
    updates: list[tuple[Engagement, EngagementDraft]] = []
    for activity_id, draft in drafts.items():
        row = existing.get(activity_id)
        if row is None:
            creates.append((Engagement(iati_activity_id=activity_id, **draft.fields()), draft))
            continue
        fields = draft.fields()
        if (
            all(row[name] == value for name, value in fields.items())
            and participants[row["id"]] == set(draft.participants)
            and outcomes[row["id"]] == set(draft.outcome_ids)
        ):
            counts.unchanged += 1
            continue
        updates.append((Engagement(pk=row["id"], updated_at=now, **fields), draft))

    if creates or updates:
        # Bulk writes send no signal: retire the scores API's remembered answers.
        from index.generation import scores_changed

        scores_changed()
    created = Engagement.objects.bulk_create([engagement for engagement, _ in creates])
    Engagement.objects.bulk_update(
        [engagement for engagement, _ in updates], [*IMPORTED_FIELDS, "updated_at"]
    )
    # Participants and outcomes of changed engagements are replaced as a whole.
    replaced = [engagement.pk for engagement, _ in updates]
    gone = [pk for engagement_id in replaced for pk in participant_ids[engagement_id]]
    _record_in_chunks(history, EngagementParticipant, gone, history_type="-")
    _participants_delete(gone)
    through.objects.filter(engagement_id__in=replaced).delete()
    written = [*creates, *updates]
    new_participants = EngagementParticipant.objects.bulk_create(
        [
            EngagementParticipant(engagement_id=engagement.pk, stakeholder_id=pk, role=role)
            for engagement, draft in written
            for pk, role in draft.participants
        ]
    )
    through.objects.bulk_create(
        [
            through(engagement_id=engagement.pk, outcome_id=outcome_id)
            for engagement, draft in written
            for outcome_id in draft.outcome_ids
        ]
    )
    history_ids = history.record(Engagement, [row.pk for row in created], history_type="+")
    history_ids += history.record(Engagement, replaced, history_type="~")
    _engagement_outcomes_history(history_ids)
    _record_in_chunks(
        history, EngagementParticipant, [row.pk for row in new_participants], history_type="+"
    )
    counts.created += len(created)
    counts.updated += len(updates)
    return [engagement.pk for engagement, _ in written]


def _record_in_chunks(history: HistoryWriter, model, pks: list[int], *, history_type: str):
    for start in range(0, len(pks), BATCH_SIZE):
        history.record(model, pks[start : start + BATCH_SIZE], history_type=history_type)


def _participants_delete(pks: list[int]) -> None:
    """Delete participants in bulk: their history is written in bulk just before, so the
    per-row delete signals (one history INSERT per row) are bypassed on purpose."""
    quote = connection.ops.quote_name
    table, pk = quote(EngagementParticipant._meta.db_table), quote("id")
    for start in range(0, len(pks), BATCH_SIZE):
        chunk = pks[start : start + BATCH_SIZE]
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})", chunk
            )


def _engagement_outcomes_history(history_ids: list[int]) -> None:
    """The outcomes each engagement record had, as simple_history keeps m2m fields."""
    if not history_ids:
        return
    quote = connection.ops.quote_name
    through = Engagement.outcomes.through
    history = Engagement.history.model
    outcome_history = history.outcomes.model
    columns = ", ".join(
        quote(outcome_history._meta.get_field(name).column)
        for name in ("id", "engagement", "outcome", "history")
    )
    t_id, t_engagement, t_outcome = (
        quote(through._meta.get_field(name).column) for name in ("id", "engagement", "outcome")
    )
    h_pk, h_id = quote(history._meta.pk.column), quote(history._meta.get_field("id").column)
    for start in range(0, len(history_ids), BATCH_SIZE):
        chunk = history_ids[start : start + BATCH_SIZE]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(outcome_history._meta.db_table)} ({columns}) "
                f"SELECT t.{t_id}, t.{t_engagement}, t.{t_outcome}, h.{h_pk} "
                f"FROM {quote(through._meta.db_table)} t "
                f"JOIN {quote(history._meta.db_table)} h ON h.{h_id} = t.{t_engagement} "
                f"WHERE h.{h_pk} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )


def _bulk_change_announce(report: ImportReport) -> None:
    """Once committed, one signal: the overlap engine starts one full run (not one per stake).

    Stakeholders are announced first when they changed: the graph refreshes its snapshot for
    them (it ignores stakes), and the overlap engine starts its run for either kind.
    """
    counts = report.counts
    stakes = counts["stakes"].created + counts["stakes"].updated
    stakeholders = counts["stakeholders"].created + counts["stakeholders"].updated
    if stakeholders:
        kind, count = "stakeholders", stakeholders
    elif stakes:
        kind, count = "stakes", stakes
    else:
        return
    transaction.on_commit(
        lambda: registry_bulk_changed.send(sender=IatiActivity, kind=kind, count=count)
    )


def _digest(payload: dict) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _activity_from_payload(payload: dict) -> Activity:
    """The stored version of an activity, back as the parser's dataclass."""

    def org(data):
        return Organisation(**data) if data else None

    return Activity(
        identifier=payload["identifier"],
        last_updated=dt.datetime.fromisoformat(payload["last_updated"])
        if payload.get("last_updated")
        else None,
        version=payload.get("version", ""),
        default_currency=payload.get("default_currency", ""),
        reporting_org=org(payload.get("reporting_org")),
        participating_orgs=tuple(org(data) for data in payload.get("participating_orgs", [])),
        title=payload.get("title", ""),
        dates={key: dt.date.fromisoformat(value) for key, value in payload["dates"].items()},
        recipient_countries=tuple(tuple(pair) for pair in payload.get("recipient_countries", [])),
        recipient_regions=tuple(tuple(item) for item in payload.get("recipient_regions", [])),
        sectors=tuple(tuple(pair) for pair in payload.get("sectors", [])),
        other_sector_count=payload.get("other_sector_count", 0),
        gender_marker=payload.get("gender_marker"),
        budget_total=payload.get("budget_total"),
    )
