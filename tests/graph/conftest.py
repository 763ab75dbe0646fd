"""A small registry with a restricted broker, and signed-in API clients."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from stakeholders.choices import Kind, Scope, Sensitivity, TieKind
from stakeholders.models import Outcome, Stakeholder
from tests.browser.conftest import browser, login, page  # noqa: F401 (the browser fixtures)
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def signed_in(user) -> APIClient:
    client = APIClient()
    login_verified(client, user)
    return client


@dataclass
class Registry:
    state: Stakeholder
    ngo: Stakeholder
    womens: Stakeholder
    firm: Stakeholder
    broker: Stakeholder  # restricted; the only link between the two halves
    diaspora: Stakeholder
    outcome: Outcome


@pytest.fixture
def registry(db) -> Registry:
    return build_registry()


def build_registry() -> Registry:
    """state — ngo — womens   and   firm — diaspora, joined only through a restricted broker."""
    state = StakeholderFactory(name="Ministry of Peace", kind=Kind.STATE, country="NO")
    ngo = StakeholderFactory(name="Relief Now", kind=Kind.NGO, country="KE")
    womens = StakeholderFactory(
        name="Women Mediators", kind=Kind.WOMENS_GROUP, country="KE", scope=Scope.LOCAL
    )
    firm = StakeholderFactory(name="Telco Ltd", kind=Kind.FIRM, country="FR")
    broker = StakeholderFactory(
        name="Quiet Broker", kind=Kind.GRASSROOTS, country="KE", sensitivity=Sensitivity.RESTRICTED
    )
    diaspora = StakeholderFactory(
        name="Somali Diaspora Network", kind=Kind.DIASPORA, country="GB", country_of_origin="SO"
    )
    TieFactory(from_stakeholder=state, to_stakeholder=ngo, kind=TieKind.FUNDS, strength=0.9)
    TieFactory(
        from_stakeholder=ngo, to_stakeholder=womens, kind=TieKind.PARTNERS_WITH, strength=0.4
    )
    TieFactory(from_stakeholder=womens, to_stakeholder=broker, kind=TieKind.PARTNERS_WITH)
    TieFactory(from_stakeholder=broker, to_stakeholder=firm, kind=TieKind.COMMUNICATES_WITH)
    TieFactory(from_stakeholder=firm, to_stakeholder=diaspora, kind=TieKind.FUNDS, strength=0.7)
    outcome = OutcomeFactory(title="Reconstruction in Somalia")
    for actor in (state, ngo, firm, broker):
        StakeFactory(stakeholder=actor, outcome=outcome)
    return Registry(state, ngo, womens, firm, broker, diaspora, outcome)
