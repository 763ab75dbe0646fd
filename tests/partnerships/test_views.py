import pytest
from django.urls import reverse

from partnerships.models import Candidate, CandidateDismissal, OverlapRun
from partnerships.selectors import candidate_list_for_outcome, candidate_list_for_stakeholder
from stakeholders.choices import Kind
from stakeholders.models import Stakeholder
from tests.conftest import login_verified
from tests.partnerships.conftest import restrict
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
# +2 over the rows: the reader's page size and columns for the list, and their saved views.
LIST_QUERIES = 11


@pytest.fixture
def computed(small_registry, run_overlap):
    run_overlap()
    return small_registry


def pair(a, b) -> Candidate:
    low, high = sorted((a.pk, b.pk))
    return Candidate.objects.get(run__is_current=True, stakeholder_a=low, stakeholder_b=high)


def listed(response) -> set:
    return {(c.stakeholder_a_id, c.stakeholder_b_id) for c in response.context["candidates"]}


def test_the_candidates_page_lists_pairs_with_their_explanation(client, analyst, computed):
    r = computed
    login_verified(client, analyst)
    response = client.get(reverse("partnerships:candidate_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 candidate pairs" in page
    assert "Relief NGO" in page and "Telecom firm" in page
    assert "Why this pair" in page and "Reconstruction in Yemen" in page
    # Best first by priority: ngo+firm 0.400 (two shared outcomes), ngo+women 0.377 (one, with
    # a women's group), firm+women 0.200.
    order = [(c.stakeholder_a_id, c.stakeholder_b_id) for c in response.context["candidates"]]
    assert order == [(r.ngo.pk, r.firm.pk), (r.ngo.pk, r.women.pk), (r.firm.pk, r.women.pk)]
    assert "Priority" in page and "Likelihood" in page
    # An analyst may not propose: no Propose link that would end in a 403.
    assert "/partnerships/new/" not in page


def test_an_officers_propose_button_leads_to_the_filled_in_form(client, officer, computed):
    r = computed
    login_verified(client, officer)
    page = client.get(reverse("partnerships:candidate_list")).content.decode()
    assert f"/partnerships/new/?candidate={r.ngo.pk}-{r.women.pk}" in page
    detail = client.get(reverse("partnerships:candidate_detail", args=[r.ngo.pk, r.women.pk]))
    assert f"/partnerships/new/?candidate={r.ngo.pk}-{r.women.pk}" in detail.content.decode()


def test_the_list_sorts_by_likelihood_on_request(client, analyst, computed):
    r = computed
    login_verified(client, analyst)
    response = client.get(reverse("partnerships:candidate_list"), {"sort": "likelihood"})
    order = [(c.stakeholder_a_id, c.stakeholder_b_id) for c in response.context["candidates"]]
    # Likelihoods: ngo+firm 0.400, ngo+women 0.211 × 10/10.4, firm+women 0.105 × 10/10.2 (the
    # kind factor: test_overlap); the same order here, but the women's pairs now read their
    # likelihood, not their priority.
    assert order == [(r.ngo.pk, r.firm.pk), (r.ngo.pk, r.women.pk), (r.firm.pk, r.women.pk)]
    shown = [round(c.likelihood, 3) for c in response.context["candidates"]]
    assert shown == [0.4, 0.203, 0.103]
    narrowed = client.get(reverse("partnerships:candidate_list"), {"min_likelihood": "0.2"})
    assert listed(narrowed) == {(r.ngo.pk, r.firm.pk), (r.ngo.pk, r.women.pk)}


def test_without_a_run_the_page_says_so(client, officer, small_registry):
    login_verified(client, officer)
    page = client.get(reverse("partnerships:candidate_list")).content.decode()
    assert "has not run" in page and "Start a run" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind_a": Kind.WOMENS_GROUP, "kind_b": Kind.NGO}, {"ngo_women"}),
        ({"kind_a": Kind.NGO, "kind_b": Kind.WOMENS_GROUP}, {"ngo_women"}),
        ({"kind_a": Kind.FIRM}, {"ngo_firm", "firm_women"}),
        ({"min_score": "0.3"}, {"ngo_women", "ngo_firm"}),
        ({"actor": "telecom"}, {"ngo_firm", "firm_women"}),
        ({"outcome": "o3"}, set()),
        ({"outcome": "o2"}, {"ngo_firm"}),
    ],
)
def test_filters(client, analyst, computed, query, expected):
    r = computed
    names = {
        "ngo_women": (r.ngo.pk, r.women.pk),
        "firm_women": (r.firm.pk, r.women.pk),
        "ngo_firm": (r.ngo.pk, r.firm.pk),
    }
    if "outcome" in query:
        query = {"outcome": getattr(r, query["outcome"]).pk}
    login_verified(client, analyst)
    response = client.get(reverse("partnerships:candidate_list"), query)
    assert listed(response) == {names[name] for name in expected}


