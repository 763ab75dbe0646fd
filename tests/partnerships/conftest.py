"""A small registry whose candidates are worked out by hand, and a helper that runs the job."""

from dataclasses import dataclass

import pytest

from partnerships.models import OverlapRun
from partnerships.overlap import refresh, runs
from stakeholders.choices import Capability, Kind, Sensitivity
from stakeholders.models import Outcome, Stakeholder
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

FUNDING, FIELD, TECH, TRUST, LEGAL = (
    Capability.FUNDING,
    Capability.FIELD_PRESENCE,
    Capability.TECHNOLOGY,
    Capability.COMMUNITY_TRUST,
    Capability.LEGAL,
)


@dataclass
class SmallRegistry:
    ngo: Stakeholder  # funding + field presence; o1 1.0, o2 0.5
    firm: Stakeholder  # technology; o1 0.5, o2 1.0
    women: Stakeholder  # community trust; o1 1.0, o3 1.0 (inclusive)
    ngo2: Stakeholder  # technology; o2 1.0; tied to the firm
    o1: Outcome
    o2: Outcome
    o3: Outcome


@pytest.fixture
def small_registry(db) -> SmallRegistry:
    """The registry of tests/partnerships/test_overlap.py, in the database.

    Expected candidates: ngo+firm (overlap 0.8), ngo+women (1/√2.5), firm+women (0.5/√2.5);
    ngo+ngo2 are the same kind, firm+ngo2 are tied. Set up without queueing refreshes.
    """
    with refresh.overlap_refresh_suspended():
        return _small_registry()


def _small_registry() -> SmallRegistry:
    o1 = OutcomeFactory(title="Reconstruction in Yemen", needed_capabilities=FUNDING | TECH | TRUST)
    o2 = OutcomeFactory(title="Protection of displaced women", needed_capabilities=FIELD | TECH)
    o3 = OutcomeFactory(title="Legal aid", needed_capabilities=LEGAL)
    ngo = StakeholderFactory(name="Relief NGO", kind=Kind.NGO, capabilities=FUNDING | FIELD)
    firm = StakeholderFactory(name="Telecom firm", kind=Kind.FIRM, capabilities=TECH)
    women = StakeholderFactory(name="Women's network", kind=Kind.WOMENS_GROUP, capabilities=TRUST)
    ngo2 = StakeholderFactory(name="Tech NGO", kind=Kind.NGO, capabilities=TECH)
    for actor, outcome, interest in (
        (ngo, o1, 1.0), (ngo, o2, 0.5), (firm, o1, 0.5), (firm, o2, 1.0),
        (women, o1, 1.0), (women, o3, 1.0), (ngo2, o2, 1.0),
    ):  # fmt: skip
        StakeFactory(stakeholder=actor, outcome=outcome, interest=interest)
    TieFactory(from_stakeholder=ngo2, to_stakeholder=firm)
    return SmallRegistry(ngo=ngo, firm=firm, women=women, ngo2=ngo2, o1=o1, o2=o2, o3=o3)


@pytest.fixture
def run_overlap(django_capture_on_commit_callbacks):
    """Run the whole job in process (eager Celery) and return the run, reloaded."""

    def run(**parameters) -> OverlapRun:
        with django_capture_on_commit_callbacks(execute=True):
            run, _created = runs.overlap_run_request(parameters=parameters)
        run.refresh_from_db()
        return run

    return run


def restrict(stakeholder: Stakeholder, sensitivity=Sensitivity.RESTRICTED) -> Stakeholder:
    Stakeholder.objects.filter(pk=stakeholder.pk).update(sensitivity=sensitivity)
    stakeholder.refresh_from_db()
    return stakeholder


# The coalition fixtures live beside their helpers.
from tests.partnerships.coalition_fixtures import coalition_registry  # noqa: E402, F401
