"""The coalition pages: the list and its filters, a coalition's page, the outcome page's section,
proposing a coalition as a draft partnership in one step, and recomputing on demand."""

from html import escape

import pytest
from django.urls import reverse

from partnerships.models import Coalition, Partnership, PartnershipMember
from stakeholders.choices import Kind
from tests.conftest import login_verified
from tests.partnerships.coalition_fixtures import compute, wider_registry_create

pytestmark = pytest.mark.django_db
LIST = reverse("partnerships:coalition_list")


@pytest.fixture
def computed(coalition_registry):
    compute(coalition_registry)
    return coalition_registry


@pytest.fixture
def wider(db):
    registry = wider_registry_create()
    compute(registry)
    return registry


def test_the_list_shows_each_coalition_with_its_explanation(client, analyst, computed):
    login_verified(client, analyst)
    page = client.get(LIST).content.decode()
    for actor in computed.actors:
        assert escape(actor.name) in page
    assert "Coalition 1" in page and computed.outcome.title in page
    assert "0.71" in page  # the value
    assert "Covers 4 of 4 needed capabilities" in page
    assert "4 kinds" in page and "3 ties between members" in page
    assert "Relief NGO already has ties with Ministry of Planning, Women" in page
    assert "Women&#x27;s network is a women&#x27;s group" in page
    assert "Computed " in page and " UTC · exact" in page
    assert "Propose as a partnership" not in page  # analysts do not propose


def test_the_list_filters_by_outcome_member_kind_and_value(client, analyst, wider, computed):
    login_verified(client, analyst)
    everything = client.get(LIST).context["page_obj"].paginator.count
    assert everything == Coalition.objects.filter(audience="public").count() > 3
    one = client.get(LIST, {"outcome": wider.outcome.pk}).context["coalitions"]
    assert {c.outcome_id for c in one} == {wider.outcome.pk}
    with_media = client.get(LIST, {"member_kind": Kind.MEDIA}).context["coalitions"]
    assert with_media and all(
        any(m.stakeholder.kind == Kind.MEDIA for m in c.members.all()) for c in with_media
    )
    best = max(c.value for c in Coalition.objects.filter(audience="public"))
    top = client.get(LIST, {"min_value": round(best - 1e-6, 6)}).context["coalitions"]
    assert [c.value for c in top] == [best]
    response = client.get(LIST, {"min_value": 2})
    assert response.status_code == 200 and "Minimum value" in response.content.decode()


def test_a_coalitions_page_explains_it(client, analyst, computed):
    login_verified(client, analyst)
    coalition = Coalition.objects.get(audience="public")
    page = client.get(coalition.get_absolute_url()).content.decode()
    assert "Coalition 1 for" in page
    assert "Found by the <strong>exact</strong> search" in page
    assert "0.7060" in page  # the value's total
    assert "Together they cover everything the outcome needs." in page
    assert "Only this member brings it" in page
    assert client.get(reverse("partnerships:coalition_detail", args=["0" * 16])).status_code == 404


def test_the_outcome_page_shows_its_coalitions(client, analyst, computed):
    login_verified(client, analyst)
    page = client.get(computed.outcome.get_absolute_url()).content.decode()
    assert 'id="coalitions"' in page and "Coalitions of three to five" in page
    assert "among 4 stakeholders (exact (branch and bound))" in page
    assert "Relief NGO" in page[page.index('id="coalitions"') :]


def test_an_outcome_without_an_inclusive_actor_says_so_on_its_page(client, analyst, computed):
    computed.women.kind = Kind.NGO
    computed.women.save()
    compute(computed)
    login_verified(client, analyst)
    page = client.get(computed.outcome.get_absolute_url()).content.decode()
    assert "No women&#x27;s group, grassroots movement or local actor holds a stake" in page


