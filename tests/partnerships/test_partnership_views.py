"""The partnership pages as people use them: the proposal form and its errors, proposing from a
candidate, the list with filters and export, my proposals, the review queue, the partnership's
page and its timeline, workflow buttons, the live member search, and the restriction rule."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from partnerships.models import Candidate, Partnership, PartnershipMember
from partnerships.models import PartnershipStatus as S
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

LIST = reverse("partnerships:partnership_list")
CREATE = reverse("partnerships:partnership_create")
QUEUE = reverse("partnerships:review_queue")
MINE = reverse("partnerships:my_proposals")
EXPORT = reverse("partnerships:partnership_export")
SEARCH = reverse("partnerships:stakeholder_search")


def export_text(response) -> str:
    """The body of a streamed CSV export."""
    return b"".join(response.streaming_content).decode()


def form_data(members, **fields):
    data = {
        "title": "Safe reporting lines",
        "rationale": "They share a stake in protecting displaced women.",
        "do_no_harm": "No names in public material.",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, member in enumerate(members):
        data[f"members-{i}-stakeholder"] = member
        data[f"members-{i}-role"] = "implementer"
        data[f"members-{i}-contribution"] = "Field presence"
    return data


@pytest.fixture
def pair(db):
    return StakeholderFactory(name="Relief NGO", kind=Kind.NGO), StakeholderFactory(
        name="Telecom firm", kind=Kind.FIRM
    )


def test_an_officer_saves_a_draft_and_lands_on_its_page(client, officer, pair):
    login_verified(client, officer)
    outcome = OutcomeFactory()
    response = client.post(
        CREATE, form_data([pair[0].pk, pair[1].pk], outcomes=[outcome.pk], start_date="2026-01-01")
    )
    partnership = Partnership.objects.get()
    assert response.status_code == 302
    assert response.url == partnership.get_absolute_url()
    assert partnership.status == S.DRAFT
    assert list(partnership.outcomes.all()) == [outcome]
    assert sorted(partnership.members.values_list("stakeholder", flat=True)) == sorted(
        s.pk for s in pair
    )
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Submit for review" in page and "Relief NGO" in page and "Draft created." in page


@pytest.mark.parametrize(
    ("members", "fields", "field_message"),
    [
        (["a"], {}, "at least 2 members; this one has 1"),
        (["a", "a"], {}, "Relief NGO is already a member above."),
        (["a", "hidden"], {}, "That stakeholder does not exist."),
        (["a", "missing"], {}, "That stakeholder does not exist."),
        (["a", "b"], {"start_date": "2026-05-01", "end_date": "2026-04-01"},
         "The end date must be on or after the start date (2026-05-01)."),
        (["a", "b"], {"title": ""}, "Give the partnership a title."),
    ],
)  # fmt: skip
def test_the_form_names_what_is_wrong_and_saves_nothing(
    client, officer, pair, members, fields, field_message
):
    hidden = StakeholderFactory(name="Secret shelter", sensitivity=Sensitivity.RESTRICTED)
    ids = {"a": pair[0].pk, "b": pair[1].pk, "hidden": hidden.pk, "missing": 999999}
    login_verified(client, officer)
    response = client.post(CREATE, form_data([ids[m] for m in members], **fields))
    assert response.status_code == 400
    page = response.content.decode()
    assert field_message in page
    assert "The proposal was not saved." in page
    assert "Secret shelter" not in page
    assert Partnership.objects.count() == 0
    assert PartnershipMember.objects.count() == 0


def test_submitting_without_a_do_no_harm_assessment_says_so(client, officer, pair):
    partnership = make_partnership(proposer=officer, members=list(pair), do_no_harm="")
    login_verified(client, officer)
    response = client.post(
        reverse("partnerships:partnership_transition", args=[partnership.pk]),
        {"action": "submit", "version": partnership.version},
        follow=True,
    )
    assert "especially women and displaced people" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.status == S.DRAFT


def test_the_whole_workflow_through_the_pages(client, officer, reviewer, pair):
    partnership = make_partnership(proposer=officer, members=list(pair))
    url = reverse("partnerships:partnership_transition", args=[partnership.pk])
    login_verified(client, officer)
    client.post(url, {"action": "submit"})
    login_verified(client, reviewer)
    assert partnership.title in client.get(QUEUE).content.decode()
    client.post(url, {"action": "start_review"})
    client.post(url, {"action": "send_back", "comment": "Name the funder."})
    login_verified(client, officer)
    edit = reverse("partnerships:partnership_update", args=[partnership.pk])
    assert client.get(edit).status_code == 200
    partnership.refresh_from_db()
    stale = form_data([pair[0].pk, pair[1].pk], title="Stale", version=partnership.version - 1)
    assert "changed this partnership meanwhile" in client.post(edit, stale).content.decode()
    response = client.post(
        edit,
        form_data([pair[0].pk, pair[1].pk], title="With a funder", version=partnership.version),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    client.post(url, {"action": "submit"})
    login_verified(client, reviewer)
    client.post(url, {"action": "start_review"})
    client.post(url, {"action": "approve", "comment": "Good."})
    partnership.refresh_from_db()
    assert (partnership.status, partnership.title) == (S.APPROVED, "With a funder")
    page = client.get(partnership.get_absolute_url()).content.decode()
    for text in ("Name the funder.", "Sent back", "Under review", "Approved", "Good."):
        assert text in page


def test_reviewers_cannot_act_on_their_own_proposal_and_analysts_see_no_buttons(
    client, analyst, pair
):
    both = UserFactory(roles=[Role.PROGRAM_OFFICER, Role.REVIEWER])
    partnership = make_partnership(proposer=both, members=list(pair), status=S.PROPOSED)
    login_verified(client, both)
    assert partnership.title not in client.get(QUEUE).content.decode()
    response = client.post(
        reverse("partnerships:partnership_transition", args=[partnership.pk]),
        {"action": "start_review"},
    )
    assert response.status_code == 403
    login_verified(client, analyst)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Start review" not in page and "Next step" not in page
    assert client.get(QUEUE).status_code == 403
    assert client.get(CREATE).status_code == 403


def test_drafts_are_the_proposers_own(client, officer, analyst, pair):
    partnership = make_partnership(proposer=officer, members=list(pair))
    login_verified(client, analyst)
    assert client.get(partnership.get_absolute_url()).status_code == 404
    assert partnership.title not in client.get(LIST).content.decode()
    login_verified(client, officer)
    assert partnership.title in client.get(MINE).content.decode()


def test_proposing_from_a_candidate_fills_the_form_and_marks_the_candidate(
    client, officer, small_registry, run_overlap
):
    run_overlap()
    r = small_registry
    candidate = Candidate.objects.get(stakeholder_a=r.ngo, stakeholder_b=r.firm)
    login_verified(client, officer)
    assert (
        reverse("partnerships:partnership_create")
        in client.get(reverse("partnerships:candidate_list")).content.decode()
    )
    page = client.get(CREATE, {"candidate": candidate.pair}).content.decode()
    assert "Relief NGO + Telecom firm" in page
    assert "share a stake in" in page
    assert f'value="{r.ngo.pk}" selected' in page and f'value="{r.firm.pk}" selected' in page
    assert f'value="{r.o1.pk}" selected' in page
    response = client.post(CREATE, form_data([r.ngo.pk, r.firm.pk], candidate=candidate.pair))
    assert response.status_code == 302
    candidate.refresh_from_db()
    partnership = Partnership.objects.get()
    assert candidate.partnership == partnership
    detail = client.get(candidate.get_absolute_url()).content.decode()
    assert f'Proposed as <a href="{partnership.get_absolute_url()}"' in detail
    listing = client.get(reverse("partnerships:candidate_list")).content.decode()
    assert "promoted</a>" in listing
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert f'from the candidate pair <a href="{candidate.get_absolute_url()}">' in page
    # The link names the pair, so it survives the next run's new rows.
    run_overlap()
    again = client.get(partnership.get_absolute_url()).content.decode()
    assert f'<a href="/candidates/{r.ngo.pk}-{r.firm.pk}/">' in again


def test_a_hidden_candidate_prefills_nothing(client, officer, small_registry, run_overlap):
    from tests.partnerships.conftest import restrict

    run_overlap()
    r = small_registry
    candidate = Candidate.objects.get(stakeholder_a=r.ngo, stakeholder_b=r.women)
    restrict(r.women)
    login_verified(client, officer)
    page = client.get(CREATE, {"candidate": candidate.pair}).content.decode()
    assert "Women's network" not in page and "From the candidate" not in page


def test_a_candidate_with_a_restricted_actor_prefills_no_text_naming_it(
    client, small_registry, run_overlap
):
    """Reviewers not cleared for it will read the proposal: no title, rationale or contribution
    is written from the restricted actor; the proposer writes them, and is told why."""
    from tests.partnerships.conftest import restrict

    r = small_registry
    restrict(r.women)
    run_overlap()
    cleared = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    candidate = Candidate.objects.get(stakeholder_a=r.ngo, stakeholder_b=r.women)
    login_verified(client, cleared)
    response = client.get(CREATE, {"candidate": candidate.pair})
    form = response.context["form"]
    assert form.initial["title"] == "" and form.initial["rationale"] == ""
    assert [m["contribution"] for m in response.context["formset"].initial] == ["", ""]
    assert "do not name or describe the restricted actor" in response.content.decode()
    # Both members and the shared outcomes are still filled in.
    assert [m["stakeholder"] for m in response.context["formset"].initial] == [r.ngo.pk, r.women.pk]


# --- restriction ----------------------------------------------------------------------------


@pytest.fixture
def with_hidden_member(db, officer, reviewer):
    public = StakeholderFactory(name="Open NGO", kind=Kind.NGO)
    firm = StakeholderFactory(name="Open firm", kind=Kind.FIRM)
    hidden = StakeholderFactory(
        name="Secret shelter collective", kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED
    )
    cleared = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    partnership = make_partnership(
        proposer=cleared,
        reviewer=reviewer,
        members=[public, firm, hidden],
        status=S.APPROVED,
        title="Protection network",
    )
    return partnership, hidden


def test_a_hidden_member_is_left_out_everywhere(client, analyst, with_hidden_member):
    partnership, hidden = with_hidden_member
    login_verified(client, analyst)
    pages = [
        client.get(LIST).content.decode(),
        client.get(partnership.get_absolute_url()).content.decode(),
        export_text(client.get(EXPORT)),
    ]
    for page in pages:
        assert "Protection network" in page
        assert "Open NGO" in page
        assert hidden.name not in page
        assert "secret" not in page.lower()
        for hint in ("1 hidden", "hidden member", "hidden actor", "3 members", "not shown"):
            assert hint not in page.lower()
    # Filtering by the hidden member's kind or id does not reveal it.
    kind_page = client.get(LIST, {"member_kind": Kind.WOMENS_GROUP}).content.decode()
    assert "Protection network" not in kind_page
    # A hidden member's id is refused exactly like an id that does not exist.
    as_hidden = client.get(LIST, {"member": hidden.pk}).content.decode()
    as_missing = client.get(LIST, {"member": 999999}).content.decode()
    for page in (as_hidden, as_missing):
        assert "Select a valid choice" in page
        assert "secret" not in page.lower()
    assert client.get(SEARCH, {"q": "shelter"}).status_code == 403  # analysts cannot propose


def test_cleared_people_see_every_member(client, cleared_analyst, with_hidden_member):
    partnership, hidden = with_hidden_member
    login_verified(client, cleared_analyst)
    assert hidden.name in client.get(partnership.get_absolute_url()).content.decode()
    assert (
        "Protection network"
        in client.get(LIST, {"member_kind": Kind.WOMENS_GROUP}).content.decode()
    )


def test_the_member_search_respects_restriction(client, officer):
    StakeholderFactory(name="Shelter network", sensitivity=Sensitivity.RESTRICTED)
    visible = StakeholderFactory(name="Shelter alliance", kind=Kind.NGO)
    login_verified(client, officer)
    results = client.get(SEARCH, {"q": "shelter"}).json()["results"]
    assert [r["id"] for r in results] == [visible.pk]
    assert results[0]["kind"] == Kind.NGO
    for n in range(25):
        StakeholderFactory(name=f"Shelter {n:02d}")
    assert len(client.get(SEARCH, {"q": "shelter"}).json()["results"]) == 20
    assert client.get(SEARCH, {"q": "s"}).json()["results"] == []


# --- lists: filters, export, query counts -----------------------------------------------------


def test_filters_and_export(client, officer, reviewer, administrator):
    outcome = OutcomeFactory(title="Displacement in the Sahel")
    diaspora = StakeholderFactory(name="Sahel diaspora", kind=Kind.DIASPORA)
    p1 = make_partnership(
        proposer=officer, reviewer=reviewer, status=S.APPROVED, title="Sahel line",
        members=[diaspora, StakeholderFactory(kind=Kind.FIRM)],
    )  # fmt: skip
    p1.outcomes.add(outcome)
    make_partnership(proposer=officer, reviewer=reviewer, status=S.PROPOSED, title="Other")
    login_verified(client, administrator)

    def titles(params):
        page = client.get(LIST, params).content.decode()
        return {t for t in ("Sahel line", "Other") if t in page}

    assert titles({}) == {"Sahel line", "Other"}
    assert titles({"status": S.APPROVED}) == {"Sahel line"}
    assert titles({"outcome": outcome.pk}) == {"Sahel line"}
    assert titles({"member": diaspora.pk}) == {"Sahel line"}
    assert titles({"member_kind": Kind.DIASPORA}) == {"Sahel line"}
    csv = client.get(EXPORT, {"status": S.APPROVED})
    assert csv["Content-Type"].startswith("text/csv")
    lines = export_text(csv).strip().splitlines()
    assert len(lines) == 2 and "Sahel line" in lines[1] and "Sahel diaspora" in lines[1]


# Session, user, permissions and roles, the count, the rows, their members and their outcomes:
# the same for 5 rows and for 50; +2: the reader's page size for the list and their saved views.
LIST_QUERIES = 12


@pytest.mark.parametrize("url", [LIST, QUEUE, MINE])
@pytest.mark.parametrize("rows", [5, 50])
def test_list_pages_run_the_same_queries_for_few_and_many(
    client, url, rows, officer, administrator, reviewer, django_assert_num_queries
):
    for _ in range(rows):
        make_partnership(proposer=officer, reviewer=reviewer, status=S.PROPOSED)
    viewer = {LIST: administrator, QUEUE: reviewer, MINE: officer}[url]
    login_verified(client, viewer)
    # An administrator's session also reads the device it passed the second factor with.
    expected = LIST_QUERIES + (1 if viewer == administrator else 0)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["partnerships"]) == min(rows, 25)


def test_a_reviewer_who_sends_back_lands_on_the_queue_with_a_confirmation(
    client, officer, reviewer
):
    """Sent back, the proposal is its proposer's again and no longer the reviewer's to see: the
    reviewer lands on the review queue, told what happened, not on a missing page."""
    partnership = make_partnership(
        proposer=officer, reviewer=reviewer, status=S.UNDER_REVIEW, title="Water points"
    )
    login_verified(client, reviewer)
    response = client.post(
        reverse("partnerships:partnership_transition", args=[partnership.pk]),
        {"action": "send_back", "comment": "Say who funds it.", "version": partnership.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("partnerships:review_queue")
    page = response.content.decode()
    assert f"Sent back to {officer.get_full_name()}: “Water points”." in page


def test_send_back_without_a_comment_says_so_at_the_field(client, officer, reviewer):
    partnership = make_partnership(proposer=officer, reviewer=reviewer, status=S.UNDER_REVIEW)
    login_verified(client, reviewer)
    response = client.post(
        reverse("partnerships:partnership_transition", args=[partnership.pk]),
        {"action": "send_back", "comment": "", "version": partnership.version},
    )
    assert response.status_code == 400
    assert response.context["transition_form"].errors["comment"] == ["Say why, for the proposer."]
    page = response.content.decode()
    assert 'id="id_comment_error"' in page and "Note to the proposer with this step" in page
    partnership.refresh_from_db()
    assert partnership.status == S.UNDER_REVIEW