def test_filtering_by_a_stakeholder_and_sorting(client, analyst, computed):
    r = computed
    login_verified(client, analyst)
    url = reverse("partnerships:candidate_list")
    response = client.get(url, {"stakeholder": r.firm.pk, "ordering": "-overlap"})
    order = [(c.stakeholder_a_id, c.stakeholder_b_id) for c in response.context["candidates"]]
    assert order == [(r.ngo.pk, r.firm.pk), (r.firm.pk, r.women.pk)]  # 0.8 then 0.32
    assert "Candidates of <strong>Telecom firm</strong>" in response.content.decode()


def test_a_bad_minimum_score_names_the_field_and_the_range(client, analyst, computed):
    login_verified(client, analyst)
    response = client.get(reverse("partnerships:candidate_list"), {"min_score": "3"})
    page = response.content.decode()
    assert "Minimum priority" in page and "less than or equal to 1" in page


def test_uncleared_people_never_see_a_pair_with_a_hidden_actor(
    client, analyst, cleared_analyst, computed
):
    r = computed
    restrict(r.women)
    hidden = pair(r.ngo, r.women)
    url = reverse("partnerships:candidate_list")

    login_verified(client, analyst)
    response = client.get(url)
    assert listed(response) == {(r.ngo.pk, r.firm.pk)}
    page = response.content.decode()
    assert "1 candidate pair" in page and "Women's network" not in page
    assert client.get(hidden.get_absolute_url()).status_code == 404
    # Filtering by the hidden actor fails like filtering by an id that does not exist.
    response = client.get(url, {"stakeholder": r.women.pk})
    assert "Women's network" not in response.content.decode()
    assert listed(client.get(url, {"kind_a": Kind.WOMENS_GROUP})) == set()
    assert candidate_list_for_stakeholder(user=analyst, stakeholder=r.ngo) == [pair(r.ngo, r.firm)]
    assert candidate_list_for_outcome(user=analyst, outcome=r.o1) == [pair(r.ngo, r.firm)]

    login_verified(client, cleared_analyst)
    assert len(listed(client.get(url))) == 3
    assert client.get(hidden.get_absolute_url()).status_code == 200


def test_the_list_page_runs_the_same_number_of_queries_for_5_and_50_rows(
    client, analyst, run_overlap, django_assert_num_queries
):
    outcome = OutcomeFactory()
    kinds = [Kind.NGO, Kind.FIRM, Kind.STATE, Kind.MEDIA, Kind.DIASPORA]

    def grow(actors):
        for i in range(actors):
            StakeFactory(stakeholder=StakeholderFactory(kind=kinds[i % 5]), outcome=outcome)

    login_verified(client, analyst)
    url = reverse("partnerships:candidate_list")
    grow(3)
    run_overlap()
    client.get(url)  # warm up the session and permissions
    # session, user, permissions ×2, current run, count, page, outcomes of the explanations,
    # outcome choices of the filter form, the reader's list preference, their saved views
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["candidates"]) == 3
    grow(30)
    run_overlap()
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["candidates"]) == 25


def test_the_detail_page_explains_and_breaks_the_score_down(client, analyst, computed):
    r = computed
    login_verified(client, analyst)
    page = client.get(pair(r.ngo, r.firm).get_absolute_url()).content.decode()
    assert "They share 2 outcomes" in page
    assert "Protection of displaced women" in page
    assert "funding, field presence" in page  # what the NGO brings
    assert "different kinds of actor (NGO and Firm)" in page
    assert "0.8000" in page and "0.4000" in page  # overlap and likelihood (= priority here)
    assert "Likelihood" in page and "Priority" in page and "Support" in page
    assert "0.5000" in page  # the support: 2 shared outcomes, halfway at 2
    assert "Dismiss" not in page  # analysts do not dismiss


