"""The restriction rule on interactions, follow-ups and the timeline."""

import datetime
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import time_machine
from simple_history.models import HistoricalRecords

from relationships import services
from relationships.selectors import (
    follow_up_visible_to,
    follow_ups_of_owner,
    interaction_visible_to,
    stakeholder_timeline,
)
from stakeholders import services as registry
from stakeholders.choices import Sensitivity
from stakeholders.selectors import describe_change, registry_recent_changes
from tests.accounts.factories import UserFactory
from tests.partnerships.partnership_helpers import make_partnership
from tests.relationships.helpers import hidden_actor, log
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def test_an_interaction_with_any_hidden_actor_is_hidden_from_the_uncleared(officer):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    public, secret = StakeholderFactory(), hidden_actor()
    open_one = log(cleared, public)
    with_secret = log(cleared, public, secret)
    assert set(interaction_visible_to(officer)) == {open_one}
    assert set(interaction_visible_to(cleared)) == {open_one, with_secret}


def test_an_interaction_about_a_partnership_that_exists_only_through_hidden_actors_is_hidden(
    officer,
):
    from partnerships.choices import PartnershipStatus

    cleared = UserFactory(roles=["program officer"], cleared=True)
    public = StakeholderFactory()
    members = [StakeholderFactory(), StakeholderFactory()]
    # Two visible members: the partnership (and so the interaction) exists for everyone.
    shared = make_partnership(
        proposer=cleared, status=PartnershipStatus.PROPOSED, members=[*members, hidden_actor()]
    )
    # One visible member: without the hidden one it would not exist.
    quiet = make_partnership(
        proposer=cleared, status=PartnershipStatus.PROPOSED, members=[members[0], hidden_actor()]
    )
    about_shared = log(cleared, public, partnership=shared)
    about_quiet = log(cleared, public, partnership=quiet)
    assert set(interaction_visible_to(officer)) == {about_shared}
    assert set(interaction_visible_to(cleared)) == {about_shared, about_quiet}


def test_follow_ups_follow_their_stakeholder_and_interaction(officer):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    public, turned = StakeholderFactory(), StakeholderFactory()
    visible = services.follow_up_create(
        user=cleared, stakeholder=public, title="Send the draft", owner=officer,
        due_date=TODAY - datetime.timedelta(days=2),
    )  # fmt: skip
    on_turned = services.follow_up_create(
        user=cleared, stakeholder=turned, title="Call", owner=officer, due_date=TODAY
    )
    secret_meeting = log(cleared, public, hidden_actor())
    from_secret = services.follow_up_create(
        user=cleared, stakeholder=public, title="Thank them", owner=cleared, due_date=TODAY,
        interaction=secret_meeting,
    )  # fmt: skip
    registry.stakeholder_update(stakeholder=turned, sensitivity=Sensitivity.RESTRICTED)
    assert set(follow_up_visible_to(officer)) == {visible}
    assert set(follow_up_visible_to(cleared)) == {visible, on_turned, from_secret}
    mine = follow_ups_of_owner(user=officer)
    assert [f.title for f in mine["follow_ups"]] == ["Send the draft"]
    assert mine["follow_ups"][0].overdue and mine["total"] == 1


def test_the_timeline_merges_sources_newest_first_and_leaves_hidden_ones_out(officer):
    from stakeholders.models import Tie

    cleared = UserFactory(roles=["program officer"], cleared=True)
    actor, partner, secret = StakeholderFactory(), StakeholderFactory(), hidden_actor()
    outcome = OutcomeFactory(title="Water security")
    registry.stake_create(stakeholder=actor, outcome=outcome, interest=0.5, influence=0.4)
    registry.tie_create(
        from_stakeholder=actor, to_stakeholder=partner, kind="funds",
        start_date=TODAY - datetime.timedelta(days=400),
    )  # fmt: skip
    registry.tie_create(
        from_stakeholder=secret, to_stakeholder=actor, kind="funds",
        start_date=TODAY - datetime.timedelta(days=300),
    )  # fmt: skip
    log(cleared, actor, notes="Open meeting", date=TODAY - datetime.timedelta(days=3))
    log(cleared, actor, secret, notes="Secret meeting", date=TODAY - datetime.timedelta(days=2))
    assert Tie.objects.count() == 2

    seen = stakeholder_timeline(stakeholder=actor, user=officer)
    labels = [(e.kind, e.label) for e in seen["entries"]]
    assert labels == [
        ("stake", "Water security"),
        ("interaction", "Open meeting"),
        ("tie", partner.name),
    ]
    cleared_view = stakeholder_timeline(stakeholder=actor, user=cleared)
    assert ("interaction", "Secret meeting") in [(e.kind, e.label) for e in cleared_view["entries"]]
    assert ("tie", secret.name) in [(e.kind, e.label) for e in cleared_view["entries"]]


