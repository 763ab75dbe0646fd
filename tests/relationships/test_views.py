"""The pages of relationships as people use them: log from a stakeholder, outcome or partnership
page, read the timeline and the home panel, promote to an engagement."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from index.models import Engagement
from relationships import services
from relationships.models import FollowUp, Interaction
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.relationships.helpers import hidden_actor, log
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def test_log_an_interaction_from_a_stakeholder_page_with_a_follow_up(client, officer):
    actor, other = StakeholderFactory(name="Relief Mali"), StakeholderFactory()
    outcome = OutcomeFactory()
    login_verified(client, officer)
    page = client.get(actor.get_absolute_url()).content.decode()
    link = reverse("relationships:interaction_create") + f"?stakeholder={actor.pk}"
    assert link.replace("&", "&amp;") in page
    form = client.get(link)
    assert form.status_code == 200
    assert form.context["form"].initial["stakeholders"] == [actor.pk]
    response = client.post(
        link,
        {
            "kind": "call",
            "date": TODAY.isoformat(),
            "stakeholders": [actor.pk, other.pk],
            "outcomes": [outcome.pk],
            "our_people": [officer.pk],
            "sentiment": "1",
            "notes": "Agreed to share the assessment",
            "follow_up_title": "Send the assessment",
            "follow_up_due": (TODAY + datetime.timedelta(days=3)).isoformat(),
            "follow_up_owner": officer.pk,
            "next": actor.get_absolute_url(),
        },
    )
    assert response.status_code == 302 and response.url == actor.get_absolute_url()
    interaction = Interaction.objects.get()
    assert interaction.kind == "call" and interaction.sentiment == 1
    follow_up = FollowUp.objects.get()
    assert follow_up.stakeholder == actor and follow_up.interaction == interaction
    page = client.get(actor.get_absolute_url()).content.decode()
    assert "Agreed to share the assessment" in page and "Send the assessment" in page


def test_the_form_suggests_the_actors_one_met_last_and_never_a_hidden_one(
    client, officer, django_assert_num_queries
):
    from relationships.forms import InteractionForm

    cleared = UserFactory(roles=["program officer"], cleared=True)
    met, also_met, secret = StakeholderFactory(), StakeholderFactory(), hidden_actor()
    others = [StakeholderFactory() for _ in range(3)]
    log(officer, met)
    log(officer, also_met, date=TODAY - datetime.timedelta(days=5))
    log(cleared, secret, others[0])  # theirs, and with a hidden actor
    log(cleared, others[1])  # someone else's

    def offered(user):
        form = InteractionForm(user=user)
        return [
            choice["label"]
            for group in form["stakeholders"].subwidgets
            for choice in [group.data]
            if choice["value"]
        ]

    assert sorted(offered(officer)) == sorted([met.name, also_met.name])
    assert others[1].name in offered(cleared) and secret.name in offered(cleared)
    with django_assert_num_queries(1):  # chosen and suggested in one query
        offered(officer)
    login_verified(client, officer)
    page = client.get(reverse("relationships:interaction_create")).content.decode()
    assert met.name in page and secret.name not in page


def test_a_future_date_is_refused_beside_the_field(client, officer):
    actor = StakeholderFactory()
    login_verified(client, officer)
    response = client.post(
        reverse("relationships:interaction_create"),
        {
            "kind": "meeting",
            "date": (TODAY + datetime.timedelta(days=2)).isoformat(),
            "stakeholders": [actor.pk],
        },
    )
    assert response.status_code == 400
    assert "future" in " ".join(response.context["form"].errors["date"])
    assert not Interaction.objects.exists()


def test_outcome_and_partnership_pages_offer_logging_prefilled(client, officer):
    from partnerships.choices import PartnershipStatus
    from tests.partnerships.partnership_helpers import make_partnership

    outcome = OutcomeFactory()
    partnership = make_partnership(proposer=officer, status=PartnershipStatus.PROPOSED)
    login_verified(client, officer)
    assert f"?outcome={outcome.pk}" in client.get(outcome.get_absolute_url()).content.decode()
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert f"?partnership={partnership.pk}" in page
    form = client.get(
        reverse("relationships:interaction_create") + f"?partnership={partnership.pk}"
    )
    initial = form.context["form"].initial
    assert initial["partnership"] == partnership.pk
    assert sorted(initial["stakeholders"]) == sorted(
        partnership.members.values_list("stakeholder_id", flat=True)
    )


def test_hidden_interactions_are_absent_for_the_uncleared(client, officer):
    cleared = UserFactory(roles=["program officer"], cleared=True)
    actor = StakeholderFactory()
    secret = log(cleared, actor, hidden_actor(), notes="Quiet talks")
    open_one = log(cleared, actor, notes="Open talks")
    login_verified(client, officer)
    listing = client.get(reverse("relationships:interaction_list")).content.decode()
    assert "Open talks" in listing and "Quiet talks" not in listing
    assert "1 interaction" in listing
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert client.get(open_one.get_absolute_url()).status_code == 200
    assert "Quiet talks" not in client.get(actor.get_absolute_url()).content.decode()


def test_list_and_timeline_pages_keep_their_query_count(client, officer, django_assert_num_queries):
    actor = StakeholderFactory()
    log(officer, actor)
    login_verified(client, officer)
    urls = [
        reverse("relationships:interaction_list"),
        reverse("relationships:timeline", args=[actor.pk]),
        reverse("relationships:follow_up_list"),
    ]
    services.follow_up_create(
        user=officer, stakeholder=actor, title="One", due_date=TODAY, owner=officer
    )
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    for n in range(30):
        another = StakeholderFactory()
        log(officer, actor, another, outcomes=[OutcomeFactory()])
        services.follow_up_create(
            user=officer, stakeholder=another, title=f"F{n}", due_date=TODAY, owner=officer
        )
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_my_follow_ups_on_the_home_page_highlight_the_overdue(client, officer):
    actor = StakeholderFactory(name="Sahel Telecom")
    services.follow_up_create(
        user=officer, stakeholder=actor, title="Chase the MoU", owner=officer,
        due_date=TODAY - datetime.timedelta(days=4),
    )  # fmt: skip
    services.follow_up_create(
        user=officer, stakeholder=actor, title="Plan the visit", owner=officer,
        due_date=TODAY + datetime.timedelta(days=4),
    )  # fmt: skip
    done = services.follow_up_create(
        user=officer, stakeholder=actor, title="Already done", owner=officer, due_date=TODAY
    )
    services.follow_up_complete(follow_up=done, user=officer)
    login_verified(client, officer)
    page = client.get(reverse("home")).content.decode()
    assert "My follow-ups" in page
    assert '<li class="follow-up overdue">' in page
    assert page.index("Chase the MoU") < page.index("Plan the visit")
    assert "Already done" not in page


def test_promote_prefills_the_engagement_form_and_links_the_engagement(client, officer, v1):
    actor, other = StakeholderFactory(), StakeholderFactory()
    outcome = OutcomeFactory()
    interaction = log(officer, actor, other, outcomes=[outcome], kind="event",
                      notes="Roundtable on water points\nwith the ministry")  # fmt: skip
    login_verified(client, officer)
    detail = client.get(interaction.get_absolute_url()).content.decode()
    url = reverse("relationships:interaction_promote", args=[interaction.pk])
    assert url in detail
    form = client.get(url).context["form"]
    assert form.initial["title"] == "Roundtable on water points"
    assert form.initial["kind"] == "conference"
    assert form.initial["start_date"] == interaction.date.isoformat()
    assert sorted(form.initial["other_participants"]) == sorted([actor.pk, other.pk])
    assert form.initial["outcomes"] == [outcome.pk]
    response = client.post(
        url,
        {
            "title": "Roundtable on water points",
            "kind": "conference",
            "format": "in_person",
            "start_date": interaction.date.isoformat(),
            "outcomes": [outcome.pk],
            "conveners": [actor.pk],
            "other_participants": [other.pk],
        },
    )
    engagement = Engagement.objects.get()
    assert response.status_code == 302 and response.url == engagement.get_absolute_url()
    assert engagement.interaction == interaction
    assert set(engagement.participants.values_list("role", flat=True)) == {
        "convener",
        "participant",
    }
    # Promoted once: the button now leads to the engagement.
    assert client.get(url).url == engagement.get_absolute_url()
