"""The index's pages as people use them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from index import services
from index.models import Engagement, Score
from index.selectors import score_of
from stakeholders.choices import Kind, Sensitivity
from tests.conftest import login_verified
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _login(client, user):
    login_verified(client, user)
    return client


def _scored_engagements(n, v1):
    engagements = [
        EngagementFactory(digital_channels=i % 4, participants_total=10, participants_women=i % 10)
        for i in range(n)
    ]
    services.methodology_rescore_all(methodology=v1)
    return engagements


def _list_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_engagement_list_query_count_does_not_grow(client, analyst, v1, django_assert_num_queries):
    _login(client, analyst)
    url = reverse("index:engagement_list")
    _scored_engagements(5, v1)
    few = _list_queries(client, url)
    _scored_engagements(45, v1)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert len(response.context["engagements"]) == 50
    assert "Engagement" in response.content.decode()


def test_list_shows_scores_and_filters(client, analyst, v1):
    kept = EngagementFactory(title="Sahel climate consultation", digital_channels=3)
    EngagementFactory(title="Other meeting")
    services.score_compute(engagement=kept, methodology=v1)
    response = _login(client, analyst).get(reverse("index:engagement_list"), {"q": "sahel"})
    html = response.content.decode()
    assert "Sahel climate consultation" in html and "Other meeting" not in html


def test_score_card_shows_pillars_and_contributions(client, analyst, v1):
    engagement = EngagementFactory(
        digital_channels=3, realtime_reporting=True, unscr1325_prevention=False
    )
    services.score_compute(engagement=engagement, methodology=v1)
    response = _login(client, analyst).get(engagement.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Digital", "Multi-stakeholder", "Feminist", "D1 · Online and hybrid channels"):
        assert text in html
    assert "unknown — lowers completeness" in html
    assert "data completeness <strong>17 %</strong>" in html  # 3 of 18 indicators known


def test_hidden_participants_are_left_out_of_lists_and_counts(client, analyst, cleared_analyst, v1):
    engagement = EngagementFactory()
    EngagementParticipantFactory(
        engagement=engagement,
        stakeholder=StakeholderFactory(
            name="Secret Women's Network",
            kind=Kind.WOMENS_GROUP,
            sensitivity=Sensitivity.RESTRICTED,
        ),
    )
    EngagementParticipantFactory(
        engagement=engagement, stakeholder=StakeholderFactory(name="Open NGO", kind=Kind.NGO)
    )
    services.score_compute(engagement=engagement, methodology=v1)
    html = _login(client, analyst).get(engagement.get_absolute_url()).content.decode()
    assert "Open NGO" in html and "NGO: 1" in html
    assert "Secret" not in html and "1 women&#x27;s group" not in html.lower()
    for hint in ("hidden actor", "hidden participant", "restricted", "not shown"):
        assert hint not in html.lower()
    assert "Composite" in html  # the score itself may be shown
    # ... computed as if the women's group never took part: one participant, no women's group.
    public = score_of(engagement=engagement, methodology=v1, user=analyst)
    cleared = score_of(engagement=engagement, methodology=v1, user=cleared_analyst)
    f3 = {
        score.audience: next(i for i in score.indicators if i["code"] == "F3")
        for score in (public, cleared)
    }
    assert f3 == {
        "public": {**f3["public"], "value": 0.0},
        "cleared": {**f3["cleared"], "value": 1.0},
    }
    assert (
        f"{public.multi_stakeholder:.1f}" in html and f"{cleared.multi_stakeholder:.1f}" not in html
    )
    html = _login(client, cleared_analyst).get(engagement.get_absolute_url()).content.decode()
    assert "Secret Women" in html and f"{cleared.multi_stakeholder:.1f}" in html


def _form_data(**overrides):
    data = {
        "title": "Hybrid consultation on Rohingya women's protection",
        "kind": "consultation",
        "format": "hybrid",
        "start_date": "2026-04-01",
        "end_date": "2026-04-02",
        "place": "Cox's Bazar",
        "country": "BD",
        "digital_channels": "2",
        "realtime_reporting": "True",
        "participants_total": "30",
        "participants_women": "18",
    }
    data.update(overrides)
    return data


def test_officer_records_an_engagement_and_it_is_scored(
    client, officer, v1, django_capture_on_commit_callbacks
):
    ngo = StakeholderFactory(kind=Kind.NGO)
    state = StakeholderFactory(kind=Kind.STATE)
    _login(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("index:engagement_create"),
            _form_data(conveners=[state.pk], implementers=[ngo.pk]),
        )
    engagement = Engagement.objects.get()
    assert response.status_code == 302 and response.url == engagement.get_absolute_url()
    assert engagement.participants.count() == 2
    assert Score.objects.filter(engagement=engagement, methodology=v1).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"participants_women": "31"}, "participants_women", "Must be between 0 and 30"),
        ({"end_date": "2026-03-01"}, "end_date", "cannot be before the start date"),
        ({"participants_total": "-1"}, "participants_total", "greater than or equal to 0"),
    ],
)
def test_the_form_names_the_wrong_field(client, officer, overrides, field, message):
    response = _login(client, officer).post(
        reverse("index:engagement_create"), _form_data(**overrides)
    )
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Engagement.objects.exists()


def test_a_stakeholder_in_two_roles_is_refused(client, officer):
    ngo = StakeholderFactory()
    response = _login(client, officer).post(
        reverse("index:engagement_create"), _form_data(conveners=[ngo.pk], funders=[ngo.pk])
    )
    assert response.status_code == 400 and "one role" in response.content.decode()


def test_a_hidden_stakeholder_is_not_offered_nor_accepted(client, officer):
    hidden = StakeholderFactory(name="Quiet Actor", sensitivity=Sensitivity.CONFIDENTIAL)
    _login(client, officer)
    assert "Quiet Actor" not in client.get(reverse("index:engagement_create")).content.decode()
    response = client.post(reverse("index:engagement_create"), _form_data(funders=[hidden.pk]))
    assert response.status_code == 400 and "funders" in response.context["form"].errors
    assert not Engagement.objects.exists()


def test_officer_edits_an_engagement(client, officer):
    engagement = EngagementFactory(title="Old title")
    response = _login(client, officer).post(
        reverse("index:engagement_update", args=[engagement.pk]), _form_data(title="New title")
    )
    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.title == "New title" and engagement.history.count() == 2


def test_analysts_read_but_do_not_record(client, analyst):
    _login(client, analyst)
    assert client.get(reverse("index:engagement_list")).status_code == 200
    assert client.get(reverse("index:engagement_create")).status_code == 403
    engagement = EngagementFactory()
    assert client.get(reverse("index:engagement_update", args=[engagement.pk])).status_code == 403


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(reverse("index:engagement_list"))
    assert response.status_code == 302 and "login" in response.url


def test_dashboard_averages_by_country_and_quarter(client, analyst, v1):
    EngagementFactory(country="YE", digital_channels=3, unscr1325_participation=False)
    EngagementFactory(country="BD", digital_channels=0, unscr1325_participation=True)
    services.methodology_rescore_all(methodology=v1)
    response = _login(client, analyst).get(reverse("index:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Yemen" in html and "Bangladesh" in html and "2026 Q1" in html
    # No engagement is scored on all three pillars: no like-with-like comparison is claimed.
    assert response.context["pillars"]["n"] == 0
    assert "No engagement is scored on all three pillars yet." in html


def test_the_dashboard_compares_pillars_over_the_same_engagements(client, analyst, v1):
    from datetime import date

    from tests.stakeholders.factories import StakeholderFactory

    complete = EngagementFactory(digital_channels=3, unscr1325_participation=True,
                                 start_date=date(2025, 1, 10))  # fmt: skip
    EngagementParticipantFactory(engagement=complete, stakeholder=StakeholderFactory())
    # Digital only, and high: it must not lift "Digital" in the comparison.
    EngagementFactory(digital_channels=5, start_date=date(2026, 1, 10))
    services.methodology_rescore_all(methodology=v1)
    response = _login(client, analyst).get(reverse("index:dashboard"))
    pillars = response.context["pillars"]
    assert pillars["n"] == 1
    complete_score = Score.objects.get(engagement=complete, audience="public")
    assert {row["pillar"]: row["average"] for row in pillars["ranked"]} == {
        "digital": complete_score.digital,
        "multi_stakeholder": complete_score.multi_stakeholder,
        "feminist": complete_score.feminist,
    }
    # The quarters run from the first to the last, the empty ones kept (as gaps in the chart).
    quarters = response.context["by_quarter"]
    assert [q["quarter"] for q in quarters] == [
        f"{y} Q{q}" for y in (2025,) for q in (1, 2, 3, 4)
    ] + ["2026 Q1"]
    assert [q["count"] for q in quarters] == [1, 0, 0, 0, 1]
    assert quarters[1]["mean_composite"] is None
    chart = response.context["chart_data"]
    assert sum(b["count"] for b in chart["histogram"]) == 2
    assert [q["composite"] is None for q in chart["quarters"]] == [False, True, True, True, False]


def test_methodology_page_explains_every_indicator(client, analyst, v1):
    html = _login(client, analyst).get(reverse("index:methodology")).content.decode()
    for spec in v1.indicators:
        assert spec["code"] in html and spec["label"].replace("'", "&#x27;") in html
    assert "never read as zero" in html


def test_a_draft_partnership_is_named_only_to_those_who_may_see_it(client, officer, analyst):
    from tests.partnerships.partnership_helpers import make_partnership

    draft = make_partnership(proposer=officer, title="Quiet draft partnership")
    engagement = EngagementFactory(partnership=draft)
    html = _login(client, officer).get(engagement.get_absolute_url()).content.decode()
    assert "Quiet draft partnership" in html
    html = _login(client, analyst).get(engagement.get_absolute_url()).content.decode()
    assert "Quiet draft partnership" not in html


def test_dashboard_groups_by_partnership_and_outcome_naming_only_visible_partnerships(
    client, officer, analyst, reviewer, v1, django_assert_num_queries
):
    from partnerships.choices import PartnershipStatus
    from tests.partnerships.partnership_helpers import make_partnership
    from tests.stakeholders.factories import OutcomeFactory

    draft = make_partnership(proposer=officer, title="Quiet draft partnership")
    proposed = make_partnership(
        proposer=officer, title="Open partnership", status=PartnershipStatus.PROPOSED
    )
    outcome = OutcomeFactory(title="Protection of displaced women")
    no_pillar = {"unscr1325_participation": False}
    strong = EngagementFactory(
        partnership=proposed, digital_channels=3, realtime_reporting=True, **no_pillar
    )
    weak = EngagementFactory(
        partnership=proposed, digital_channels=0, realtime_reporting=False, **no_pillar
    )
    EngagementFactory(partnership=draft, digital_channels=2)
    strong.outcomes.add(outcome)
    services.methodology_rescore_all(methodology=v1)

    response = _login(client, analyst).get(reverse("index:dashboard"))
    rows = response.context["by_partnership"]
    assert [row["title"] for row in rows] == ["Open partnership"]
    assert rows[0]["count"] == 2
    expected = (
        Score.objects.get(engagement=strong).digital + Score.objects.get(engagement=weak).digital
    ) / 2
    assert rows[0]["mean_digital"] == pytest.approx(expected)
    # Only F6 (recorded: no UNSCR 1325 pillar addressed) is known of the feminist pillar: 0.
    assert rows[0]["mean_feminist"] == 0
    assert rows[0]["best_pillar"] == "digital" and rows[0]["weakest_pillar"] == "feminist"
    assert "Quiet draft partnership" not in response.content.decode()
    (by_outcome,) = response.context["by_outcome"]
    assert by_outcome["title"] == outcome.title and by_outcome["count"] == 1
    # The proposer sees their own draft too.
    officer_rows = _login(client, officer).get(reverse("index:dashboard")).context["by_partnership"]
    assert {row["title"] for row in officer_rows} == {
        "Open partnership",
        "Quiet draft partnership",
    }
    # A fixed number of queries, whatever the number of engagements.
    _login(client, reviewer)
    few = _list_queries(client, reverse("index:dashboard"))
    for _ in range(10):
        EngagementFactory(partnership=proposed, digital_channels=1, country="BD")
    services.methodology_rescore_all(methodology=v1)
    with django_assert_num_queries(few):
        client.get(reverse("index:dashboard"))


def test_stakeholder_and_partnership_pages_list_engagements_with_scores(client, officer, v1):
    from partnerships.choices import PartnershipStatus
    from tests.partnerships.partnership_helpers import make_partnership

    partnership = make_partnership(
        proposer=officer, title="Coalition", status=PartnershipStatus.PROPOSED
    )
    actor = StakeholderFactory(name="Sahel Women Mediators", kind=Kind.WOMENS_GROUP)
    engagement = EngagementFactory(
        title="Mediation workshop", partnership=partnership, digital_channels=3
    )
    EngagementParticipantFactory(engagement=engagement, stakeholder=actor, role="convener")
    EngagementFactory(title="Unrelated meeting")
    services.methodology_rescore_all(methodology=v1)
    score = Score.objects.get(engagement=engagement)

    _login(client, officer)
    page = client.get(reverse("stakeholders:stakeholder_detail", args=[actor.pk]))
    html = page.content.decode()
    assert "Mediation workshop" in html and "Unrelated meeting" not in html
    assert "Convener" in html
    assert f"{score.composite:.0f}" in html
    html = client.get(reverse("partnerships:partnership_detail", args=[partnership.pk]))
    html = html.content.decode()
    assert "Engagements and index scores" in html and "Mediation workshop" in html
    assert "Unrelated meeting" not in html


def test_engagement_list_filters_by_participant_only_among_visible_actors(client, analyst):
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    shown = StakeholderFactory()
    with_hidden = EngagementFactory(title="With the hidden actor")
    with_shown = EngagementFactory(title="With the public actor")
    EngagementParticipantFactory(engagement=with_hidden, stakeholder=hidden)
    EngagementParticipantFactory(engagement=with_shown, stakeholder=shown)
    _login(client, analyst)
    url = reverse("index:engagement_list")
    response = client.get(url, {"participant": shown.pk})
    assert [e.title for e in response.context["engagements"]] == ["With the public actor"]
    # A hidden actor's id is refused like an unknown one: the filter does not apply to it.
    response = client.get(url, {"participant": hidden.pk})
    assert "participant" in response.context["filterset"].form.errors


def test_the_form_offers_unknown_for_every_fact_that_may_be_unknown(client, officer):
    form = _login(client, officer).get(reverse("index:engagement_create")).context["form"]
    for name in (
        "realtime_reporting",
        "marginalised_reach",
        "dac_gender_marker",
        "gbv_safeguards",
        "unscr1325_participation",
        "unscr1325_relief_recovery",
    ):
        labels = [str(label) for _, label in form.fields[name].widget.choices]
        assert labels[0] == "Unknown", name
    assert "---------" not in str(form["dac_gender_marker"])


def test_the_engagement_page_reads_as_people_write(client, analyst, v1):
    engagement = EngagementFactory(title="Aden water talks", place="Yemen", country="YE")
    EngagementParticipantFactory(
        engagement=engagement, stakeholder=StakeholderFactory(kind=Kind.NGO)
    )
    EngagementParticipantFactory(
        engagement=engagement, stakeholder=StakeholderFactory(kind=Kind.WOMENS_GROUP)
    )
    page = _login(client, analyst).get(engagement.get_absolute_url()).content.decode()
    assert "Yemen, Yemen" not in page and "· Yemen" in page  # the place is the country
    assert "NGO: 1" in page and "1 ngo" not in page
    other = EngagementFactory(title="Ministerial round", place="Aden", country="YE")
    assert "· Aden, Yemen" in client.get(other.get_absolute_url()).content.decode()


def test_engagement_headers_sort_with_unscored_last_and_the_csv_follows(client, analyst, v1):
    low = EngagementFactory(title="Low", digital_channels=0, participants_total=10)
    high = EngagementFactory(title="High", digital_channels=3, participants_total=10)
    services.score_compute(engagement=low, methodology=v1)
    services.score_compute(engagement=high, methodology=v1)
    EngagementFactory(title="Unscored")  # no score under v1 yet
    _login(client, analyst)
    url = reverse("index:engagement_list")
    for ordering, expected in (
        ("-composite", ["High", "Low", "Unscored"]),
        ("composite", ["Low", "High", "Unscored"]),
        ("title", ["High", "Low", "Unscored"]),
    ):
        response = client.get(url, {"ordering": ordering})
        assert [e.title for e in response.context["engagements"]] == expected
    assert 'aria-sort="ascending"' in response.content.decode()
    export = client.get(reverse("index:engagement_export"), {"ordering": "-composite"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = text.splitlines()
    assert rows[0].startswith("id,title,kind") and [r.split(",")[1] for r in rows[1:]] == [
        "High", "Low", "Unscored",
    ]  # fmt: skip
    assert client.get(url, {"ordering": "nonsense"}).status_code == 200
    bad = client.get(reverse("index:engagement_export"), {"start_after": "soon"})
    assert bad.status_code == 400 and b"start_after" in bad.content


def test_a_sorted_engagement_list_runs_the_same_queries_for_few_and_many(
    client, analyst, v1, django_assert_num_queries
):
    _login(client, analyst)
    url = reverse("index:engagement_list") + "?ordering=-composite"
    _scored_engagements(3, v1)
    few = _list_queries(client, url)
    _scored_engagements(30, v1)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert len(response.context["engagements"]) == 33
