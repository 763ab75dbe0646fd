"""Engagements, scores and methodology versions through the services a user's request calls."""

import datetime

import pytest

from index import engagement_services, services
from index.models import Engagement, EngagementParticipant, Score
from index.selectors import methodology_current
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Kind, Scope, Sensitivity
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 3, 10)


def test_version_1_is_published_by_the_migration(v1):
    assert v1.published and v1.aggregation == "arithmetic"
    assert [i["code"] for i in v1.indicators] == [
        *(f"D{n}" for n in range(1, 6)),
        *(f"M{n}" for n in range(1, 7)),
        *(f"F{n}" for n in range(1, 8)),
    ]
    assert methodology_current() == v1


def test_create_records_participants_and_scores_after_commit(
    officer, v1, django_capture_on_commit_callbacks
):
    state = StakeholderFactory(kind=Kind.STATE)
    group = StakeholderFactory(kind=Kind.WOMENS_GROUP, scope=Scope.LOCAL)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        engagement = engagement_services.engagement_create(
            user=officer,
            title="Consultation with Yemeni women's groups",
            kind="consultation",
            start_date=START,
            participants=[(state.pk, "convener"), (group.pk, "participant")],
            participants_total=20,
            participants_women=10,
        )
        assert not Score.objects.exists()  # nothing is scored before the commit
    # One rescore is queued, and only once the transaction commits.
    queued = [c for c in callbacks if c.__qualname__.startswith("enqueue_on_commit")]
    assert len(queued) == 1
    score = Score.objects.get(engagement=engagement, methodology=v1)
    assert score.multi_stakeholder is not None and score.feminist is not None
    assert score.digital is None  # no digital fact known
    assert score.inputs["participants_total"] == 20
    assert engagement.history.count() == 1


def test_a_hidden_stakeholder_fails_like_a_missing_one(officer):
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    for pk in (hidden.pk, 999999):
        with pytest.raises(ApplicationError) as error:
            engagement_services.engagement_create(
                user=officer,
                title="x",
                kind="meeting",
                start_date=START,
                participants=[(pk, "participant")],
            )
        assert str(error.value) == f"Stakeholder #{pk} does not exist."
        assert error.value.field == "participants"
    assert not Engagement.objects.exists()


def test_invalid_facts_leave_the_database_unchanged(officer):
    with pytest.raises(Exception) as error:
        engagement_services.engagement_create(
            user=officer,
            title="x",
            kind="meeting",
            start_date=START,
            end_date=START - datetime.timedelta(days=1),
            participants_total=5,
            participants_women=6,
        )
    assert "end date" in str(error.value).lower() or "women" in str(error.value).lower()
    assert not Engagement.objects.exists()


def test_update_keeps_participants_the_user_cannot_see(officer, cleared_analyst):
    hidden = StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    public = StakeholderFactory()
    other = StakeholderFactory()
    engagement = engagement_services.engagement_create(
        user=cleared_analyst,
        title="x",
        kind="meeting",
        start_date=START,
        participants=[(hidden.pk, "funder"), (public.pk, "participant")],
    )
    engagement_services.engagement_update(
        engagement=engagement, user=officer, participants=[(other.pk, "implementer")]
    )
    assert set(
        EngagementParticipant.objects.filter(engagement=engagement).values_list(
            "stakeholder_id", "role"
        )
    ) == {(hidden.pk, "funder"), (other.pk, "implementer")}


def test_score_is_deterministic_and_replaced_not_duplicated(v1):
    engagement = EngagementFactory(
        digital_channels=3, realtime_reporting=True, unscr1325_participation=False
    )
    first = services.score_compute(engagement=engagement, methodology=v1)
    second = services.score_compute(engagement=engagement, methodology=v1)
    assert Score.objects.filter(engagement=engagement).count() == 1
    assert (first.digital, first.composite, first.indicators) == (
        second.digital,
        second.composite,
        second.indicators,
    )
    # Only D1 and D2 are known, both at the top goalpost: the unknown three are left out.
    assert first.digital == 100.0
    assert first.composite == pytest.approx(50.0)  # with feminist 0 (no 1325 pillar)
    assert first.completeness == pytest.approx(3 / 18)  # D1, D2 and F6


def test_a_published_version_is_frozen(v1):
    v1.aggregation = "geometric"
    with pytest.raises(ApplicationError, match="cannot be changed"):
        v1.save()
    with pytest.raises(ApplicationError):
        services.methodology_update(methodology=v1, aggregation="geometric")


