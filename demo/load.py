"""Writing the demo scenario (``demo.scenario``) to the database.

Stakeholders and outcomes go through the registry services, stakes and ties are validated row by
row and inserted in bulk; every demo row has change history. Rows are keyed on natural keys
(stakeholder name + country, outcome title, stakeholder × outcome, from × to × kind), which makes
the load idempotent and lets it complete a partly loaded database.
"""

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from stakeholders import services
from stakeholders.choices import SYMMETRIC_TIE_KINDS, Capability
from stakeholders.models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie
from stakeholders.signals import registry_bulk_changed

from .scenario import demo_scenario
from .vocabulary import OutcomeSpec, Scenario, StakeholderKey, StakeholderSpec, TieSpec


@dataclass
class DemoLoadResult:
    already_loaded: bool = False
    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _existing_stakeholders(scenario: Scenario) -> dict[StakeholderKey, int]:
    names = {spec.name for spec in scenario.stakeholders}
    existing: dict[StakeholderKey, int] = {}
    rows = (
        Stakeholder.objects.filter(name__in=sorted(names))
        .order_by("id")
        .values_list("name", "country", "id")
    )
    for name, country, pk in rows:
        existing.setdefault((name, str(country)), pk)
    return {key: pk for key, pk in existing.items() if key in scenario.stakeholder_index}


def demo_scenario_load(*, log: Callable[[str], None] | None = None) -> DemoLoadResult:
    """Load the demo scenario, creating only what is missing. Safe to run again and again.

    Everything is validated and gets change history (see ``_bulk_create_validated`` for stakes
    and ties). Existing rows with a demo natural key are left as they are, so edits made in the
    app survive a reload. One transaction: a failure leaves the database as it was.
    """
    started = time.perf_counter()
    scenario = demo_scenario()
    say = log or (lambda message: None)
    result = DemoLoadResult()
    with transaction.atomic():
        missing = _missing(scenario)
        if not any(missing.values()):
            result.already_loaded = True
        else:
            result.created["sectors"] = _sectors_create(scenario, missing["sectors"])
            say(f"  sectors: {result.created['sectors']} created")
            result.created["stakeholders"] = _stakeholders_create(scenario, missing["stakeholders"])
            say(f"  stakeholders: {result.created['stakeholders']} created")
            result.created["outcomes"] = _outcomes_create(scenario, missing["outcomes"])
            say(f"  outcomes: {result.created['outcomes']} created")
            actor_ids = _existing_stakeholders(scenario)
            outcome_ids = dict(
                Outcome.objects.filter(title__in=[o.title for o in scenario.outcomes]).values_list(
                    "title", "id"
                )
            )
            result.created["stakes"] = _stakes_create(scenario, actor_ids, outcome_ids)
            say(f"  stakes: {result.created['stakes']} created")
            result.created["ties"] = _ties_create(scenario, actor_ids)
            say(f"  ties: {result.created['ties']} created")
            changed = sum(result.created.values())
            # Bulk inserts send no per-row signals: say once, after commit, that the registry
            # changed (stakeholders first among what it wrote), so that the overlap engine
            # computes the demo's candidates and the graph its metrics.
            transaction.on_commit(
                lambda: registry_bulk_changed.send(
                    sender=Stakeholder, kind="stakeholders", count=changed
                )
            )
    result.totals = {
        "stakeholders": len(scenario.stakeholders),
        "outcomes": len(scenario.outcomes),
        "stakes": len(scenario.stakes),
        "ties": len(scenario.ties),
        "sectors": len(scenario.sectors),
    }
    result.seconds = time.perf_counter() - started
    return result


def _missing(scenario: Scenario) -> dict[str, list]:
    """What of the scenario is not in the database yet, by natural key."""
    codes = set(Sector.objects.filter(code__in=[c for c, _ in scenario.sectors]).values_list(
        "code", flat=True
    ))  # fmt: skip
    actor_ids = _existing_stakeholders(scenario)
    titles = [o.title for o in scenario.outcomes]
    outcome_ids = dict(Outcome.objects.filter(title__in=titles).values_list("title", "id"))
    missing_stakes: list = []
    missing_ties: list = []
    if len(actor_ids) == len(scenario.stakeholders) and len(outcome_ids) == len(titles):
        pairs = set(
            Stake.objects.filter(outcome_id__in=outcome_ids.values()).values_list(
                "stakeholder_id", "outcome_id"
            )
        )
        missing_stakes = [
            s for s in scenario.stakes
            if (actor_ids[s.stakeholder], outcome_ids[s.outcome]) not in pairs
        ]  # fmt: skip
        existing_ties = _existing_ties(actor_ids)
        missing_ties = [t for t in scenario.ties if not _tie_exists(t, actor_ids, existing_ties)]
    else:
        missing_stakes = list(scenario.stakes)
        missing_ties = list(scenario.ties)
    return {
        "sectors": [(c, n) for c, n in scenario.sectors if c not in codes],
        "stakeholders": [s for s in scenario.stakeholders if s.key not in actor_ids],
        "outcomes": [o for o in scenario.outcomes if o.title not in outcome_ids],
        "stakes": missing_stakes,
        "ties": missing_ties,
    }


def _existing_ties(actor_ids: dict[StakeholderKey, int]) -> set[tuple[int, int, str]]:
    return set(
        Tie.objects.filter(from_stakeholder_id__in=actor_ids.values()).values_list(
            "from_stakeholder_id", "to_stakeholder_id", "kind"
        )
    )