def test_an_officer_proposes_a_coalition_in_one_step(client, officer, computed):
    r = computed
    coalition = Coalition.objects.get(audience="public")
    login_verified(client, officer)
    response = client.post(reverse("partnerships:coalition_propose", args=[coalition.key]))
    partnership = Partnership.objects.get()
    assert response.status_code == 302 and response.url == partnership.get_absolute_url()
    assert partnership.status == Partnership.Status.DRAFT and partnership.proposer == officer
    assert list(partnership.outcomes.all()) == [r.outcome]
    roles = dict(partnership.members.values_list("stakeholder_id", "role"))
    assert roles == {
        r.ngo.pk: "convener",  # the broker
        r.state.pk: "funder",
        r.firm.pk: "technical",
        r.women.pk: "community",
    }
    contribution = PartnershipMember.objects.get(stakeholder=r.state).contribution
    assert contribution == "Brings funding."
    assert partnership.title == "Coalition for Protection of displaced women"
    assert "Relief NGO (NGO) brings field presence." in partnership.rationale
    assert "They already work together: Ministry of Planning – Relief NGO;" in partnership.rationale
    assert "Together they bring everything the outcome needs (funding," in partnership.rationale
    assert "It brings in Women's network (women's group)." in partnership.rationale
    coalition.refresh_from_db()
    assert coalition.partnership == partnership
    # Again: refused, saying where it went.
    client.post(reverse("partnerships:coalition_propose", args=[coalition.key]))
    assert Partnership.objects.count() == 1
    page = client.get(coalition.get_absolute_url()).content.decode()
    assert f"proposed as partnership #{partnership.pk}" in page


def test_analysts_cannot_propose(client, analyst, computed):
    coalition = Coalition.objects.get(audience="public")
    login_verified(client, analyst)
    response = client.post(reverse("partnerships:coalition_propose", args=[coalition.key]))
    assert response.status_code == 403 and not Partnership.objects.exists()


def test_officers_recompute_an_outcome_on_demand(
    client, officer, analyst, coalition_registry, django_capture_on_commit_callbacks
):
    url = reverse("partnerships:coalition_compute")
    outcome = coalition_registry.outcome
    login_verified(client, analyst)
    assert client.post(url, {"outcome": outcome.pk}).status_code == 403
    login_verified(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"outcome": outcome.pk, "next": outcome.get_absolute_url() + "#coalitions"}
        )
    assert response.status_code == 302 and response.url.endswith("#coalitions")
    assert Coalition.objects.filter(outcome=outcome).count() == 2
    # An address elsewhere is not followed.
    response = client.post(url, {"outcome": outcome.pk, "next": "https://evil.example/"})
    assert response.url == LIST


def test_the_list_page_runs_the_same_queries_for_few_and_many(
    client, analyst, computed, django_assert_num_queries
):
    login_verified(client, analyst)
    client.get(LIST)
    # session, user, its permissions (own, groups'), count, page, members (with their
    # stakeholders), its roles (may it propose?), the outcome filter's choices, the reader's
    # list preference and saved views
    queries = 11
    with django_assert_num_queries(queries):
        assert len(client.get(LIST).context["coalitions"]) == 1
    registry = wider_registry_create()
    compute(registry)
    with django_assert_num_queries(queries):
        assert len(client.get(LIST).context["coalitions"]) > 3


def test_the_outcome_page_runs_the_same_queries_for_one_coalition_and_three(
    client, analyst, computed, django_assert_num_queries
):
    login_verified(client, analyst)
    url = computed.outcome.get_absolute_url()
    client.get(url)
    # session, user, its permissions, the outcome and its stake counts, its stakes, its best
    # candidate pairs, how its coalitions were computed, the coalitions, their members, and the
    # permission checks of the page; its interactions (the relationships panel); its tags; its
    # salience assessments and its stake history (the positions chart)
    queries = 15
    with django_assert_num_queries(queries):
        page = client.get(url).content.decode()
    assert page.count('class="coalition-card"') == 1
    wider = wider_registry_create()
    compute(wider)
    url = wider.outcome.get_absolute_url()
    client.get(url)
    with django_assert_num_queries(queries):
        page = client.get(url).content.decode()
    assert page.count('class="coalition-card"') == 3