def test_officers_dismiss_with_a_reason_and_the_pair_stays_hidden(
    client, officer, computed, run_overlap
):
    r = computed
    login_verified(client, officer)
    candidate = pair(r.ngo, r.firm)
    url = reverse(
        "partnerships:candidate_dismiss",
        args=[candidate.stakeholder_a_id, candidate.stakeholder_b_id],
    )
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Say why this pair is dismissed." in response.content.decode()
    assert not CandidateDismissal.objects.exists()

    response = client.post(url, {"reason": "Conflict of interest"})
    assert response.status_code == 302
    run_overlap()  # a new run writes new rows for the same pair
    list_url = reverse("partnerships:candidate_list")
    assert (r.ngo.pk, r.firm.pk) not in listed(client.get(list_url))
    assert listed(client.get(list_url, {"dismissed": "only"})) == {(r.ngo.pk, r.firm.pk)}
    page = client.get(pair(r.ngo, r.firm).get_absolute_url()).content.decode()
    assert "Conflict of interest" in page and "Restore as a candidate" in page


def test_analysts_cannot_dismiss(client, analyst, computed):
    login_verified(client, analyst)
    candidate = pair(computed.ngo, computed.firm)
    url = reverse(
        "partnerships:candidate_dismiss",
        args=[candidate.stakeholder_a_id, candidate.stakeholder_b_id],
    )
    assert client.post(url, {"reason": "no"}).status_code == 403


