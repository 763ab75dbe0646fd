"""The list tools on the candidate, coalition and partnership lists: sortable columns, the column
chooser, the CSV of the current view and the officers' bulk actions, under the restriction rule."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import ListPreference, RestrictedReadLog
from partnerships.models import Candidate, CandidateDismissal
from tests.conftest import login_verified
from tests.partnerships.coalition_fixtures import compute
from tests.partnerships.conftest import restrict
from tests.partnerships.partnership_helpers import make_partnership

pytestmark = pytest.mark.django_db
CANDIDATES = reverse("partnerships:candidate_list")
CANDIDATES_CSV = reverse("partnerships:candidate_export")
BULK = reverse("partnerships:candidate_bulk")


@pytest.fixture
def computed(small_registry, run_overlap):
    run_overlap()
    return small_registry


def _rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _order(response) -> list[tuple[int, int]]:
    return [(c.stakeholder_a_id, c.stakeholder_b_id) for c in response.context["candidates"]]


def test_candidate_headers_sort_best_first_then_toggle(client, analyst, computed):
    r = computed
    login_verified(client, analyst)
    page = client.get(CANDIDATES).content.decode()
    # A score column's first click sorts from the highest.
    assert 'href="?ordering=-overlap"' in page
    ascending = client.get(CANDIDATES, {"ordering": "overlap"})
    # Overlaps: firm+women 0.32, ngo+women 0.63, ngo+firm 0.8.
    assert _order(ascending) == [
        (r.firm.pk, r.women.pk), (r.ngo.pk, r.women.pk), (r.ngo.pk, r.firm.pk),
    ]  # fmt: skip
    html = ascending.content.decode()
    assert 'aria-sort="ascending"' in html and 'href="?ordering=-overlap"' in html


def test_the_column_choice_is_remembered_per_person(client, analyst, officer, computed):
    login_verified(client, analyst)
    client.get(CANDIDATES, {"columns_set": "1", "columns": ["score", "likelihood"]})
    page = client.get(CANDIDATES).content.decode()
    assert "Likelihood" in page and ">Overlap<" not in page
    assert ListPreference.objects.get(user=analyst, list_key="candidates").columns == [
        "score", "likelihood",
    ]  # fmt: skip
    login_verified(client, officer)
    assert ">Overlap<" in client.get(CANDIDATES).content.decode()


def test_the_candidate_csv_is_the_current_view_without_hidden_pairs(
    client, analyst, cleared_analyst, computed
):
    r = computed
    restrict(r.women)
    login_verified(client, analyst)
    rows = _rows(client.get(CANDIDATES_CSV, {"ordering": "overlap"}))
    assert [(row["stakeholder_a"], row["stakeholder_b"]) for row in rows] == [
        ("Relief NGO", "Telecom firm")
    ]
    assert RestrictedReadLog.objects.count() == 0
    login_verified(client, cleared_analyst)
    rows = _rows(client.get(CANDIDATES_CSV, {"ordering": "overlap", "kind_a": "womens_group"}))
    assert [row["stakeholder_b"] for row in rows] == ["Women's network", "Women's network"]
    log = RestrictedReadLog.objects.get()
    assert log.user == cleared_analyst and log.stakeholder_ids == [r.women.pk]
    bad = client.get(CANDIDATES_CSV, {"min_score": "3"})
    assert bad.status_code == 400 and b"min_score" in bad.content


def test_officers_dismiss_and_restore_ticked_pairs_through_the_service(
    client, officer, analyst, computed
):
    current = Candidate.objects.filter(run__is_current=True)
    ids = [str(pk) for pk in current.values_list("pk", flat=True)[:2]]
    login_verified(client, officer)
    assert 'id="bulk-form"' in client.get(CANDIDATES).content.decode()
    # Dismissing needs a reason; nothing changes without one, and the field is named.
    response = client.post(
        BULK, {"bulk-action": "dismiss", "bulk-reason": " ", "bulk-candidates": ids}, follow=True
    )
    assert "Reason: Say why these pairs are dismissed." in response.content.decode()
    assert CandidateDismissal.objects.count() == 0
    response = client.post(
        BULK,
        {"bulk-action": "dismiss", "bulk-reason": "Out of scope", "bulk-candidates": ids,
         "next": CANDIDATES},
        follow=True,
    )  # fmt: skip
    assert "Dismissed 2 pairs." in response.content.decode()
    assert set(CandidateDismissal.objects.values_list("reason", flat=True)) == {"Out of scope"}
    client.post(BULK, {"bulk-action": "restore", "bulk-candidates": ids[:1]})
    assert CandidateDismissal.objects.count() == 1
    # Analysts have no bulk form and may not post one.
    login_verified(client, analyst)
    assert 'id="bulk-form"' not in client.get(CANDIDATES).content.decode()
    assert client.post(BULK, {"bulk-action": "restore", "bulk-candidates": ids}).status_code == 403


def test_an_uncleared_officer_cannot_dismiss_a_hidden_pair_in_bulk(client, officer, computed):
    r = computed
    hidden = Candidate.objects.get(run__is_current=True, stakeholder_a=r.ngo, stakeholder_b=r.women)
    restrict(r.women)  # the officer of the tests is not cleared
    login_verified(client, officer)
    response = client.post(
        BULK, {"bulk-action": "dismiss", "bulk-reason": "x", "bulk-candidates": [hidden.pk]},
        follow=True,
    )  # fmt: skip
    assert "Tick at least one pair" in response.content.decode()
    assert not CandidateDismissal.objects.exists()


def test_the_coalition_list_sorts_and_exports_the_current_view(client, analyst, coalition_registry):
    compute(coalition_registry)
    login_verified(client, analyst)
    url = reverse("partnerships:coalition_list")
    page = client.get(url, {"ordering": "-trust"}).content.decode()
    assert 'aria-current="true"' in page and "Saved views" in page
    response = client.get(reverse("partnerships:coalition_export"), {"ordering": "-trust"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["outcome"] == coalition_registry.outcome.title
    assert all(actor.name in rows[0]["members"] for actor in coalition_registry.actors)


def test_the_partnership_list_sorts_by_title_and_hides_chosen_columns(
    client, administrator, officer, reviewer
):
    for title in ("Beta", "Alpha", "Gamma"):
        make_partnership(proposer=officer, reviewer=reviewer, title=title)
    login_verified(client, administrator)
    url = reverse("partnerships:partnership_list")
    titles = [p.title for p in client.get(url, {"ordering": "title"}).context["partnerships"]]
    assert titles == ["Alpha", "Beta", "Gamma"]
    titles = [p.title for p in client.get(url, {"ordering": "-title"}).context["partnerships"]]
    assert titles == ["Gamma", "Beta", "Alpha"]
    page = client.get(url, {"columns_set": "1", "columns": ["status"]}).content.decode()
    assert ">Proposer<" not in page and ">Status<" in page
