"""Writing a batch of parsed 3W rows: stakeholders matched or created, outcomes, stakes, ties and
their history, in bulk; the lookups later batches reuse are kept.
"""

from django.db import connection
from django.utils import timezone

from stakeholders.choices import Capability, IdentifierScheme, Origin, Sensitivity, TieKind
from stakeholders.imports.services import HistoryWriter
from stakeholders.models import ExternalIdentifier, Outcome, Stake, Stakeholder, Tie
from stakeholders.names import name_display
from stakeholders.selectors import stakeholder_visible_to

from . import rules
from .models import ThreeWRow, ThreeWSource
from .rows import (
    BATCH_SIZE,
    IDENTIFIER_SCHEMES,
    NAME_MAX,
    SOURCE_PREFIX,
    ImportReport,
    _Org,
    _Parsed,
)


class _Writer:
    """Writes batches of parsed rows; keeps the lookups that later batches reuse."""

    def __init__(self, *, source: ThreeWSource, file_name: str, user, report: ImportReport):
        self.source, self.file_name, self.report = source, file_name, report
        self.user = user
        self.history = HistoryWriter(user=user, reason=f"3W import: {source.name}"[:100])
        visible = Stakeholder.objects.all() if user is None else stakeholder_visible_to(user)
        self.visible = visible
        # normalised name → (id, restricted); the lowest id wins (a later duplicate is to merge).
        self.by_name: dict[str, tuple[int, bool]] = {}
        for pk, name, recorded, sensitivity in (
            visible.order_by("id")
            .values_list("id", "name", "recorded_name", "sensitivity")
            .iterator(2000)
        ):
            for known in (name, recorded) if recorded else (name,):
                self.by_name.setdefault(
                    rules.name_normalised(known), (pk, sensitivity != Sensitivity.PUBLIC)
                )
        self.by_code: dict[str, tuple[int, bool]] = {}  # code → (id, restricted)
        self.outcome_ids: dict[str, int] = {}
        self.stake_source = f"{SOURCE_PREFIX}{source.name}"

    # --- one batch ------------------------------------------------------------------------

    def write(self, batch: list[_Parsed]) -> None:
        known = set(
            ThreeWRow.objects.filter(
                source=self.source, digest__in=[row.digest for row in batch]
            ).values_list("digest", flat=True)
        )
        fresh: list[_Parsed] = []
        for row in batch:
            if row.digest in known:
                self.report.rows_unchanged += 1
            else:
                known.add(row.digest)  # the same row twice in one batch is imported once
                fresh.append(row)
        if not fresh:
            return
        org_ids = self._stakeholders(fresh)
        outcome_ids = self._outcomes(fresh)
        self._stakes(fresh, org_ids, outcome_ids)
        self._ties(fresh, org_ids)
        ThreeWRow.objects.bulk_create(
            [
                ThreeWRow(
                    source=self.source,
                    digest=row.digest,
                    row_number=row.number,
                    file_name=self.file_name[:255],
                )
                for row in fresh
            ]
        )
        self.report.rows_imported += len(fresh)

    def _stakeholders(self, rows: list[_Parsed]) -> dict[tuple[int, int], int]:
        """(row number, org position) → stakeholder id, creating what is missing."""
        report = self.report
        self._codes_load(rows)
        result: dict[tuple[int, int], int] = {}
        new: dict[str, tuple[Stakeholder, _Org]] = {}  # normalised name → to create
        pending: list[tuple[tuple[int, int], str]] = []
        identifiers: dict[str, str] = {}  # code → normalised name, for stakeholders lacking it
        restricted_ids: set[int] = set()
        for row in rows:
            for position, org in enumerate(row.orgs):
                key = (row.number, position)
                # A code seen earlier in this batch names the organisation it named there.
                normalised = identifiers.get(org.code) or rules.name_normalised(
                    org.name or org.code
                )
                found = self.by_code.get(org.code) if org.code else None
                if found is None:
                    found = self.by_name.get(normalised)
                if found is not None:
                    result[key] = found[0]
                    report.matched += 1
                    if found[1]:
                        restricted_ids.add(found[0])
                    if org.code and org.code not in self.by_code:
                        identifiers.setdefault(org.code, normalised)
                    continue
                if org.code:
                    identifiers.setdefault(org.code, normalised)
                if normalised not in new:
                    new[normalised] = (self._stakeholder_new(row, org), org)
                pending.append((key, normalised))
        report.involves_restricted |= bool(restricted_ids)
        created = list(new.items())
        for start in range(0, len(created), BATCH_SIZE):
            chunk = [stakeholder for _, (stakeholder, _) in created[start : start + BATCH_SIZE]]
            Stakeholder.objects.bulk_create(chunk)
            self.history.record(Stakeholder, [row.pk for row in chunk], history_type="+")
        for normalised, (stakeholder, _) in created:
            self.by_name[normalised] = (stakeholder.pk, False)
        report.created["stakeholders"] += len(created)
        for key, normalised in pending:
            result[key] = self.by_name[normalised][0]
        # Codes become identifiers of the stakeholder they name, when it lacks them.
        rows_to_add = []
        for code, normalised in identifiers.items():
            if code in self.by_code:
                continue
            pk = self.by_name[normalised][0]
            self.by_code[code] = self.by_name[normalised]
            rows_to_add.append(
                ExternalIdentifier(stakeholder_id=pk, scheme=IdentifierScheme.OTHER, value=code)
            )
        ExternalIdentifier.objects.bulk_create(rows_to_add)
        self.history.record(ExternalIdentifier, [row.pk for row in rows_to_add], history_type="+")
        report.created["identifiers"] += len(rows_to_add)
        return result

    def _codes_load(self, rows: list[_Parsed]) -> None:
        """Learn which visible stakeholders hold the batch's organisation codes not seen yet."""
        codes = {org.code for row in rows for org in row.orgs if org.code} - set(self.by_code)
        codes_list = sorted(codes)
        for start in range(0, len(codes_list), BATCH_SIZE):
            for value, pk, sensitivity in (
                ExternalIdentifier.objects.filter(
                    scheme__in=IDENTIFIER_SCHEMES,
                    value__in=codes_list[start : start + BATCH_SIZE],
                    stakeholder__in=self.visible,
                )
                .order_by("-stakeholder_id")
                .values_list("value", "stakeholder_id", "stakeholder__sensitivity")
            ):
                self.by_code[value] = (pk, sensitivity != Sensitivity.PUBLIC)

    def _stakeholder_new(self, row: _Parsed, org: _Org) -> Stakeholder:
        """The stakeholder (not saved) for an organisation the registry lacks; the report notes
        what had to be guessed."""
        report = self.report
        kind, understood = rules.kind_for_org_type(org.type)
        if not understood and not org.type and org.name:
            # No type given: the name often says it ("… Foundation", "Ministry of …").
            kind, understood = rules.kind_for_org_type(org.name)
            if understood:
                report.notes["no organisation type: kind read from the name"] += 1
        if not understood:
            report.notes[
                "organisation type blank or not understood: recorded as NGO"
                if not org.type
                else f"organisation type '{org.type[:40]}' not understood: recorded as NGO"
            ] += 1
        if not org.name:
            report.notes["organisation given by its code only: named by it"] += 1
        recorded = org.name or org.code
        display, acronym = name_display(recorded)
        return Stakeholder(
            name=display[:NAME_MAX],
            recorded_name=recorded[:500],
            acronym=acronym[:40],
            origin=Origin.THREEW,
            source=f"{self.stake_source} row {row.number}"[:300],
            kind=kind,
            capabilities=rules.CAPABILITY_BY_ROLE.get(org.role, Capability(0)),
            description=(
                f"Imported from 3W data ({self.source.name}, row {row.number}"
                f"{'; type ' + org.type if org.type else ''})."
            ),
        )

    def _outcomes(self, rows: list[_Parsed]) -> dict[str, int]:
        wanted: dict[str, _Parsed] = {}
        for row in rows:
            if row.outcome is not None and row.outcome[0] not in self.outcome_ids:
                wanted.setdefault(row.outcome[0], row)
        if wanted:
            self.outcome_ids.update(
                Outcome.objects.filter(title__in=list(wanted)).values_list("title", "id")
            )
        new = []
        for title, row in wanted.items():
            if title in self.outcome_ids:
                continue
            assert row.outcome is not None  # ``wanted`` holds only rows with an outcome
            _, sector, area = row.outcome
            new.append(
                Outcome(
                    title=title,
                    theme=rules.theme_for_sector(sector),
                    geography=area[:200],
                    # A multiple CountryField takes a list; the stubs know only its CharField base.
                    countries=[row.country] if row.country else [],  # type: ignore[misc]
                    origin=Origin.THREEW,
                    source=f"{self.stake_source} row {row.number}"[:300],
                    description=(
                        f"Actors working on {sector} in {area}, as 3W (who does what where) data "
                        f"from {self.source.name} shows. Made by the 3W import."
                    ),
                )
            )
        Outcome.objects.bulk_create(new)
        self.history.record(Outcome, [outcome.pk for outcome in new], history_type="+")
        self.outcome_ids.update({outcome.title: outcome.pk for outcome in new})
        self.report.created["outcomes"] += len(new)
        return self.outcome_ids

    def _stakes(self, rows, org_ids, outcome_ids) -> None:
        wanted: dict[tuple[int, int], tuple[float, float, int]] = {}
        for row in rows:
            if row.outcome is None:
                continue
            outcome_id = outcome_ids[row.outcome[0]]
            for position, org in enumerate(row.orgs):
                interest, influence = rules.STAKE_BY_ROLE[org.role]
                pair = (org_ids[(row.number, position)], outcome_id)
                old = wanted.get(pair)
                if old is not None:
                    interest, influence = max(old[0], interest), max(old[1], influence)
                wanted[pair] = (interest, influence, old[2] if old else row.number)
        if not wanted:
            return
        existing = {
            (stakeholder_id, outcome_id): Stake(
                pk=pk,
                stakeholder_id=stakeholder_id,
                outcome_id=outcome_id,
                interest=interest,
                influence=influence,
                source=source,
            )
            for pk, stakeholder_id, outcome_id, interest, influence, source in _rows_of_pairs(
                Stake,
                ("id", "stakeholder_id", "outcome_id", "interest", "influence", "source"),
                ("stakeholder_id", "outcome_id"),
                list(wanted),
            )
        }
        creates, updates, now = [], [], timezone.now()
        for (stakeholder_id, outcome_id), (interest, influence, number) in sorted(wanted.items()):
            stake = existing.get((stakeholder_id, outcome_id))
            if stake is None:
                creates.append(
                    Stake(
                        stakeholder_id=stakeholder_id,
                        outcome_id=outcome_id,
                        interest=interest,
                        influence=influence,
                        source=f"{self.stake_source} row {number}"[:300],
                        origin=Origin.THREEW,
                    )
                )
            elif not stake.source.startswith(SOURCE_PREFIX):
                self.report.notes["a stake recorded another way already exists: left as it is"] += 1
            elif interest > stake.interest or influence > stake.influence:
                stake.interest = max(stake.interest, interest)
                stake.influence = max(stake.influence, influence)
                stake.updated_at = now
                updates.append(stake)
        Stake.objects.bulk_create(creates)
        self.history.record(Stake, [stake.pk for stake in creates], history_type="+")
        Stake.objects.bulk_update(updates, ["interest", "influence", "updated_at"])
        self.history.record(Stake, [stake.pk for stake in updates], history_type="~")
        self.report.created["stakes"] += len(creates)
        self.report.updated["stakes"] += len(updates)

    def _ties(self, rows, org_ids) -> None:
        wanted: dict[tuple[int, int], _Parsed] = {}
        for row in rows:
            ids = sorted({org_ids[(row.number, position)] for position in range(len(row.orgs))})
            for i, first in enumerate(ids):
                for second in ids[i + 1 :]:
                    wanted.setdefault((first, second), row)
        if not wanted:
            return
        # Either direction: "partners with" reads both ways.
        pairs = [*wanted, *((second, first) for first, second in wanted)]
        existing = {
            tuple(sorted(pair))
            for pair in _rows_of_pairs(
                Tie,
                ("from_stakeholder_id", "to_stakeholder_id"),
                ("from_stakeholder_id", "to_stakeholder_id"),
                pairs,
                kind=TieKind.PARTNERS_WITH,
            )
        }
        creates = [
            Tie(
                from_stakeholder_id=first,
                to_stakeholder_id=second,
                kind=TieKind.PARTNERS_WITH,
                strength=rules.TIE_STRENGTH,
                start_date=row.start,
                end_date=row.end,
                source=f"{self.stake_source} row {row.number}"[:300],
                origin=Origin.THREEW,
            )
            for (first, second), row in sorted(wanted.items())
            if (first, second) not in existing
        ]
        Tie.objects.bulk_create(creates)
        self.history.record(Tie, [tie.pk for tie in creates], history_type="+")
        self.report.created["ties"] += len(creates)


def _rows_of_pairs(model, columns, key, pairs, *, kind: str | None = None) -> list[tuple]:
    """``columns`` of the rows of ``model`` whose two ``key`` columns are one of ``pairs`` —
    exactly those rows, a few hundred pairs per query (row values: PostgreSQL and SQLite)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    selected = ", ".join(quote(column) for column in columns)
    first, second = (quote(column) for column in key)
    found: list[tuple] = []
    step = 400
    for start in range(0, len(pairs), step):
        chunk = pairs[start : start + step]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        sql = f"SELECT {selected} FROM {table} WHERE ({first}, {second}) IN (VALUES {values})"
        params = [value for pair in chunk for value in pair]
        if kind is not None:
            sql += f" AND {quote('kind')} = %s"
            params.append(kind)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found.extend(cursor.fetchall())
    return found
