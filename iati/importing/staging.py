"""The run's staging tables: the organisations a batch names, found or added by ref then name."""

from django.db import connection
from django.db.models import Q

from stakeholders.names import name_is_truncation

from .. import mapping
from ..models import (
    IatiImportRun,
    IatiStagedIdentifier,
    IatiStagedOrg,
    IatiStagedOutcome,
    IatiStagedPair,
    IatiStagedPublisher,
)
from ..parser import Activity, Organisation
from .sql import BATCH_SIZE, _rows_update, array_literal

STAGING_MODELS = (
    IatiStagedOrg,
    IatiStagedPair,
    IatiStagedOutcome,
    IatiStagedIdentifier,
    IatiStagedPublisher,
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
            # The batch's publishers only: ``save`` adds them to the run's (IatiStagedPublisher).
            row.role_set, row.publisher_set = set(row.roles), set()
            row.slot = len(self.rows)
            self.rows.append(row)
            self.loaded[row.pk] = row
            if row.ref:
                self.by_ref[row.ref] = row
            if row.name_owner:
                self.by_name[row.name_key] = row
        self.new: list[IatiStagedOrg] = []

    def get(self, org: Organisation, *, source: str = "") -> IatiStagedOrg:
        """The organisation ``org`` is, added when new; ``source``: where it was read."""
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
                source=source,
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
            row.roles = sorted(row.role_set)
        for start in range(0, len(self.new), BATCH_SIZE):
            IatiStagedOrg.objects.bulk_create(self.new[start : start + BATCH_SIZE])
        _rows_update(
            IatiStagedOrg,
            ["ref", "name", "type", "roles", "activity_count"],
            [
                (row.pk, row.ref, row.name, row.type, row.roles, row.activity_count)
                for row in self.loaded.values()
            ],
        )
        _publishers_stage(
            self.run, [(row.pk, publisher) for row in self.rows for publisher in row.publisher_set]
        )


def _publishers_stage(run: IatiImportRun, rows: list[tuple[int, str]]) -> None:
    """Add (staged organisation, publisher) pairs to the run's, those already there left as
    they are (one statement per batch on PostgreSQL)."""
    if not rows:
        return
    table = IatiStagedPublisher._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (run_id, org_id, publisher) SELECT %s, * FROM "
                f"unnest(%s::bigint[], %s::text[]) ON CONFLICT (org_id, publisher) DO NOTHING",
                [
                    run.pk,
                    array_literal(org for org, _ in rows),
                    array_literal(publisher for _, publisher in rows),
                ],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} (run_id, org_id, publisher) VALUES (%s, %s, %s) "
                f"ON CONFLICT (org_id, publisher) DO NOTHING",
                [(run.pk, org, publisher) for org, publisher in rows],
            )


def publishers_with_overrides(
    run: IatiImportRun, org_ids: list[int], refs: set[str]
) -> dict[int, list[str]]:
    """The publishers of each of ``org_ids`` (staged organisations) among ``refs`` (those a kind
    override names), sorted: what ``KindOverrideTable.kind_for`` reads of them."""
    found: dict[int, list[str]] = {}
    if not refs or not org_ids:
        return found
    for org_id, publisher in (
        IatiStagedPublisher.objects.filter(run=run, org_id__in=org_ids, publisher__in=sorted(refs))
        .order_by("org_id", "publisher")
        .values_list("org_id", "publisher")
    ):
        found.setdefault(org_id, []).append(publisher)
    return found


def _orgs_named(activity: Activity) -> list[Organisation]:
    orgs = list(activity.participating_orgs)
    if activity.reporting_org and (activity.reporting_org.ref or activity.reporting_org.name):
        orgs.append(activity.reporting_org)
    return orgs


def _run_staging_delete(run: IatiImportRun) -> None:
    """The run's working tables, deleted without loading them (no signals hang on them)."""
    for model in (
        IatiStagedPair,
        IatiStagedPublisher,
        IatiStagedOutcome,
        IatiStagedIdentifier,
        IatiStagedOrg,
    ):
        model.objects.filter(run=run)._raw_delete(model.objects.db)