def test_a_new_version_keeps_old_scores(v1, django_capture_on_commit_callbacks):
    engagement = EngagementFactory(
        digital_channels=3, realtime_reporting=False, unscr1325_protection=False
    )
    old = services.score_compute(engagement=engagement, methodology=v1)
    v2 = services.methodology_copy(methodology=v1)
    assert (v2.version, v2.published) == (2, False)
    services.methodology_update(
        methodology=v2,
        pillar_weights={"digital": 2.0, "multi_stakeholder": 1.0, "feminist": 1.0},
        aggregation="geometric",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.methodology_publish(methodology=v2)
    old.refresh_from_db()
    new = Score.objects.get(engagement=engagement, methodology=v2)
    assert old.methodology == v1 and old.composite == pytest.approx(old.digital * 1 / 2 + 0 / 2)
    assert new.composite == 0.0  # geometric: feminist pillar is 0 (no 1325 pillar ticked)
    assert methodology_current() == v2
    with pytest.raises(ApplicationError, match="already published"):
        services.methodology_publish(methodology=v2)


def test_a_methodology_with_bad_goalposts_is_refused(v1):
    v2 = services.methodology_copy(methodology=v1)
    bad = [dict(v2.indicators[0], goalposts=[3, 0]), *v2.indicators[1:]]
    with pytest.raises(ApplicationError, match="goalposts") as error:
        services.methodology_update(methodology=v2, indicators=bad)
    assert error.value.field == "indicators"


def test_bulk_rescore_matches_one_by_one(v1):
    engagements = [
        EngagementFactory(digital_channels=n % 4, participants_total=10, participants_women=n)
        for n in range(6)
    ]
    for engagement in engagements[:3]:
        EngagementParticipantFactory(engagement=engagement)
    services.methodology_rescore_all(methodology=v1, batch=4)
    bulk = {s.engagement_id: s.composite for s in Score.objects.filter(methodology=v1)}
    for engagement in engagements:
        assert (
            services.score_compute(engagement=engagement, methodology=v1).composite
            == bulk[engagement.pk]
        )


def test_someone_elses_draft_partnership_fails_like_a_missing_one(officer):
    from tests.accounts.factories import UserFactory
    from tests.partnerships.partnership_helpers import make_partnership

    other = UserFactory(roles=["program officer"])
    draft = make_partnership(proposer=other)
    with pytest.raises(ApplicationError) as error:
        engagement_services.engagement_create(
            user=officer, title="x", kind="meeting", start_date=START, partnership=draft
        )
    assert error.value.field == "partnership"
    assert str(error.value) == f"Partnership #{draft.pk} does not exist."
    mine = make_partnership(proposer=officer)
    engagement = engagement_services.engagement_create(
        user=officer, title="x", kind="meeting", start_date=START, partnership=mine
    )
    assert engagement.partnership == mine


def test_demo_engagements_are_scored_and_idempotent(db, django_capture_on_commit_callbacks):
    from demo.engagements import demo_engagements_ensure
    from demo.load import demo_scenario_load
    from demo.users import demo_users_ensure
    from index.models import Engagement, Score

    demo_scenario_load()
    demo_users_ensure()
    with django_capture_on_commit_callbacks(execute=True):
        created = demo_engagements_ensure()
    assert created == 40
    assert Engagement.objects.count() == 40
    # The participants come from the outcome's strongest stakes, restricted actors included.
    assert Engagement.objects.filter(participants__stakeholder__sensitivity="restricted").exists()
    # Each one is scored under the published methodology once its transaction commits.
    assert Score.objects.filter(audience="public").count() == 40
    # Engagements with restricted participants also have the score cleared people read.
    mixed = (
        Engagement.objects.filter(
            participants__stakeholder__sensitivity__in=["restricted", "confidential"]
        )
        .distinct()
        .count()
    )
    assert Score.objects.filter(audience="cleared").count() == mixed > 0
    assert Score.objects.filter(completeness__lt=1).exists()
    assert demo_engagements_ensure() == 0
    assert Engagement.objects.count() == 40


def test_engagement_services_refuse_a_field_they_do_not_name_at_the_call(officer, v1):
    with pytest.raises(TypeError, match="created_at"):
        engagement_services.engagement_create(
            user=officer, title="Unlisted", kind="meeting", start_date=START, created_at=None
        )
    assert not Engagement.objects.filter(title="Unlisted").exists()
    engagement = engagement_services.engagement_create(
        user=officer, title="Listed", kind="meeting", start_date=START, participants_total=12
    )
    with pytest.raises(TypeError, match="participant_total"):
        engagement_services.engagement_update(
            engagement=engagement, user=officer, title="Renamed", participant_total=14
        )
    engagement.refresh_from_db()
    assert (engagement.title, engagement.participants_total) == ("Listed", 12)


def test_an_update_changes_only_the_facts_given_and_says_so_in_the_history(
    officer, v1, django_capture_on_commit_callbacks
):
    engagement = engagement_services.engagement_create(
        user=officer, title="Listed", kind="meeting", start_date=START, participants_total=12
    )
    with django_capture_on_commit_callbacks() as queued:
        engagement_services.engagement_update(
            engagement=engagement, user=officer, participants_women=5
        )
    engagement.refresh_from_db()
    assert (engagement.title, engagement.participants_total) == ("Listed", 12)
    assert engagement.participants_women == 5
    assert engagement.history.count() == 2 and engagement.history.latest().participants_women == 5
    assert any("enqueue_on_commit" in callback.__qualname__ for callback in queued)  # rescoring


def test_methodology_update_refuses_what_only_publishing_may_set(v1):
    draft = services.methodology_copy(methodology=v1)
    with pytest.raises(TypeError, match="published"):
        services.methodology_update(methodology=draft, published=True)
    draft.refresh_from_db()
    assert not draft.published