def test_the_timeline_pages_with_the_same_number_of_queries(officer, django_assert_num_queries):
    actor = StakeholderFactory()
    for day in range(3):
        log(officer, actor, date=TODAY - datetime.timedelta(days=day))
    stakeholder_timeline(stakeholder=actor, user=officer)  # warm first-use lookups
    with django_assert_num_queries(7) as few:
        stakeholder_timeline(stakeholder=actor, user=officer)
    for day in range(3, 30):
        log(officer, actor, date=TODAY - datetime.timedelta(days=day))
    with django_assert_num_queries(len(few.captured_queries)):
        first = stakeholder_timeline(stakeholder=actor, user=officer, page=1, per_page=20)
    assert len(first["entries"]) == 20 and first["has_next"]
    second = stakeholder_timeline(stakeholder=actor, user=officer, page=2, per_page=20)
    assert len(second["entries"]) == 10 and not second["has_next"]
    dates = [e.when for e in first["entries"] + second["entries"]]
    assert dates == sorted(dates, reverse=True)


def test_a_stake_change_on_the_timeline_says_what_it_moved_from_and_to(officer, client):
    actor, outcome = StakeholderFactory(), OutcomeFactory(title="Water security")
    stake = registry.stake_create(
        stakeholder=actor, outcome=outcome, interest=0.5, influence=0.4, position="supports"
    )
    registry.stake_update(stake=stake, position="opposes", influence=0.7)
    changed, recorded = [
        e for e in stakeholder_timeline(stakeholder=actor, user=officer)["entries"]
    ]
    assert (changed.verb, changed.detail) == (
        "stake changed",
        "supports → opposes · interest 0.50 · influence 0.40 → 0.70",
    )
    assert (recorded.verb, recorded.detail) == (
        "stake recorded",
        "supports · interest 0.50 · influence 0.40",
    )
    client.force_login(officer)
    page = client.get(f"/relationships/stakeholders/{actor.pk}/timeline/").content.decode()
    assert "supports → opposes" in page


def test_a_stake_change_never_says_what_it_was_before_its_actor_was_made_public(officer):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    actor, outcome = hidden_actor(), OutcomeFactory()
    stake = registry.stake_create(
        stakeholder=actor, outcome=outcome, interest=0.5, influence=0.4, position="supports"
    )
    registry.stake_update(stake=stake, position="neutral")
    registry.stakeholder_update(stakeholder=actor, sensitivity=Sensitivity.PUBLIC)
    registry.stake_update(stake=stake, position="opposes")
    seen = [
        (e.verb, e.detail) for e in stakeholder_timeline(stakeholder=actor, user=officer)["entries"]
    ]
    # For them the stake was recorded as it stood when the actor was made public.
    assert seen == [
        ("stake changed", "neutral → opposes · interest 0.50 · influence 0.40"),
        ("stake recorded", "neutral · interest 0.50 · influence 0.40"),
    ]
    told = [e.detail for e in stakeholder_timeline(stakeholder=actor, user=cleared)["entries"]]
    assert told == [
        "neutral → opposes · interest 0.50 · influence 0.40",
        "supports → neutral · interest 0.50 · influence 0.40",
        "supports · interest 0.50 · influence 0.40",
    ]


@contextmanager
def _as(user, day, hour=10):
    """Writes made by ``user`` (their history says so) at ``hour`` on ``day``."""
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        with time_machine.travel(moment, tick=False):
            yield
    finally:
        del HistoricalRecords.context.request


def _stake_lines(actor, user):
    return [
        (e.verb, e.label, e.detail, e.who and e.who.username, e.when, e.note)
        for e in stakeholder_timeline(stakeholder=actor, user=user)["entries"]
        if e.kind == "stake"
    ]


@pytest.mark.parametrize("changed_later", [False, True])
def test_a_declassified_actors_stakes_begin_as_recorded_when_it_was_made_public(
    officer, changed_later
):
    """Two worlds, as the uncleared officer reads the timeline: in one the actor is public from
    the start and its stake is added on the day of the declassification; in the other the
    actor is restricted, its stake recorded and re-assessed while it is, and it is made public
    that day. They read alike: the stake recorded that day (by whoever made it public), then,
    if it changed later, the change from what it held then."""
    cleared = UserFactory(username="clea", roles=["program officer"], cleared=True)
    alice = UserFactory(username="alice", roles=["program officer"], cleared=True)
    earlier, public_day, later = (TODAY - datetime.timedelta(days=d) for d in (20, 10, 5))
    outcome = OutcomeFactory(title="Water security")
    fields = {"outcome": outcome, "interest": 0.5, "influence": 0.4}

    with _as(alice, earlier):
        from_the_start = StakeholderFactory(name="Open Trust")
        declassified = hidden_actor(name="Quiet Trust")
    with _as(cleared, earlier, hour=11):
        kept = registry.stake_create(stakeholder=declassified, position="supports", **fields)
    reassessed = earlier + datetime.timedelta(days=2)
    with _as(cleared, reassessed):
        registry.stake_update(stake=kept, position="neutral", notes="Softer line")
    with _as(alice, public_day):
        registry.stakeholder_update(stakeholder=declassified, sensitivity=Sensitivity.PUBLIC)
        # The stake as it stood then, its fields (the day it was assessed) included.
        added = registry.stake_create(
            stakeholder=from_the_start, position="neutral", notes="Softer line",
            assessed_on=reassessed, **fields,
        )  # fmt: skip
    if changed_later:
        with _as(alice, later):
            registry.stake_update(stake=kept, position="opposes")
            registry.stake_update(stake=added, position="opposes")

    counterfactual = _stake_lines(from_the_start, officer)
    assert counterfactual[-1][:4] == (
        "stake recorded", "Water security",
        f"neutral · interest 0.50 · influence 0.40 · assessed {reassessed:%d %b %Y}", "alice",
    )  # fmt: skip
    assert len(counterfactual) == (2 if changed_later else 1)
    assert _stake_lines(declassified, officer) == counterfactual
    # The change log (and the home page's recent changes) reads alike too.
    feed = [
        describe_change(record)
        for record in registry_recent_changes(user=officer, kinds=["stake"], limit=20)
    ]

    def logged(name):
        return [
            (c["verb"], c["who"].username, c["when"]) for c in feed if c["label"].startswith(name)
        ]

    assert logged("Open Trust")[-1][:2] == ("created", "alice")
    assert logged("Quiet Trust") == logged("Open Trust")
    # Cleared people read what was recorded while it was restricted, by whom.
    told = _stake_lines(declassified, cleared)
    assert [line[3] for line in told][-2:] == ["clea", "clea"]
    assert told[-1][:3] == (
        "stake recorded", "Water security", "supports · interest 0.50 · influence 0.40"
    )  # fmt: skip


