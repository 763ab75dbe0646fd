"""Merging outcomes (machine-made ones into a curated one): every reference moves, one actor's
two stakes combine into the stronger, history is kept, undo restores exactly, and a merge by
someone not cleared neither moves nor reveals a hidden actor's stake."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from partnerships.coalitions.models import Coalition, CoalitionComputation
from stakeholders.choices import Origin, Sensitivity
from stakeholders.merge_undo import merge_undo
from stakeholders.models import MergeRecord, Outcome, Stake
from stakeholders.outcome_merging import outcome_links, outcome_merge, outcome_references
from stakeholders.services import outcome_update
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.index.factories import EngagementFactory
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


def _coalition_for(outcome):
    now = timezone.now()
    computation = CoalitionComputation.objects.create(
        outcome=outcome, audience="public", computed_at=now, read_at=now, digest="x",
        solver="exact",
    )  # fmt: skip
    Coalition.objects.create(
        computation=computation, outcome=outcome, audience="public", key="k", rank=1, value=1,
        coverage=1, stake=1, trust=1, bound=1,
    )  # fmt: skip


def _world(officer):
    """A curated outcome, two machine-made ones from an import, and a row of every kind of
    reference to an outcome."""
    from relationships import services as relationships

    curated = OutcomeFactory(title="Basic health care in Kenya (curated)")
    machine = OutcomeFactory(title="Basic health care in Kenya", origin=Origin.IATI)
    machine2 = OutcomeFactory(title="Basic health care in Kenya (3W)", origin=Origin.THREEW)
    both, only = StakeholderFactory(name="Both"), StakeholderFactory(name="Only machine")
    StakeFactory(stakeholder=both, outcome=curated, interest=0.3, influence=0.3)
    StakeFactory(stakeholder=both, outcome=machine, interest=0.9, influence=0.8)
    StakeFactory(stakeholder=both, outcome=machine2, interest=0.1, influence=0.1)
    StakeFactory(stakeholder=only, outcome=machine, interest=0.5, influence=0.5)
    engagement = EngagementFactory()
    engagement.outcomes.set([curated, machine])
    partnership = make_partnership(proposer=officer)
    partnership.outcomes.add(machine2)
    relationships.interaction_create(
        user=officer, kind="meeting", date=datetime.date(2026, 1, 5), stakeholders=[only],
        outcomes=[machine],
    )  # fmt: skip
    outcome_update(outcome=machine, tags=["health", "kenya"])
    _coalition_for(machine)
    return curated, machine, machine2, both, only, engagement, partnership


def _references_to(ids) -> int:
    count = 0
    for model, fks in outcome_references():
        for fk in fks:
            rows = model._base_manager.filter(**{f"{fk.attname}__in": ids})
            if model is Outcome:
                rows = rows.exclude(pk__in=ids)
            count += rows.count()
            assert not rows.exists(), model
    for model, field in outcome_links():
        count += model._base_manager.filter(**{f"{field}__in": ids}).count()
        assert not model._base_manager.filter(**{f"{field}__in": ids}).exists(), model
    return count


def _snapshot():
    return {
        "stakes": sorted(
            Stake.objects.values_list("stakeholder_id", "outcome_id", "interest", "influence")
        ),
        "outcomes": sorted(
            Outcome.all_objects.values_list("pk", "title", "archived_at", "merged_into_id")
        ),
        "links": sorted(
            (model._meta.label_lower, owner, outcome)
            for model, field in outcome_links()
            for owner, outcome in model._base_manager.values_list("pk", field)
            if outcome is not None
        ),
        "tags": sorted(Outcome.all_objects.values_list("pk", "tags__name")),
    }


def test_outcome_merge_moves_every_reference_and_undo_restores_exactly(officer):
    curated, machine, machine2, both, only, engagement, partnership = _world(officer)
    before = _snapshot()
    record = outcome_merge(
        survivor=curated,
        others=[machine, machine2],
        values={"description": machine.pk},
        user=officer,
    )
    assert _references_to([machine.pk, machine2.pk]) == 0
    assert not CoalitionComputation.objects.filter(outcome=machine).exists()
    stakes = {s.stakeholder_id: s for s in Stake.objects.filter(outcome=curated)}
    assert set(stakes) == {both.pk, only.pk}
    assert (stakes[both.pk].interest, stakes[both.pk].influence) == (0.9, 0.8)  # the stronger
    assert any("Both's stake in the merged outcome" in line for line in record.summary)
    assert not any("#None" in line for line in record.summary)  # named before it was deleted
    assert set(curated.tags.values_list("name", flat=True)) == {"health", "kenya"}
    assert set(engagement.outcomes.all()) == {curated}
    assert set(partnership.outcomes.all()) >= {curated}
    assert list(Outcome.objects.filter(pk__in=[machine.pk, machine2.pk])) == []
    curated.refresh_from_db()
    assert curated.description == machine.description
    assert curated.origin == Origin.CURATED  # the survivor keeps its own origin
    # History: the moved stake says why; the engagement's outcomes change is in its history.
    moved = Stake.objects.get(outcome=curated, stakeholder=only)
    assert moved.history.first().history_change_reason.startswith("Merged into")
    assert engagement.history.count() >= 2

    merge_undo(record=MergeRecord.objects.get(pk=record.pk), user=officer)
    assert _snapshot() == before


def test_outcome_undo_refuses_when_a_moved_stake_changed_since(officer):
    curated, machine, *_ = _world(officer)
    record = outcome_merge(survivor=curated, others=[machine], values={}, user=officer)
    Stake.objects.filter(outcome=curated).update(interest=0.42)  # someone edited since
    with pytest.raises(ValidationError, match="changed since the merge"):
        merge_undo(record=MergeRecord.objects.get(pk=record.pk), user=officer)
    assert Outcome.objects.filter(pk=machine.pk).count() == 0  # nothing was changed


@pytest.mark.parametrize(
    ("case", "field"),
    [("none", "others"), ("itself", "survivor"), ("archived", "others"), ("title", "title")],
)
def test_bad_outcome_merges_are_refused_with_a_field_error(officer, case, field):
    survivor, other, stranger = OutcomeFactory(), OutcomeFactory(), OutcomeFactory()
    values = {}
    others = {"none": [], "itself": [survivor], "archived": [other], "title": [other]}[case]
    if case == "archived":
        Outcome.all_objects.filter(pk=other.pk).update(archived_at=timezone.now())
    if case == "title":
        values = {"title": stranger.pk}
    with pytest.raises(ValidationError) as refused:
        outcome_merge(survivor=survivor, others=others, values=values, user=officer)
    assert field in refused.value.message_dict


def test_a_merge_by_someone_not_cleared_leaves_hidden_stakes_and_says_nothing_of_them(
    officer, cleared_officer
):
    curated, machine = OutcomeFactory(), OutcomeFactory(origin=Origin.IATI)
    public = StakeholderFactory()
    hidden = StakeholderFactory(sensitivity=Sensitivity.RESTRICTED)
    StakeFactory(stakeholder=public, outcome=machine)
    StakeFactory(stakeholder=hidden, outcome=machine, interest=0.9, influence=0.9)
    StakeFactory(stakeholder=hidden, outcome=curated, interest=0.1, influence=0.1)
    record = outcome_merge(survivor=curated, others=[machine], values={}, user=officer)
    # The hidden actor's stakes are where they were, untouched (with the archived outcome).
    assert Stake.objects.get(stakeholder=hidden, outcome=machine).interest == 0.9
    assert Stake.objects.get(stakeholder=hidden, outcome=curated).interest == 0.1
    assert record.summary == ["1 stake (outcome) moved to the survivor."]
    assert record.restricted_summary == [] and not record.involves_restricted

    # A cleared person's merge moves them, and says so to cleared readers only.
    curated2, machine2 = OutcomeFactory(), OutcomeFactory(origin=Origin.IATI)
    StakeFactory(stakeholder=public, outcome=machine2)
    StakeFactory(stakeholder=hidden, outcome=machine2, interest=0.9, influence=0.9)
    StakeFactory(stakeholder=hidden, outcome=curated2, interest=0.1, influence=0.1)
    record = outcome_merge(survivor=curated2, others=[machine2], values={}, user=cleared_officer)
    assert Stake.objects.get(stakeholder=hidden, outcome=curated2).interest == 0.9
    assert record.summary == ["1 stake (outcome) moved to the survivor."]
    assert len(record.restricted_summary) == 1 and hidden.name in record.restricted_summary[0]
    # Someone not cleared undoes it: the hidden rows go back too, and nothing is refused.
    Stake.objects.filter(stakeholder=hidden, outcome=curated2).update(notes="changed since")
    merge_undo(record=MergeRecord.objects.get(pk=record.pk), user=officer)
    assert Stake.objects.get(stakeholder=public, outcome=machine2)
    # The hidden stake changed since stays where it is (not overwritten, not revealed).
    assert Stake.objects.get(stakeholder=hidden, outcome=curated2).notes == "changed since"


def test_the_merge_pages_for_outcomes(client, officer, cleared_officer):
    curated, machine = OutcomeFactory(title="Health in Kenya"), OutcomeFactory(origin=Origin.IATI)
    hidden = StakeholderFactory(name="Secret Clinic", sensitivity=Sensitivity.RESTRICTED)
    StakeFactory(stakeholder=hidden, outcome=machine)
    login_verified(client, cleared_officer)
    page = client.get(reverse("stakeholders:outcome_merge"), {"ids": curated.pk})
    assert page.status_code == 200 and machine.title in page.content.decode()
    url = reverse("stakeholders:outcome_merge")
    page = client.get(url, {"ids": [curated.pk, machine.pk]})
    assert "Merge 2 outcomes" in page.content.decode()
    response = client.post(
        url, {"ids": f"{curated.pk},{machine.pk}", "survivor": curated.pk, "title": curated.pk}
    )
    record = MergeRecord.objects.get()
    assert response.status_code == 302 and response.url == record.get_absolute_url()
    assert "Restricted actors" in client.get(record.get_absolute_url()).content.decode()
    client.force_login(officer)
    detail = client.get(record.get_absolute_url()).content.decode()
    assert "Health in Kenya" in detail and "Secret Clinic" not in detail
    assert "Restricted actors" not in detail
    listing = client.get(reverse("stakeholders:merge_record_list")).content.decode()
    assert "Health in Kenya" in listing
