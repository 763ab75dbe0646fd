"""Query counts of the registry's detail endpoints, pinned per caller.

A detail read costs the same number of queries however much hangs off the object (sectors,
identifiers, children, other stakes and ties): nothing is loaded per related row. A cleared person
reading a restricted object costs one more query, the row in the audit log of restricted reads.
"""

import pytest

from accounts.selectors import restricted_read_list
from stakeholders.choices import Sensitivity
from stakeholders.models import ExternalIdentifier
from tests.api.conftest import signed_in
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


def build(resource: str, *, related: int, sensitivity: str = Sensitivity.PUBLIC):
    """One object of ``resource`` with ``related`` rows of everything that hangs off it."""
    actor = StakeholderFactory(sensitivity=sensitivity)
    actor.sectors.set(SectorFactory.create_batch(related))
    for index in range(related):
        ExternalIdentifier.objects.create(stakeholder=actor, scheme="other", value=f"X{index}")
        StakeholderFactory(parent=actor)
        StakeFactory(stakeholder=actor, outcome=OutcomeFactory())
        TieFactory(from_stakeholder=actor, to_stakeholder=StakeholderFactory())
    if resource == "stakeholders":
        return actor
    if resource == "outcomes":
        outcome = OutcomeFactory()
        for _ in range(related):
            StakeFactory(outcome=outcome)
        return outcome
    if resource == "stakes":
        return StakeFactory(stakeholder=actor)
    return TieFactory(from_stakeholder=StakeholderFactory(), to_stakeholder=actor)


# Queries per detail request:
#   token:   the object (+ sectors and identifiers for a stakeholder); the token is the copy this
#            process kept when it first read it (its last use is recorded once a minute at most)
#   session: session, user, the user's permissions and its groups' (read for every session: do
#            they owe a second factor?), for a cleared person the device their session passed
#            the second factor with, the object (+ sectors and identifiers)
#   + its tags, for a stakeholder or an outcome
DETAIL_QUERIES = {
    ("token", "stakeholders"): 4, ("token", "outcomes"): 2, ("token", "stakes"): 1,
    ("token", "ties"): 1,
    ("analyst", "stakeholders"): 8, ("analyst", "outcomes"): 6, ("analyst", "stakes"): 5,
    ("analyst", "ties"): 5,
    ("cleared_analyst", "stakeholders"): 9, ("cleared_analyst", "outcomes"): 7,
    ("cleared_analyst", "stakes"): 6, ("cleared_analyst", "ties"): 6,
}  # fmt: skip
RESOURCES = ["stakeholders", "outcomes", "stakes", "ties"]
AUDIT_QUERIES = 1


def client_of(caller: str, request):
    if caller == "token":
        return request.getfixturevalue("token_client")
    return signed_in(request.getfixturevalue(caller))


@pytest.mark.parametrize("related", [1, 12])
@pytest.mark.parametrize("caller", ["token", "analyst", "cleared_analyst"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_detail_queries_are_pinned_and_do_not_grow_with_related_rows(
    request, django_assert_num_queries, resource, caller, related
):
    client = client_of(caller, request)
    client.get("/api/v1/outcomes/")  # the token's first use is recorded once, not per read
    obj = build(resource, related=related)
    with django_assert_num_queries(DETAIL_QUERIES[(caller, resource)]):
        response = client.get(f"/api/v1/{resource}/{obj.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == obj.pk


@pytest.mark.parametrize("related", [1, 12])
@pytest.mark.parametrize("resource", ["stakeholders", "stakes", "ties"])
def test_a_cleared_read_of_a_restricted_detail_adds_only_its_audit_row(
    cleared_analyst, django_assert_num_queries, resource, related
):
    client = signed_in(cleared_analyst)
    obj = build(resource, related=related, sensitivity=Sensitivity.RESTRICTED)
    expected = DETAIL_QUERIES[("cleared_analyst", resource)] + AUDIT_QUERIES
    with django_assert_num_queries(expected):
        response = client.get(f"/api/v1/{resource}/{obj.pk}/")
    assert response.status_code == 200
    assert restricted_read_list(user=cleared_analyst).count() == 1


@pytest.mark.parametrize("resource", ["stakeholders", "stakes", "ties"])
def test_a_restricted_detail_is_404_for_a_token_at_the_same_cost(
    request, django_assert_num_queries, resource
):
    client = client_of("token", request)
    client.get("/api/v1/outcomes/")
    obj = build(resource, related=3, sensitivity=Sensitivity.RESTRICTED)
    # The lookup that finds nothing, and no more: the error costs no extra query.
    with django_assert_num_queries(1):
        response = client.get(f"/api/v1/{resource}/{obj.pk}/")
    assert response.status_code == 404