def test_the_runs_page_starts_a_run_for_officers_only(
    client, officer, analyst, small_registry, django_capture_on_commit_callbacks
):
    runs_url = reverse("partnerships:run_list")
    login_verified(client, analyst)
    assert "Start a run" not in client.get(runs_url).content.decode()
    assert client.post(reverse("partnerships:run_start")).status_code == 403

    login_verified(client, officer)
    assert "Start a run" in client.get(runs_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partnerships:run_start"), {"top_k": "5"})
    assert response.status_code == 302
    run = OverlapRun.objects.get()
    assert run.status == OverlapRun.Status.SUCCEEDED and run.parameters["top_k"] == 5
    assert run.started_by == officer
    page = client.get(runs_url).content.decode()
    assert f"#{run.pk}" in page and "in use" in page


def test_run_status_and_run_detail(client, analyst, cleared_analyst, small_registry, run_overlap):
    run = run_overlap()
    login_verified(client, analyst)
    status = client.get(reverse("partnerships:run_status", args=[run.pk])).json()
    assert status["status"] == "succeeded" and status["percent"] == 100
    assert "candidate_count" not in status
    page = client.get(run.get_absolute_url()).content.decode()
    # The public audience's own counts: the stakeholders and candidates this analyst can see.
    public = run.counts_for("public")
    assert "Timings" in page and "Candidates written" in page
    assert public["stakeholders"] == Stakeholder.objects.filter(sensitivity="public").count()
    assert f'<td class="num">{public["stakeholders"]}</td>' in page
    login_verified(client, cleared_analyst)
    page = client.get(run.get_absolute_url()).content.decode()
    assert f'<td class="num">{run.stakeholder_count}</td>' in page


def test_a_failed_run_says_why_on_its_page(client, analyst, small_registry):
    run = OverlapRun.objects.create(
        status=OverlapRun.Status.FAILED, is_active=False, error="Failed while writing: boom"
    )
    login_verified(client, analyst)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Failed while writing: boom" in page
    assert "the candidates of the last successful run stay in use" in page


def test_the_runs_page_shows_the_live_progress_of_an_active_run(client, analyst, small_registry):
    OverlapRun.objects.create(
        status=OverlapRun.Status.RUNNING, phase="compute", chunks_total=4, chunks_done=1
    )
    login_verified(client, analyst)
    page = client.get(reverse("partnerships:run_list")).content.decode()
    # The one progress partial, its run's chunks beside the run's percent, polled by jobs.js.
    assert 'data-active="true"' in page and "js/jobs.js" in page and "chunks 1/4" in page
    assert "data-job-progress" in page and "/status/" in page


def test_the_methodology_page_documents_the_formulas_and_weights(client, analyst):
    login_verified(client, analyst)
    page = client.get(reverse("partnerships:methodology")).content.decode()
    for text in (
        "cosine similarity", "min(only s, only t)", "support = evidence / (evidence + 2.0)",
        "priority = 1 − (1 − likelihood)", "women-led", "local scope", "top_n_product",
        "Shortlist", "overlap above 0.1", "priority is at least 0.0",
        "Two one-outcome actors, the same outcome", "kinds = min(1, 2L / (1 + L))",
        "likelihood = 1 − (1 − base)",
    ):  # fmt: skip
        assert text in page
    # The worked examples come from the engine's formulas: one shared outcome at overlap 1 →
    # likelihood 1/3; with a women's group, priority 1 − (2/3)² = 5/9.
    assert "0.333" in page and "0.556" in page


def test_the_includes_for_the_stakeholder_and_outcome_pages_render(analyst, computed):
    from django.template.loader import render_to_string

    r = computed
    html = render_to_string(
        "partnerships/includes/stakeholder_candidates.html",
        {
            "stakeholder": r.ngo,
            "candidates": candidate_list_for_stakeholder(user=analyst, stakeholder=r.ngo),
        },
    )
    assert "Women&#x27;s network" in html and "Telecom firm" in html
    html = render_to_string(
        "partnerships/includes/outcome_pairs.html",
        {"outcome": r.o1, "candidates": candidate_list_for_outcome(user=analyst, outcome=r.o1)},
    )
    assert html.count("<li>") == 3


def test_the_explanation_names_who_the_pair_brings_in(client, analyst, computed):
    r = computed
    login_verified(client, analyst)
    page = client.get(pair(r.ngo, r.women).get_absolute_url()).content.decode()
    assert "Who it brings in:" in page and "Women&#x27;s network is a women&#x27;s group" in page


def test_registry_pages_show_candidates_and_best_pairs(
    client, analyst, small_registry, run_overlap
):
    run_overlap()
    login_verified(client, analyst)
    page = client.get(
        reverse("stakeholders:stakeholder_detail", args=[small_registry.ngo.pk])
    ).content.decode()
    assert "Telecom firm" in page and "Women&#x27;s network" in page
    assert "Tech NGO" not in page  # same kind: never a candidate
    page = client.get(
        reverse("stakeholders:outcome_detail", args=[small_registry.o1.pk])
    ).content.decode()
    assert "Best candidate pairs" in page and "Telecom firm" in page


def test_registry_pages_never_show_a_pair_with_a_hidden_actor(
    client, analyst, small_registry, run_overlap
):
    run_overlap()
    restrict(small_registry.women)
    login_verified(client, analyst)
    response = client.get(reverse("stakeholders:stakeholder_detail", args=[small_registry.ngo.pk]))
    page = response.content.decode()
    assert "Telecom firm" in page
    assert "Women&#x27;s network" not in page


def test_the_candidate_page_recovers_the_support_behind_kinds_and_shared_partners():
    from partnerships.models import Candidate
    from partnerships.overlap.parameters import Parameters
    from partnerships.selectors import candidate_score_rows

    # overlap 0.9, support 1/2, kinds 0.6: base 0.27; two shared partners: 1 + 2/3 chances.
    likelihood = 1 - (1 - 0.9 * 0.5 * 0.6) ** (1 + 2 / 3)
    candidate = Candidate(
        overlap=0.9, complementarity=0.0, power_interest=0.0, kind_affinity=0.6,
        shared_partners=2, likelihood=likelihood, inclusion=0.0, score=likelihood,
        shared_count=2,
    )  # fmt: skip
    rows = {row["label"]: row for row in candidate_score_rows(candidate, Parameters())}
    assert rows["Support"]["value"] == pytest.approx(0.5, abs=1e-12)
    assert rows["Kinds"]["value"] == 0.6
    assert rows["Shared partners"]["value"] == 2 and rows["Shared partners"]["count"]
    assert "1 + 1 × c / (c + 1) chances" in rows["Shared partners"]["meaning"]
