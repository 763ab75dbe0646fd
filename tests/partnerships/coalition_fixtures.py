"""An outcome whose coalitions are worked out by hand (the core's tiny example, in the database),
and a restricted actor that would change them for cleared people."""

from dataclasses import dataclass

import pytest

from partnerships.coalitions import services
from stakeholders.choices import Capability, Kind, Scope, Sensitivity, TieKind
from stakeholders.models import Outcome, Stakeholder
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

FUNDING, FIELD, TECH, LOGISTICS, TRUST, LEGAL = (
    Capability.FUNDING,
    Capability.FIELD_PRESENCE,
    Capability.TECHNOLOGY,
    Capability.LOGISTICS,
    Capability.COMMUNITY_TRUST,
    Capability.LEGAL,
)


@dataclass
class CoalitionRegistry:
    outcome: Outcome
    state: Stakeholder  # funding; stake √(1 × 0.64) = 0.8
    ngo: Stakeholder  # field presence (+ logistics, not needed); √(0.81 × 0.25) = 0.45
    women: Stakeholder  # community trust; √(1 × 0.36) = 0.6; the only inclusive actor
    firm: Stakeholder  # technology; √(0.25 × 1) = 0.5

    @property
    def actors(self) -> list[Stakeholder]:
        return [self.state, self.ngo, self.women, self.firm]


def coalition_registry_create(title: str = "Protection of displaced women") -> CoalitionRegistry:
    """Best (and only) coalition: all four, value 0.706 (see test_coalitions_core): coverage 1,
    stake 2.35 / 5, the NGO brokers (ties 0.8 and 0.5: trust 1.3 / 4)."""
    outcome = OutcomeFactory(title=title, needed_capabilities=FUNDING | FIELD | TECH | TRUST)
    state = StakeholderFactory(name="Ministry of Planning", kind=Kind.STATE, capabilities=FUNDING)
    ngo = StakeholderFactory(name="Relief NGO", kind=Kind.NGO, capabilities=FIELD | LOGISTICS)
    women = StakeholderFactory(name="Women's network", kind=Kind.WOMENS_GROUP, capabilities=TRUST)
    firm = StakeholderFactory(name="Telecom firm", kind=Kind.FIRM, capabilities=TECH)
    for actor, interest, influence in (
        (state, 1.0, 0.64), (ngo, 0.81, 0.25), (women, 1.0, 0.36), (firm, 0.25, 1.0),
    ):  # fmt: skip
        StakeFactory(stakeholder=actor, outcome=outcome, interest=interest, influence=influence)
    TieFactory(from_stakeholder=state, to_stakeholder=ngo, kind=TieKind.PARTNERS_WITH, strength=0.8)
    TieFactory(from_stakeholder=women, to_stakeholder=state, kind=TieKind.FUNDS, strength=0.4)
    TieFactory(
        from_stakeholder=ngo, to_stakeholder=women, kind=TieKind.COMMUNICATES_WITH, strength=0.5
    )
    return CoalitionRegistry(outcome, state, ngo, women, firm)


@pytest.fixture
def coalition_registry(db) -> CoalitionRegistry:
    return coalition_registry_create()


def wider_registry_create() -> CoalitionRegistry:
    """The registry above plus five more public actors, so that the outcome has several
    coalitions to choose from and rank."""
    registry = coalition_registry_create(title="Reconstruction of Aden port")
    extra = (
        ("Youth movement", Kind.GRASSROOTS, FIELD | TRUST, Scope.LOCAL, 0.9, 0.3),
        ("Radio Dalsan", Kind.MEDIA, TECH | TRUST, Scope.NATIONAL, 0.6, 0.5),
        ("Lawyers' guild", Kind.ACADEMIC, LEGAL | FUNDING, Scope.NATIONAL, 0.7, 0.4),
        ("Diaspora fund", Kind.DIASPORA, FUNDING, Scope.GLOBAL, 0.8, 0.6),
        ("Local relief committee", Kind.FAITH_BASED, FIELD, Scope.LOCAL, 0.5, 0.2),
    )
    for name, kind, capabilities, scope, interest, influence in extra:
        actor = StakeholderFactory(
            name=name,
            kind=kind,
            capabilities=capabilities,
            scope=scope,
            country_of_origin="SO" if kind == Kind.DIASPORA else "",
        )
        StakeFactory(
            stakeholder=actor, outcome=registry.outcome, interest=interest, influence=influence
        )
    youth = Stakeholder.objects.get(name="Youth movement")
    TieFactory(from_stakeholder=youth, to_stakeholder=registry.ngo, strength=0.6)
    return registry


def hidden_actor_add(registry: CoalitionRegistry, sensitivity=Sensitivity.RESTRICTED):
    """A restricted women's shelter network with a vital, decisive stake and strong ties to the
    state and the NGO: it would be in the cleared best coalition and broker it."""
    hidden = StakeholderFactory(
        name="Safe-house network (restricted)",
        kind=Kind.FOUNDATION,
        capabilities=TRUST | FIELD | LEGAL,
        scope=Scope.LOCAL,
        sensitivity=sensitivity,
    )
    StakeFactory(stakeholder=hidden, outcome=registry.outcome, interest=1.0, influence=1.0)
    TieFactory(from_stakeholder=hidden, to_stakeholder=registry.state, strength=1.0)
    TieFactory(from_stakeholder=registry.ngo, to_stakeholder=hidden, strength=1.0)
    return hidden


def compute(registry_or_outcome) -> list:
    outcome = getattr(registry_or_outcome, "outcome", registry_or_outcome)
    return services.coalitions_compute(outcome_id=outcome.pk)
