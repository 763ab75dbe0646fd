"""Writing interactions, owners and follow-ups: validated (errors name the field, the database is
left as it was) and kept in the history."""

import datetime

import pytest

from relationships import services
from relationships.models import FollowUp, Interaction, StakeholderOwner
from smartdiplomacy.exceptions import ApplicationError
from tests.accounts.factories import UserFactory
from tests.relationships.helpers import hidden_actor, log
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _refused(field, **kwargs):
    before = Interaction.objects.count()
    with pytest.raises(ApplicationError) as caught:
        services.interaction_create(**kwargs)
    assert caught.value.field == field
    assert Interaction.objects.count() == before
    return str(caught.value)


def test_an_interaction_is_logged_with_its_lists_and_its_history(officer):
    a, b = StakeholderFactory(), StakeholderFactory()
    outcome = OutcomeFactory()
    interaction = log(officer, a, b, outcomes=[outcome], our_people=[officer], sentiment=1)
    assert set(interaction.stakeholders.all()) == {a, b}
    assert list(interaction.outcomes.all()) == [outcome]
    assert interaction.title == "Met about water points"
    assert interaction.created_by == officer
    first = interaction.history.earliest()
    assert first.history_type == "+"
    # The last record holds the lists as they were saved.
    latest = interaction.history.latest()
    assert {row.stakeholder_id for row in latest.stakeholders.all()} == {a.pk, b.pk}

    services.interaction_update(interaction=interaction, user=officer, sentiment=-1)
    assert interaction.history.latest().sentiment == -1


def test_bad_input_names_the_field_and_writes_nothing(officer):
    actor = StakeholderFactory()
    base = {"user": officer, "kind": "meeting", "date": TODAY, "stakeholders": [actor]}
    message = _refused("date", **{**base, "date": TODAY + datetime.timedelta(days=1)})
    assert "future" in message
    _refused("stakeholders", **{**base, "stakeholders": []})
    _refused("kind", **{**base, "kind": "dinner"})
    _refused("sentiment", **{**base, "sentiment": 3})
    _refused("outcomes", **{**base, "outcomes": [987654]})
    # A hidden actor is refused exactly like one that does not exist.
    secret = hidden_actor()
    hidden = _refused("stakeholders", **{**base, "stakeholders": [actor, secret]})
    missing = _refused("stakeholders", **{**base, "stakeholders": [actor, 987654]})
    assert hidden.replace(str(secret.pk), "N") == missing.replace("987654", "N")
    # Today is fine.
    assert log(officer, actor, date=TODAY).date == TODAY


def test_a_field_the_services_do_not_name_is_refused_at_the_call(officer):
    interaction = log(officer, StakeholderFactory(), sentiment=1)
    with pytest.raises(TypeError, match="created_by"):
        services.interaction_update(interaction=interaction, user=officer, created_by=None)
    with pytest.raises(TypeError, match="participant_total"):
        services.interaction_promote(
            interaction=interaction,
            user=officer,
            title="Water points",
            kind="meeting",
            start_date=TODAY,
            participant_total=4,
        )
    with pytest.raises(TypeError, match="iati_activity"):  # an import's own
        services.interaction_promote(
            interaction=interaction,
            user=officer,
            title="Water points",
            kind="meeting",
            start_date=TODAY,
            iati_activity=None,
        )
    interaction.refresh_from_db()
    assert interaction.engagement_id is None and interaction.sentiment == 1
    engagement = services.interaction_promote(
        interaction=interaction,
        user=officer,
        title="Water points",
        kind="meeting",
        start_date=TODAY,
        participants_total=4,
    )
    assert engagement.participants_total == 4 and engagement.format == "in_person"
    assert Interaction.objects.get(pk=interaction.pk).engagement == engagement


def test_the_uncleared_cannot_change_or_delete_an_interaction_with_a_hidden_actor(officer):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    secret = hidden_actor()
    interaction = log(cleared, StakeholderFactory(), secret)
    with pytest.raises(ApplicationError):
        services.interaction_update(interaction=interaction, user=officer, notes="x")
    with pytest.raises(ApplicationError):
        services.interaction_delete(interaction=interaction, user=officer)
    assert Interaction.objects.get(pk=interaction.pk).notes.startswith("Met about")


def test_owner_must_see_the_stakeholder_and_can_be_changed_and_removed(officer):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    actor, secret = StakeholderFactory(), hidden_actor()
    record = services.stakeholder_owner_set(stakeholder=actor, owner=officer, user=officer)
    assert record.owner == officer
    services.stakeholder_owner_set(stakeholder=actor, owner=cleared, user=officer)
    assert StakeholderOwner.objects.get(stakeholder=actor).owner == cleared
    assert StakeholderOwner.history.filter(stakeholder_id=actor.pk).count() == 2
    with pytest.raises(ApplicationError) as caught:
        services.stakeholder_owner_set(stakeholder=secret, owner=officer, user=cleared)
    assert caught.value.field == "owner"
    services.stakeholder_owner_set(stakeholder=actor, owner=None, user=officer)
    assert not StakeholderOwner.objects.filter(stakeholder=actor).exists()


def test_follow_ups_are_validated_completed_and_reopened(officer):
    actor, other = StakeholderFactory(), StakeholderFactory()
    interaction = log(officer, actor)
    with pytest.raises(ApplicationError) as caught:
        services.follow_up_create(
            user=officer, stakeholder=actor, title=" ", due_date=TODAY, owner=officer
        )
    assert caught.value.field == "title"
    with pytest.raises(ApplicationError) as caught:
        services.follow_up_create(
            user=officer, stakeholder=other, title="Call back", due_date=TODAY, owner=officer,
            interaction=interaction,
        )  # fmt: skip
    assert caught.value.field == "interaction"
    assert FollowUp.objects.count() == 0
    follow_up = services.follow_up_create(
        user=officer, stakeholder=actor, title="Call back", due_date=TODAY, owner=officer,
        interaction=interaction,
    )  # fmt: skip
    services.follow_up_complete(follow_up=follow_up, user=officer)
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    services.follow_up_reopen(follow_up=follow_up, user=officer)
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    assert follow_up.history.count() == 3