def _tie_exists(tie: TieSpec, actor_ids, existing: set[tuple[int, int, str]]) -> bool:
    source, target = actor_ids[tie.from_stakeholder], actor_ids[tie.to_stakeholder]
    if (source, target, tie.kind) in existing:
        return True
    # A symmetric tie recorded the other way round is the same tie.
    return tie.kind in SYMMETRIC_TIE_KINDS and (target, source, tie.kind) in existing


def _sectors_create(scenario: Scenario, missing: list[tuple[str, str]]) -> int:
    # There is no sector service: validate each row, then insert them with their history.
    sectors = [Sector(code=code, name=name) for code, name in missing]
    for sector in sectors:
        sector.full_clean()
    bulk_create_with_history(sectors, Sector)
    return len(sectors)


def _stakeholders_create(scenario: Scenario, missing: list[StakeholderSpec]) -> int:
    if not missing:
        return 0
    sectors = {sector.code: sector for sector in Sector.objects.filter(
        code__in=[c for c, _ in scenario.sectors]
    )}  # fmt: skip
    taken_ids = set(
        ExternalIdentifier.objects.filter(
            value__in=[v for s in missing for _, v in s.external_ids]
        ).values_list("scheme", "value")
    )
    ids = _existing_stakeholders(scenario)
    for spec in missing:  # parents come first in the scenario
        parent = Stakeholder.objects.get(pk=ids[spec.parent]) if spec.parent else None
        actor = services.stakeholder_create(
            name=spec.name,
            kind=spec.kind,
            acronym=spec.acronym,
            country=spec.country,
            country_of_origin=spec.country_of_origin,
            subnational_area=spec.subnational_area,
            latitude=spec.latitude,
            longitude=spec.longitude,
            scope=spec.scope,
            parent=parent,
            capabilities=Capability(spec.capabilities),
            digital_presence=spec.digital_presence,
            women_led=spec.women_led,
            women_leadership_share=spec.women_leadership_share,
            sensitivity=spec.sensitivity,
            description=spec.description,
            website=spec.website,
            sectors=[sectors[code] for code in spec.sectors if code in sectors],
            # An identifier already held by another record (an IATI import, say) stays there.
            external_ids={
                scheme: value for scheme, value in spec.external_ids
                if (scheme, value) not in taken_ids
            },
        )  # fmt: skip
        ids[spec.key] = actor.pk
    return len(missing)


def _outcomes_create(scenario: Scenario, missing: list[OutcomeSpec]) -> int:
    for spec in missing:
        services.outcome_create(
            title=spec.title,
            theme=spec.theme,
            description=spec.description,
            geography=spec.geography,
            countries=list(spec.countries),
            needed_capabilities=Capability(spec.needed_capabilities),
        )
    return len(missing)


def _bulk_create_validated(model, instances: list, *, foreign_keys: list[str]) -> int:
    """Validate each row, then insert them all with their change history.

    Field validators and ``clean()`` run in Python for every row. The CHECK and UNIQUE
    constraints are left to the database, which enforces them inside this same transaction
    (uniqueness was already diffed on natural keys): validating them row by row would cost a
    query per constraint per row and made the demo load three times slower. The foreign keys
    point at rows just read from the database.
    """
    for instance in instances:
        instance.full_clean(exclude=foreign_keys, validate_unique=False, validate_constraints=False)
    bulk_create_with_history(instances, model, batch_size=500)
    return len(instances)


def mapped_on() -> datetime.date:
    """The day the demo's stakes were first assessed: a year before the day of loading."""
    return timezone.localdate() - datetime.timedelta(days=365)


def _stakes_create(scenario: Scenario, actor_ids, outcome_ids) -> int:
    existing = set(
        Stake.objects.filter(outcome_id__in=outcome_ids.values()).values_list(
            "stakeholder_id", "outcome_id"
        )
    )
    stakes = []
    for spec in scenario.stakes:
        actor_id, outcome_id = actor_ids[spec.stakeholder], outcome_ids[spec.outcome]
        if (actor_id, outcome_id) in existing:
            continue
        stakes.append(
            Stake(
                stakeholder_id=actor_id,
                outcome_id=outcome_id,
                interest=spec.interest,
                influence=spec.influence,
                position=spec.position,
                notes=spec.notes,
                source=spec.source,
                # The scenario's map was drawn a year ago; the re-assessments since
                # (demo/data/over_time.yaml) make the outcome pages' charts move.
                assessed_on=mapped_on(),
            )
        )
    return _bulk_create_validated(Stake, stakes, foreign_keys=["stakeholder", "outcome"])


def _ties_create(scenario: Scenario, actor_ids) -> int:
    existing = _existing_ties(actor_ids)
    ties = [
        Tie(
            from_stakeholder_id=actor_ids[spec.from_stakeholder],
            to_stakeholder_id=actor_ids[spec.to_stakeholder],
            kind=spec.kind,
            strength=spec.strength,
            start_date=spec.start_date,
            end_date=spec.end_date,
            source=spec.source,
            notes=spec.notes,
        )
        for spec in scenario.ties
        if not _tie_exists(spec, actor_ids, existing)
    ]
    return _bulk_create_validated(Tie, ties, foreign_keys=["from_stakeholder", "to_stakeholder"])
