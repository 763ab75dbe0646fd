import pytest
from django.contrib.auth.models import AnonymousUser

from stakeholders.choices import Kind, Sensitivity
from stakeholders.selectors import (
    outcome_list_by_stakes,
    registry_recent_changes,
    stake_visible_to,
    stakeholder_counts_by_kind,
    stakeholder_visible_to,
    tie_visible_to,
    user_is_cleared,
)
from tests.accounts.factories import UserFactory
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    public = StakeholderFactory(name="Public NGO")
    restricted = StakeholderFactory(
        name="Hidden Women's Collective",
        kind=Kind.WOMENS_GROUP,
        sensitivity=Sensitivity.RESTRICTED,
    )
    confidential = StakeholderFactory(
        name="Secret Diaspora Network",
        kind=Kind.DIASPORA,
        country_of_origin="SY",
        sensitivity=Sensitivity.CONFIDENTIAL,
    )
    outcome = OutcomeFactory(title="Protection of displaced women")
    for actor in (public, restricted, confidential):
        StakeFactory(stakeholder=actor, outcome=outcome)
    TieFactory(from_stakeholder=public, to_stakeholder=restricted)
    other_public = StakeholderFactory(name="Other public")
    TieFactory(from_stakeholder=public, to_stakeholder=other_public)
    return {"public": public, "restricted": restricted, "confidential": confidential}


def test_uncleared_user_sees_only_public_stakeholders(registry, analyst):
    names = set(stakeholder_visible_to(analyst).values_list("name", flat=True))
    assert names == {"Public NGO", "Other public"}


def test_cleared_user_sees_every_stakeholder(registry, cleared_analyst):
    assert stakeholder_visible_to(cleared_analyst).count() == 4
    assert user_is_cleared(cleared_analyst)


def test_anonymous_and_inactive_users_are_never_cleared(registry, cleared_analyst):
    assert not user_is_cleared(AnonymousUser())
    assert stakeholder_visible_to(AnonymousUser()).count() == 2
    cleared_analyst.is_active = False
    assert not user_is_cleared(cleared_analyst)


def test_superuser_is_cleared(registry):
    admin = UserFactory(username="root", is_superuser=True)
    assert stakeholder_visible_to(admin).count() == 4


def test_a_role_alone_does_not_clear(registry, administrator, officer):
    assert stakeholder_visible_to(administrator).count() == 2
    assert stakeholder_visible_to(officer).count() == 2


def test_hidden_actors_stakes_and_ties_vanish(registry, analyst, cleared_analyst):
    assert stake_visible_to(analyst).count() == 1
    assert stake_visible_to(cleared_analyst).count() == 3
    assert tie_visible_to(analyst).count() == 1
    assert tie_visible_to(cleared_analyst).count() == 2


def test_counts_by_kind_do_not_betray_hidden_actors(registry, analyst, cleared_analyst):
    counts = {row["kind"]: row["count"] for row in stakeholder_counts_by_kind(user=analyst)}
    assert counts[Kind.WOMENS_GROUP] == 0
    assert counts[Kind.DIASPORA] == 0
    assert counts[Kind.NGO] == 2
    assert len(counts) == len(Kind.choices)
    cleared = {
        row["kind"]: row["count"] for row in stakeholder_counts_by_kind(user=cleared_analyst)
    }
    assert cleared[Kind.WOMENS_GROUP] == 1


def test_outcome_stake_counts_leave_hidden_actors_out(registry, analyst, cleared_analyst):
    [outcome] = outcome_list_by_stakes(user=analyst)
    assert outcome.stake_count == 1
    [outcome] = outcome_list_by_stakes(user=cleared_analyst)
    assert outcome.stake_count == 3


def test_recent_changes_hide_restricted_actors(registry, analyst, cleared_analyst):
    def labels(user):
        return {getattr(record, "name", None) for record in registry_recent_changes(user=user)}

    assert "Hidden Women's Collective" not in labels(analyst)
    assert "Hidden Women's Collective" in labels(cleared_analyst)


def test_recent_changes_hide_an_actor_that_became_restricted(registry, analyst):
    public = registry["public"]
    public.sensitivity = Sensitivity.RESTRICTED
    public.save()
    records = registry_recent_changes(user=analyst, limit=50)
    assert all(getattr(record, "name", None) != "Public NGO" for record in records)
    # Its stakes and ties go too: nothing names it.
    assert all(getattr(record, "stakeholder_id", None) != public.pk for record in records)
