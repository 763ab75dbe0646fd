import pytest
from django.urls import reverse

from stakeholders.choices import Kind, Sensitivity
from tests.conftest import login_verified
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_shows_counts_outcomes_and_changes(client, analyst):
    actor = StakeholderFactory(name="Yemen Women's Union", kind=Kind.WOMENS_GROUP, country="YE")
    StakeFactory(stakeholder=actor, outcome=OutcomeFactory(title="Reconstruction of Aden port"))
    login_verified(client, analyst)
    page = client.get(reverse("home")).content.decode()
    assert "Women&#x27;s group" in page
    assert "Reconstruction of Aden port" in page
    assert "Yemen Women&#x27;s Union" in page
    assert "public registry only" in page


def test_home_never_names_or_counts_hidden_actors(client, analyst, cleared_analyst):
    hidden = StakeholderFactory(
        name="Safe House Network", kind=Kind.GRASSROOTS, sensitivity=Sensitivity.CONFIDENTIAL
    )
    StakeFactory(stakeholder=hidden, outcome=OutcomeFactory(title="Safe passage"))
    login_verified(client, analyst)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert "Safe House Network" not in page
    assert "hidden actor" not in page.lower()
    assert "1 restricted" not in page.lower()
    # The outcome itself is public, but a stake count that includes the hidden actor is not.
    assert [o.title for o in response.context["top_outcomes"]] == []
    login_verified(client, cleared_analyst)
    page = client.get(reverse("home")).content.decode()
    assert "Safe House Network" in page
    assert "cleared for restricted actors" in page


def _make_registry(n: int) -> None:
    outcomes = OutcomeFactory.create_batch(3)
    for i in range(n):
        actor = StakeholderFactory(
            kind=list(Kind.values)[i % len(Kind.values)], country_of_origin=""
        )
        if actor.kind == Kind.DIASPORA:
            actor.country_of_origin = "SO"
            actor.save()
        StakeFactory(stakeholder=actor, outcome=outcomes[i % 3])


@pytest.mark.parametrize("rows", [5, 50])
def test_home_query_count_does_not_grow(client, analyst, django_assert_num_queries, rows):
    _make_registry(rows)
    login_verified(client, analyst)
    # session, user, roles, permissions (clearance, second factor), counts by kind, top
    # outcomes, 5 history queries (stakeholders, outcomes, stakes, stakes begun when their actor
    # was made public — for someone not cleared —, ties), partnership steps, my tasks (review
    # queue, drafts, sent back, failed imports), the index headline (methodology, then overall
    # and pillars: 2), newest candidates, the three trends (index by quarter, runs by week,
    # decisions by week), my follow-ups (relationships panel): the same for 5 rows and 50.
    with django_assert_num_queries(24):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_navigation_lists_the_products_sections(client, analyst):
    login_verified(client, analyst)
    page = client.get(reverse("home")).content.decode()
    for label in ("Graph", "Stakeholders", "Outcomes", "Candidates", "Partnerships",
                  "Engagements", "Index", "API"):  # fmt: skip
        assert f">{label}<" in page


def test_a_reviewer_is_told_of_a_proposal_waiting(client, reviewer, officer):
    from tests.partnerships.partnership_helpers import make_partnership

    waiting = make_partnership(proposer=officer, status="proposed", title="Water points")
    login_verified(client, reviewer)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert "1 proposal waiting for review" in page and waiting.title in page
    assert response.context["tasks"]["reviews"] == [waiting]
    # The officer sees their own draft, not the review.
    make_partnership(proposer=officer, title="My draft")
    login_verified(client, officer)
    page = client.get(reverse("home")).content.decode()
    assert "Your drafts" in page and "My draft" in page and "waiting for review" not in page


def test_worker_status_is_for_administrators_only(client, analyst, administrator):
    login_verified(client, analyst)
    assert "CELERY_BROKER_URL" not in client.get(reverse("home")).content.decode()
    login_verified(client, administrator)
    assert "Background jobs run" in client.get(reverse("home")).content.decode()


def test_an_empty_registry_says_where_to_start(client, officer):
    login_verified(client, officer)
    page = client.get(reverse("home")).content.decode()
    assert "the registry is empty" in page and "Import your stakeholders" in page
    StakeholderFactory()
    assert "the registry is empty" not in client.get(reverse("home")).content.decode()


def test_a_sparkline_breaks_at_gaps_and_draws_a_lone_point_as_a_dot():
    from smartdiplomacy.home import sparkline

    values = [10, 20, None, 30, None, 40, 50]
    shape = sparkline([{"label": str(i), "value": v} for i, v in enumerate(values)])
    assert len(shape["segments"]) == 2 and len(shape["dots"]) == 1
    assert shape["last"]["value"] == 50 and shape["last"]["label"] == "6"
    lowest, highest = shape["segments"][0].split()[0], shape["segments"][1].split()[-1]
    # The lowest value sits on the bottom of the box, the highest on its top (4 px padding).
    assert float(lowest.split(",")[1]) == shape["height"] - 4
    assert float(highest.split(",")[1]) == 4
    assert sparkline([{"label": "a", "value": None}])["has_data"] is False


def test_home_trends_count_only_what_the_reader_may_see(
    client, analyst, cleared_analyst, officer, reviewer
):
    from partnerships.choices import PartnershipStatus
    from stakeholders.models import Stakeholder
    from tests.partnerships.partnership_helpers import make_partnership

    shown = make_partnership(proposer=officer, reviewer=reviewer, status=PartnershipStatus.APPROVED)
    hidden_one = make_partnership(
        proposer=officer, reviewer=reviewer, status=PartnershipStatus.APPROVED
    )
    hidden_member = hidden_one.members.order_by("pk").first().stakeholder
    Stakeholder.objects.filter(pk=hidden_member.pk).update(sensitivity=Sensitivity.RESTRICTED)
    assert shown.pk != hidden_one.pk

    def decided_this_week(user) -> int:
        login_verified(client, user)
        response = client.get(reverse("home"))
        trend = {t["key"]: t for t in response.context["trends"]}["decisions"]
        page = response.content.decode()
        assert "Proposals decided, by week" in page and "<summary>The figures</summary>" in page
        return trend["shape"]["points"][-1]["value"]

    assert decided_this_week(analyst) == 1
    assert decided_this_week(cleared_analyst) == 2


def test_the_index_trend_leaves_empty_quarters_as_gaps(analyst):
    import datetime

    from index import services
    from index.models import Methodology
    from index.summaries import index_trend_by_quarter
    from tests.index.factories import EngagementFactory

    v1 = Methodology.objects.get(name="Smart Diplomacy Index", version=1)
    for day in (datetime.date(2025, 2, 1), datetime.date(2025, 8, 1), datetime.date(2025, 8, 2)):
        engagement = EngagementFactory(start_date=day, end_date=day, digital_channels=2)
        services.score_compute(engagement=engagement, methodology=v1)
    trend = index_trend_by_quarter(methodology=v1, user=analyst, quarters=4)
    assert [point["label"] for point in trend] == ["2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3"]
    assert [point["n"] for point in trend] == [0, 1, 0, 2]
    assert trend[0]["value"] is None and trend[2]["value"] is None
    assert trend[3]["value"] is not None
