"""The change log: every change a person may see, newest first, filtered by kind, paged by time;
hidden actors and what concerns them never appear for the uncleared."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stakeholders.choices import Sensitivity
from tests.conftest import login_verified
from tests.stakeholders.factories import StakeFactory, StakeholderFactory, TieFactory

pytestmark = pytest.mark.django_db

URL = reverse("change_log")


def labels(response) -> list[str]:
    return [change["label"] for change in response.context["changes"]]


def test_the_log_lists_changes_newest_first_and_filters_by_kind(client, analyst):
    relief = StakeholderFactory(name="Relief Mali")
    radio = StakeholderFactory(name="Radio Kayes")
    TieFactory(from_stakeholder=relief, to_stakeholder=radio)
    login_verified(client, analyst)
    response = client.get(URL)
    assert response.status_code == 200
    shown = labels(response)
    assert shown.index("Radio Kayes") < shown.index("Relief Mali")  # newest first
    assert any(label.startswith("Relief Mali") and "Radio Kayes" in label for label in shown)
    ties_only = labels(client.get(URL, {"what": "tie"}))
    assert ties_only and all("Radio Kayes" in label for label in ties_only)
    assert "Relief Mali" not in ties_only


def test_hidden_actors_leave_no_line_for_the_uncleared(client, analyst, cleared_analyst):
    visible = StakeholderFactory(name="Relief Mali")
    hidden = StakeholderFactory(name="Gao Women Mediators", sensitivity=Sensitivity.RESTRICTED)
    TieFactory(from_stakeholder=visible, to_stakeholder=hidden)
    StakeFactory(stakeholder=hidden)
    login_verified(client, analyst)
    page = client.get(URL).content.decode()
    assert "Relief Mali" in page and "Gao Women" not in page
    login_verified(client, cleared_analyst)
    assert "Gao Women Mediators" in client.get(URL).content.decode()


def test_older_changes_page_by_time_without_repeats(client, analyst):
    for n in range(55):
        StakeholderFactory(name=f"Actor {n:02d}")
    login_verified(client, analyst)
    first = client.get(URL, {"what": "stakeholder"})
    assert len(labels(first)) == 50
    assert first.context["older"]
    second = client.get(f"{URL}?{first.context['older']}")
    assert len(labels(second)) == 5 and second.context["older"] is None
    assert sorted(labels(first) + labels(second)) == [f"Actor {n:02d}" for n in range(55)]


def test_a_bad_date_is_said_and_the_log_still_shows(client, analyst):
    StakeholderFactory(name="Relief Mali")
    login_verified(client, analyst)
    response = client.get(URL, {"before": "yesterday"})
    assert response.status_code == 400
    assert "Older than: “yesterday” is not a date and time" in response.content.decode()
    assert "Relief Mali" in labels(response)


def test_the_query_count_does_not_grow_with_changes(client, analyst, django_assert_num_queries):
    def changes(n):
        for _ in range(n):
            a, b = StakeholderFactory(), StakeholderFactory()
            StakeFactory(stakeholder=a)
            TieFactory(from_stakeholder=a, to_stakeholder=b)

    login_verified(client, analyst)
    changes(2)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    changes(20)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(labels(client.get(URL))) == 50


def test_a_deleted_outcome_is_named_without_a_link(client, officer):
    from stakeholders import services
    from tests.stakeholders.factories import OutcomeFactory

    kept = OutcomeFactory(title="Water security in the Sahel")
    gone = OutcomeFactory(title="Reconstruction of Kidal")
    services.outcome_delete(outcome=gone, user=officer)
    login_verified(client, officer)
    changes = client.get(URL, {"what": "outcome"}).context["changes"]
    urls = {(c["label"], c["verb"]): c["url"] for c in changes}
    assert urls[("Water security in the Sahel", "created")] == kept.get_absolute_url()
    assert urls[("Reconstruction of Kidal", "created")] is None
    assert urls[("Reconstruction of Kidal", "deleted")] is None
