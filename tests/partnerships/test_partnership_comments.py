"""Comments on a partnership outside the workflow: who may post them, validation, the audit
history, their place in the timeline, the page (with its query count) and the API."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import RestrictedReadLog
from accounts.roles import Role
from accounts.services import token_issue
from partnerships import workflow
from partnerships.models import PartnershipComment, PartnershipEvent
from partnerships.models import PartnershipStatus as S
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

LIMIT = workflow.COMMENT_MAX_LENGTH


def add_url(partnership):
    return reverse("partnerships:partnership_comment_add", args=[partnership.pk])


def api_url(partnership):
    return reverse("partnerships-api:partnership-comments", args=[partnership.pk])


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def proposed(officer, reviewer):
    return make_partnership(
        proposer=officer, reviewer=reviewer, status=S.PROPOSED, title="Early warning"
    )


# --- the service ----------------------------------------------------------------------------


def test_any_reader_comments_without_taking_a_step(proposed, analyst):
    version, events = proposed.version, proposed.events.count()
    comment = workflow.partnership_comment_add(
        partnership=proposed, author=analyst, body="  Who funds the SMS gateway?  "
    )
    assert (comment.author, comment.body) == (analyst, "Who funds the SMS gateway?")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.version) == (S.PROPOSED, version)
    assert proposed.events.count() == events
    (record,) = comment.history.all()
    assert (record.history_type, record.history_user, record.body) == (
        "+",
        analyst,
        "Who funds the SMS gateway?",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write a comment"),
        ("   \n ", "Write a comment"),
        ("x" * (LIMIT + 1), f"at most {LIMIT} characters; this one has {LIMIT + 1}"),
    ],
)
def test_an_empty_or_too_long_comment_names_the_field_and_saves_nothing(
    proposed, analyst, body, message
):
    with pytest.raises(ApplicationError, match=message) as error:
        workflow.partnership_comment_add(partnership=proposed, author=analyst, body=body)
    assert error.value.field == "body"
    assert not PartnershipComment.objects.exists()


def test_a_comment_of_exactly_the_limit_is_kept(proposed, analyst):
    workflow.partnership_comment_add(partnership=proposed, author=analyst, body="y" * LIMIT)
    assert len(PartnershipComment.objects.get().body) == LIMIT


def test_only_people_who_may_see_the_partnership_comment(officer, administrator, analyst):
    draft = make_partnership(proposer=officer)
    no_role = UserFactory()
    for outsider in (analyst, UserFactory(roles=[Role.PROGRAM_OFFICER]), no_role):
        with pytest.raises(PermissionDenied):
            workflow.partnership_comment_add(partnership=draft, author=outsider, body="Hello")
    with pytest.raises(PermissionDenied):
        workflow.partnership_comment_add(partnership=draft, author=AnonymousUser(), body="Hi")
    assert not PartnershipComment.objects.exists()
    # The proposer and administrators see drafts, so they comment on them.
    workflow.partnership_comment_add(partnership=draft, author=officer, body="Note to self")
    workflow.partnership_comment_add(partnership=draft, author=administrator, body="Looks good")
    assert PartnershipComment.objects.filter(partnership=draft).count() == 2


# --- the page -------------------------------------------------------------------------------


def test_a_comment_posted_on_the_page_shows_in_the_timeline_in_date_order(
    client, proposed, analyst, reviewer
):
    client.force_login(analyst)
    response = client.post(add_url(proposed), {"body": "Who funds <b>the gateway</b>?"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"{proposed.get_absolute_url()}#comments")
    workflow.partnership_start_review(partnership=proposed, user=reviewer)
    page = client.get(proposed.get_absolute_url()).content.decode()
    assert "Who funds &lt;b&gt;the gateway&lt;/b&gt;?" in page  # escaped, never markup
    timeline = page[page.index("<h2>Timeline</h2>") :]
    positions = [
        timeline.index(text)
        for text in ("Draft</span>", "Proposed</span>", "Who funds", "Under review</span>")
    ]
    assert positions == sorted(positions)
    assert 'id="comment-form"' in page


@pytest.mark.parametrize(
    ("body", "message"),
    [("  ", "Write a comment"), ("z" * (LIMIT + 1), f"at most {LIMIT} characters")],
)
def test_an_invalid_comment_on_the_page_says_why_and_saves_nothing(
    client, proposed, analyst, body, message
):
    client.force_login(analyst)
    response = client.post(add_url(proposed), {"body": body}, follow=True)
    assert message in response.content.decode()
    assert not PartnershipComment.objects.exists()


def test_the_page_refuses_people_who_may_not_see_the_partnership(client, officer, analyst):
    draft = make_partnership(proposer=officer)
    client.force_login(analyst)
    assert client.post(add_url(draft), {"body": "Hello"}).status_code == 404
    client.force_login(UserFactory())  # signed in, no role
    assert client.post(add_url(draft), {"body": "Hello"}).status_code == 403
    client.logout()
    anonymous = client.post(add_url(draft), {"body": "Hello"})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert not PartnershipComment.objects.exists()


# Session, user, two permission lookups, roles, the partnership with its members and outcomes,
# its steps, its comments, promoted candidates, and the index's scores box (methodology,
# engagements, score averages), its interactions (the relationships panel): the same for 1 comment
# and for 40.
DETAIL_QUERIES = 15


@pytest.mark.parametrize("comments", [1, 40])
def test_the_page_runs_the_same_queries_for_few_and_many_comments(
    client, proposed, analyst, reviewer, comments, django_assert_num_queries
):
    people = [analyst, reviewer, UserFactory(roles=[Role.ANALYST])]
    for n in range(comments):
        workflow.partnership_comment_add(
            partnership=proposed, author=people[n % 3], body=f"Remark {n}"
        )
    client.force_login(analyst)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(proposed.get_absolute_url())
    assert response.status_code == 200
    assert len([e for e in response.context["timeline"] if e.timeline_kind == "comment"]) == (
        comments
    )


# --- the API --------------------------------------------------------------------------------


def test_comments_through_the_api(proposed, analyst, reviewer):
    created = api(analyst).post(api_url(proposed), {"body": "First remark"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["body"] == "First remark"
    assert created.json()["author"] == str(analyst)
    api(reviewer).post(api_url(proposed), {"body": "Second remark"}, format="json")
    listed = api(analyst).get(api_url(proposed)).json()
    assert listed["count"] == 2
    assert [c["body"] for c in listed["results"]] == ["First remark", "Second remark"]
    assert not PartnershipEvent.objects.filter(partnership=proposed, comment="First remark")


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "blank"), ("x" * (LIMIT + 1), str(LIMIT)), ("   ", "blank")],
)
def test_an_invalid_api_comment_names_the_field(proposed, analyst, body, message):
    response = api(analyst).post(api_url(proposed), {"body": body}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert message in " ".join(fields["body"])
    assert not PartnershipComment.objects.exists()


def test_the_api_refuses_people_and_tokens_that_may_not_see_it(officer, analyst, proposed):
    draft = make_partnership(proposer=officer)
    assert api(analyst).post(api_url(draft), {"body": "Hi"}, format="json").status_code == 404
    assert api(analyst).get(api_url(draft)).status_code == 404
    assert api(UserFactory()).post(api_url(proposed), {"body": "Hi"}).status_code == 403
    assert APIClient().post(api_url(proposed), {"body": "Hi"}).status_code in (401, 403)
    issued = token_issue(partner="Partner portal", created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert client.get(api_url(proposed)).status_code == 403
    assert client.post(api_url(proposed), {"body": "Hi"}).status_code == 403
    assert not PartnershipComment.objects.exists()


def test_reading_comments_is_not_a_restricted_read(reviewer, cleared_analyst):
    """Comments list no members, so a cleared person reading them reads nothing restricted
    (reading the partnership itself is audited)."""
    hidden = StakeholderFactory(kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED)
    cleared_officer = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    partnership = make_partnership(
        proposer=cleared_officer,
        reviewer=reviewer,
        status=S.APPROVED,
        # Two visible members: with one, it would exist for cleared people only.
        members=[StakeholderFactory(), StakeholderFactory(kind=Kind.FIRM), hidden],
    )
    workflow.partnership_comment_add(partnership=partnership, author=reviewer, body="Fine")
    assert api(cleared_analyst).get(api_url(partnership)).json()["count"] == 1
    assert not RestrictedReadLog.objects.exists()
    detail = reverse("partnerships-api:partnership-detail", args=[partnership.pk])
    api(cleared_analyst).get(detail)
    assert RestrictedReadLog.objects.get().stakeholder_ids == [hidden.pk]


@pytest.mark.parametrize("comments", [1, 30])
def test_the_comment_list_runs_the_same_queries_for_few_and_many(
    proposed, analyst, comments, django_assert_num_queries
):
    for n in range(comments):
        workflow.partnership_comment_add(partnership=proposed, author=analyst, body=f"R{n}")
    client = api(analyst)
    # Roles, the partnership with its members and outcomes, the comment count and the page.
    with django_assert_num_queries(API_COMMENT_QUERIES):
        response = client.get(api_url(proposed))
    assert response.json()["count"] == comments


API_COMMENT_QUERIES = 5


def test_the_schema_documents_comments_and_edits(client, analyst):
    client.force_login(analyst)
    text = client.get(reverse("api-schema")).content.decode()
    assert "/api/v1/partnerships/{id}/comments/" in text
    assert "Edit a draft or sent-back proposal" in text
