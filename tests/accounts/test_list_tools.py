"""The lists' tools: page size and columns remembered per person, active filters as chips that
remove themselves, saved views kept for the person who saved them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ListPreference, SavedView
from stakeholders.choices import Kind, Sensitivity
from tests.conftest import login_verified
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

LIST = reverse("stakeholders:stakeholder_list")


def rows(response) -> list[str]:
    return [s.name for s in response.context["stakeholders"]]


def test_the_page_size_is_chosen_and_remembered(client, analyst):
    StakeholderFactory.create_batch(30)
    login_verified(client, analyst)
    assert len(rows(client.get(LIST))) == 30  # 50 by default
    assert len(rows(client.get(LIST, {"per_page": 25}))) == 25
    assert len(rows(client.get(LIST))) == 25  # remembered
    assert ListPreference.objects.get(user=analyst, list_key="stakeholders").per_page == 25
    assert len(rows(client.get(LIST, {"per_page": 7}))) == 25  # not a size offered: ignored
    other = reverse("stakeholders:outcome_list")
    OutcomeFactory.create_batch(30)
    assert len(client.get(other).context["outcomes"]) == 30  # each list its own


def test_columns_are_chosen_and_remembered_and_the_name_stays(client, analyst):
    StakeholderFactory(name="Relief Mali", acronym="RM", kind=Kind.NGO)
    login_verified(client, analyst)
    page = client.get(LIST).content.decode()
    assert ">Acronym</th>" in page and "Scope</th>" in page
    page = client.get(LIST, {"columns_set": 1, "columns": ["kind", "not-a-column"]}).content
    page = page.decode()
    assert ">Acronym</th>" not in page and "Scope</th>" not in page and ">Kind<" in page
    assert "Relief Mali" in page  # the name column is always there
    assert ListPreference.objects.get(user=analyst).columns == ["kind"]
    page = client.get(LIST).content.decode()
    assert ">Acronym</th>" not in page  # remembered
    # An uncleared reader is never offered the sensitivity column, even by asking for it.
    page = client.get(LIST, {"columns_set": 1, "columns": ["sensitivity"]}).content.decode()
    assert "Sensitivity</th>" not in page


def test_active_filters_show_as_chips_that_remove_themselves(client, analyst):
    StakeholderFactory(name="Gao Women", kind=Kind.WOMENS_GROUP)
    login_verified(client, analyst)
    response = client.get(LIST, {"kind": ["womens_group", "ngo"], "q": "gao", "per_page": 25})
    chips = response.context["tools"].chips
    assert [(c.label, c.value) for c in chips] == [("Kind", "Women's group"), ("Kind", "NGO")]
    assert "kind=womens_group" not in chips[0].remove_url
    assert "kind=ngo" in chips[0].remove_url and "q=gao" in chips[0].remove_url
    assert "kind=ngo" not in chips[1].remove_url
    page = response.content.decode()
    assert "Search: “gao”" in page


def test_filters_the_reader_is_not_offered_give_no_chip(client, analyst, cleared_analyst):
    StakeholderFactory(name="Safe House Collective", sensitivity=Sensitivity.RESTRICTED)
    login_verified(client, analyst)
    response = client.get(LIST, {"sensitivity": "restricted"})
    assert response.context["tools"].chips == []
    assert "Safe House" not in response.content.decode()
    login_verified(client, cleared_analyst)
    response = client.get(LIST, {"sensitivity": "restricted"})
    assert [(c.label, c.value) for c in response.context["tools"].chips] == [
        ("Sensitivity", "Restricted")
    ]
    assert rows(response) == ["Safe House Collective"]


def test_a_view_is_saved_for_its_owner_only(client, analyst, officer):
    login_verified(client, analyst)
    save = reverse("accounts:saved_view_save")
    response = client.post(
        save,
        {
            "list_key": "stakeholders",
            "name": "Sahel women's groups",
            "query": "kind=womens_group&page=3&per_page=25",
            "next": f"{LIST}?kind=womens_group&page=3",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?kind=womens_group"  # no page, no page size
    view = SavedView.objects.get(user=analyst)
    page = client.get(LIST).content.decode()
    assert f'<a href="{LIST}?kind=womens_group">Sahel women&#x27;s groups</a>' in page
    # Saving under the same name replaces it.
    data = {"list_key": "stakeholders", "name": "Sahel women's groups", "query": "q=x"}
    client.post(save, data, follow=True)
    assert SavedView.objects.get(pk=view.pk).query == "q=x"

    login_verified(client, officer)
    assert "Sahel women&#x27;s groups</a>" not in client.get(LIST).content.decode()
    client.post(reverse("accounts:saved_view_remove", args=[view.pk]))  # not theirs
    assert SavedView.objects.filter(pk=view.pk).exists()

    login_verified(client, analyst)
    client.post(reverse("accounts:saved_view_remove", args=[view.pk]))
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "  ", "query": "kind=ngo"}, "View name: Give the view a name."),
        ({"name": "x" * 81, "query": "kind=ngo"}, "View name: A view&#x27;s name has at most 80"),
        ({"name": "Everything", "query": "page=2"}, "Filters: Set a filter, a search or a sort"),
    ],
)
def test_a_bad_view_is_refused_saying_why_and_nothing_is_saved(client, analyst, data, message):
    login_verified(client, analyst)
    response = client.post(
        reverse("accounts:saved_view_save"),
        {"list_key": "stakeholders", "next": LIST, **data},
        follow=True,
    )
    assert message in response.content.decode()
    assert not SavedView.objects.exists()


def test_the_partnership_list_has_the_tools_and_a_flat_query_count(
    client, officer, reviewer, django_assert_num_queries
):
    from partnerships.models import PartnershipStatus
    from tests.partnerships.partnership_helpers import make_partnership

    def approved(n):
        for _ in range(n):
            make_partnership(proposer=officer, reviewer=reviewer, status=PartnershipStatus.APPROVED)

    login_verified(client, officer)
    url = reverse("partnerships:partnership_list")
    approved(3)
    client.get(url, {"per_page": 25})  # remembered from here on
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    approved(27)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["partnerships"]) == 25
    response = client.get(url, {"status": "approved"})
    assert [(c.label, c.value) for c in response.context["tools"].chips] == [("Status", "Approved")]


def _header(page: str, label: str) -> bool:
    """A column header with this label (plain, or a sort link inside the header cell)."""
    return (
        re.search(rf"<th[^>]*>(?:(?!</th>).)*>{label}<(?:(?!</th>).)*</th>", page, re.S) is not None
    )


def test_the_engagement_list_columns_are_chosen(client, analyst):
    from tests.index.factories import EngagementFactory

    EngagementFactory(title="Sahel climate consultation")
    login_verified(client, analyst)
    url = reverse("index:engagement_list")
    page = client.get(url).content.decode()
    assert _header(page, "Feminist") and _header(page, "Dates")
    page = client.get(url, {"columns_set": 1, "columns": ["composite"]}).content.decode()
    assert not _header(page, "Feminist") and _header(page, "Composite")
    assert "Sahel climate consultation" in page
