"""The administrators' token list: paged like every list, with a query count that does not grow."""

import pytest
from django.urls import reverse

from accounts.services import token_issue, token_revoke
from accounts.views import PAGE_SIZE
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def issue_tokens(count: int, *, by) -> list:
    """``count`` tokens, every third one revoked, issued by two different administrators."""
    other = UserFactory(username="admin.other", roles=["administrator"])
    tokens = []
    for index in range(count):
        issuer = by if index % 2 else other
        issued = token_issue(partner=f"Partner {index:02d}", created_by=issuer)
        if index % 3 == 0:
            token_revoke(token=issued.token, revoked_by=by)
        tokens.append(issued.token)
    return tokens


@pytest.mark.parametrize("tokens", [2, 30])
def test_token_list_query_count_does_not_grow_with_tokens(
    client, administrator, django_assert_num_queries, tokens
):
    issue_tokens(tokens, by=administrator)
    login_verified(client, administrator)
    # session, user, the device the session passed the second factor with, the user's groups
    # (role check), count, the page of tokens with both users.
    with django_assert_num_queries(6):
        response = client.get(reverse("accounts:token_list"))
    assert response.status_code == 200
    assert len(response.context["tokens"]) == min(tokens, PAGE_SIZE)


def test_token_list_is_paged_newest_first(client, administrator):
    issue_tokens(30, by=administrator)
    login_verified(client, administrator)
    first = client.get(reverse("accounts:token_list"))
    text = first.content.decode()
    partners = [token.partner for token in first.context["tokens"]]
    assert partners == [f"Partner {index:02d}" for index in range(29, 29 - PAGE_SIZE, -1)]
    assert "30 tokens" in text
    assert "Page 1 of 2" in text and "?page=2" in text
    second = client.get(reverse("accounts:token_list"), {"page": 2})
    assert [token.partner for token in second.context["tokens"]] == [
        f"Partner {index:02d}" for index in range(29 - PAGE_SIZE, -1, -1)
    ]
    assert "Page 2 of 2" in second.content.decode()
    # Past the end, or nonsense: the nearest real page, never an error.
    assert client.get(reverse("accounts:token_list"), {"page": 99}).context["page_obj"].number == 2
    assert client.get(reverse("accounts:token_list"), {"page": "x"}).context["page_obj"].number == 1


def test_a_short_token_list_has_no_pager(client, administrator):
    issue_tokens(2, by=administrator)
    login_verified(client, administrator)
    text = client.get(reverse("accounts:token_list")).content.decode()
    assert "2 tokens" in text
    assert 'class="pagination"' not in text