def test_undated_ties_sit_where_they_were_recorded_and_unknown_ones_last(officer, client):
    from stakeholders.models import Tie

    actor, old, new, unknown = (StakeholderFactory() for _ in range(4))
    log(officer, actor, notes="Yesterday's meeting")
    registry.tie_create(
        from_stakeholder=actor, to_stakeholder=old, kind="funds",
        start_date=TODAY - datetime.timedelta(days=400),
    )  # fmt: skip
    registry.tie_create(from_stakeholder=actor, to_stakeholder=new, kind="partners_with")
    lost = registry.tie_create(from_stakeholder=unknown, to_stakeholder=actor, kind="funds")
    Tie.objects.filter(pk=lost.pk).update(created_at=None)  # from before records kept it

    entries = stakeholder_timeline(stakeholder=actor, user=officer)["entries"]
    assert [(e.verb, e.label) for e in entries] == [
        ("tie recorded", new.name),
        ("meeting", "Yesterday's meeting"),
        ("tie begun", old.name),
        ("tie recorded", unknown.name),
    ]
    assert entries[0].detail == "partners with · no start date" and not entries[0].undated
    assert entries[-1].undated
    client.force_login(officer)
    response = client.get(f"/relationships/stakeholders/{actor.pk}/timeline/")
    assert response.status_code == 200
    assert "date unknown" in response.content.decode()


def test_support_over_time_counts_a_declassified_actors_stake_from_when_it_was_made_public(
    officer,
):
    """The outcome page's chart, in the same two worlds: the declassified actor's stake counts
    from the day it was assessed as it stood when the actor was made public, as the stake of an
    actor public from the start, added that day with the same fields, does in its outcome."""
    from relationships.selectors import outcome_positions

    cleared = UserFactory(username="clea", roles=["program officer"], cleared=True)
    alice = UserFactory(username="alice", roles=["program officer"], cleared=True)
    earlier, public_day, later = (TODAY - datetime.timedelta(days=d) for d in (80, 40, 5))
    reassessed = earlier + datetime.timedelta(days=2)
    one, other = OutcomeFactory(title="Water security"), OutcomeFactory(title="Grain corridors")
    with _as(alice, earlier):
        from_the_start = StakeholderFactory(name="Open Trust")
        declassified = hidden_actor(name="Quiet Trust")
    with _as(cleared, earlier, hour=11):
        kept = registry.stake_create(
            stakeholder=declassified, outcome=one, position="supports", interest=0.5,
            influence=0.4, assessed_on=earlier,
        )  # fmt: skip
    with _as(cleared, reassessed):
        registry.stake_update(stake=kept, position="neutral", assessed_on=reassessed)
    with _as(alice, public_day):
        registry.stakeholder_update(stakeholder=declassified, sensitivity=Sensitivity.PUBLIC)
        added = registry.stake_create(
            stakeholder=from_the_start, outcome=other, position="neutral", interest=0.5,
            influence=0.4, assessed_on=reassessed,
        )  # fmt: skip
    with _as(alice, later):
        registry.stake_update(stake=kept, position="opposes", assessed_on=later)
        registry.stake_update(stake=added, position="opposes", assessed_on=later)

    def seen(outcome):
        found = outcome_positions(outcome=outcome, user=officer, today=TODAY)
        moves = [(m["before"], m["after"], m["day"]) for m in found["moves"]]
        return found["series"], moves, found["has_history"]

    counterfactual = seen(other)
    assert counterfactual[1] == [("neutral", "opposes", later)]
    assert seen(one) == counterfactual
    # Cleared people see it supporting before it was made public.
    told = outcome_positions(outcome=one, user=cleared, today=TODAY)
    assert [(m["before"], m["after"]) for m in told["moves"]] == [("supports", "opposes")]
