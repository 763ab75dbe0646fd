"""The CSV export of the partnership list: what a reader receives, the audit of exports holding
restricted members, and cells that a spreadsheet must not run as formulas."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import RestrictedReadLog
from accounts.roles import Role
from partnerships.models import PartnershipStatus as S
from stakeholders.choices import Kind, Sensitivity
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("partnerships:partnership_export")


def export_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def restricted_partnership(reviewer):
    """An approved partnership of two public actors and a restricted women's shelter, proposed
    by a cleared officer, and beside it a partnership of public actors only."""
    hidden = StakeholderFactory(
        name="Secret shelter", kind=Kind.WOMENS_GROUP, sensitivity=Sensitivity.RESTRICTED
    )
    cleared_officer = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    with_hidden = make_partnership(
        proposer=cleared_officer,
        reviewer=reviewer,
        status=S.APPROVED,
        title="Protection network",
        members=[StakeholderFactory(name="Open NGO"), StakeholderFactory(kind=Kind.FIRM), hidden],
    )
    public_only = make_partnership(
        proposer=cleared_officer, reviewer=reviewer, status=S.PROPOSED, title="Open line"
    )
    return with_hidden, public_only, hidden


def test_a_cleared_export_with_a_restricted_member_is_logged(
    client, cleared_analyst, restricted_partnership
):
    with_hidden, _public_only, hidden = restricted_partnership
    login_verified(client, cleared_analyst)
    rows = export_rows(client.get(EXPORT, {"q": "protection"}))
    assert [row["title"] for row in rows] == ["Protection network"]
    assert "Secret shelter (Other)" in rows[0]["members"]
    log = RestrictedReadLog.objects.get()
    assert log.user == cleared_analyst
    assert log.stakeholder_ids == [hidden.pk]
    assert log.method == "GET"
    assert log.path.startswith(EXPORT) and "q=protection" in log.path


def test_a_cleared_export_without_restricted_members_logs_nothing(
    client, cleared_analyst, restricted_partnership
):
    login_verified(client, cleared_analyst)
    rows = export_rows(client.get(EXPORT, {"status": S.PROPOSED}))
    assert [row["title"] for row in rows] == ["Open line"]
    assert not RestrictedReadLog.objects.exists()


def test_an_uncleared_export_never_holds_a_restricted_member_and_logs_nothing(
    client, analyst, restricted_partnership
):
    with_hidden, _public_only, hidden = restricted_partnership
    login_verified(client, analyst)
    rows = export_rows(client.get(EXPORT))
    assert {row["title"] for row in rows} == {"Protection network", "Open line"}
    protection = next(row for row in rows if row["title"] == "Protection network")
    assert "Open NGO" in protection["members"]
    assert hidden.name not in str(rows)
    assert protection["members"].count(";") == 1  # two members, no trace of the third
    # Filtering by the hidden member's kind does not reveal the partnership either (Open line
    # has a public women's group).
    by_kind = export_rows(client.get(EXPORT, {"member_kind": Kind.WOMENS_GROUP}))
    assert [row["title"] for row in by_kind] == ["Open line"]
    assert not RestrictedReadLog.objects.exists()


def test_invalid_filters_name_the_field_and_export_nothing(
    client, cleared_analyst, restricted_partnership
):
    login_verified(client, cleared_analyst)
    response = client.get(EXPORT, {"status": "nonsense"})
    assert response.status_code == 400
    assert "status" in response.content.decode()
    assert not RestrictedReadLog.objects.exists()


def test_cells_that_would_run_as_formulas_are_neutralised(client, officer, reviewer):
    outcome = OutcomeFactory(title="-2+3 displaced")
    partnership = make_partnership(
        proposer=officer,
        reviewer=reviewer,
        status=S.PROPOSED,
        title='=HYPERLINK("http://evil.example","click")',
        members=[StakeholderFactory(name="@SUM(A1)"), StakeholderFactory(name="+Plain NGO")],
    )
    partnership.outcomes.set([outcome])
    login_verified(client, officer)
    (row,) = export_rows(client.get(EXPORT))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["outcomes"] == "'-2+3 displaced"
    # The members cell starts with the first member's name: defused as a whole.
    assert row["members"].startswith("'@SUM(A1)")
    assert row["id"] == str(partnership.pk)  # numbers stay numbers
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("rows", [3, 30])
def test_the_export_runs_the_same_queries_for_few_and_many(
    rows, client, cleared_analyst, reviewer, django_assert_num_queries
):
    hidden = StakeholderFactory(sensitivity=Sensitivity.CONFIDENTIAL)
    cleared_officer = UserFactory(roles=[Role.PROGRAM_OFFICER], cleared=True)
    for _ in range(rows):
        make_partnership(
            proposer=cleared_officer,
            reviewer=reviewer,
            status=S.PROPOSED,
            members=[StakeholderFactory(), hidden],
        )
    login_verified(client, cleared_analyst)
    # Session, user, two permission lookups, roles, the audit's member query and its insert,
    # then the rows (with proposers), their visible members and their outcomes.
    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(export_rows(client.get(EXPORT))) == rows
    assert RestrictedReadLog.objects.get().stakeholder_ids == [hidden.pk]


EXPORT_QUERIES = 11  # with the device the session passed the second factor with
