"""Merging duplicate stakeholders: every reference moves, duplicates combine, history is kept,
undo restores exactly, bad input is refused with a field error, hidden records stay hidden."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from index.models import EngagementParticipant
from partnerships.coalitions.models import Coalition, CoalitionComputation, CoalitionMember
from partnerships.models import Candidate, CandidateDismissal, OverlapRun, PartnershipMember
from stakeholders.choices import IdentifierScheme, Sensitivity, TieKind
from stakeholders.merge_undo import stakeholder_merge_undo
from stakeholders.merging import stakeholder_merge, stakeholder_references
from stakeholders.models import (
    DuplicateDismissal,
    ExternalIdentifier,
    LeftStakesDecision,
    MergeRecord,
    Outcome,
    Stake,
    Stakeholder,
    Tie,
)
from stakeholders.services import stakeholder_update
from tests.accounts.factories import UserFactory
from tests.index.factories import EngagementParticipantFactory
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


def _coalition_with(*members):
    outcome = OutcomeFactory()
    now = timezone.now()
    computation = CoalitionComputation.objects.create(
        outcome=outcome,
        audience="cleared",
        computed_at=now,
        read_at=now,
        digest="x",
        solver="exact",
    )
    coalition = Coalition.objects.create(
        computation=computation,
        outcome=outcome,
        audience="cleared",
        key=f"k{members[0].pk}",
        rank=1,
        value=1,
        coverage=1,
        stake=1,
        trust=1,
        bound=1,
    )
    for position, member in enumerate(members):
        CoalitionMember.objects.create(
            coalition=coalition, stakeholder=member, position=position, interest=1, influence=1
        )
    return coalition


def _world(officer):
    """A survivor, two duplicates and a row of every model that refers to a stakeholder."""
    survivor = StakeholderFactory(name="A.P. Moller - Maersk", acronym="")
    early = StakeholderFactory()  # its pairs with the duplicates hold them second
    dup = StakeholderFactory(name="A.P.Moller-Maersk A/S", acronym="APMM", website="https://m.dk")
    dup2 = StakeholderFactory(name="AP MOLLER MAERSK")
    partner, child = StakeholderFactory(), StakeholderFactory()
    shared, own = OutcomeFactory(), OutcomeFactory()
    StakeFactory(stakeholder=survivor, outcome=shared, interest=0.4, influence=0.4)
    StakeFactory(stakeholder=dup, outcome=shared, interest=0.9, influence=0.8)
    StakeFactory(stakeholder=dup, outcome=own, interest=0.3, influence=0.2)
    TieFactory(from_stakeholder=dup, to_stakeholder=survivor, kind=TieKind.FUNDS)  # self: dropped
    TieFactory(from_stakeholder=survivor, to_stakeholder=partner, kind=TieKind.FUNDS, strength=0.2)
    TieFactory(from_stakeholder=dup, to_stakeholder=partner, kind=TieKind.FUNDS, strength=0.7)
    TieFactory(from_stakeholder=partner, to_stakeholder=dup2, kind=TieKind.PARTNERS_WITH)
    TieFactory(from_stakeholder=survivor, to_stakeholder=partner, kind=TieKind.PARTNERS_WITH)
    stakeholder_update(stakeholder=child, parent=dup)
    # A decision on a duplicate's stake left on an archived outcome (the left stakes review).
    LeftStakesDecision.objects.create(
        stakeholder=dup2, from_outcome=own, action=LeftStakesDecision.Action.KEEP
    )
    # An IATI-made actor whose publisher was a duplicate (provenance): it now names the survivor.
    Stakeholder.objects.filter(pk=partner.pk).update(
        origin="iati", source_activity="XM-DUP-1", source_publisher=dup
    )
    ExternalIdentifier.objects.create(stakeholder=dup, scheme=IdentifierScheme.IATI_ORG, value="X")
    ExternalIdentifier.objects.create(stakeholder=dup2, scheme=IdentifierScheme.IATI_ORG, value="X")
    dup.sectors.add(SectorFactory())
    stakeholder_update(stakeholder=dup, tags=["shipping", "logistics"])
    stakeholder_update(stakeholder=dup2, tags=["shipping"])  # the same tag twice: kept once
    participant = EngagementParticipantFactory(stakeholder=dup)
    EngagementParticipantFactory(engagement=participant.engagement, stakeholder=dup2)
    make_partnership(proposer=officer, members=[dup, partner])
    run = OverlapRun.objects.create(is_active=False)
    low, high = sorted([dup, partner], key=lambda s: s.pk)
    Candidate.objects.create(
        run=run, stakeholder_a=low, stakeholder_b=high, overlap=1, complementarity=1,
        inclusion=0, score=1,
    )  # fmt: skip
    CandidateDismissal.objects.create(stakeholder_a=low, stakeholder_b=high, reason="no")
    low, high = sorted([dup2, partner], key=lambda s: s.pk)
    DuplicateDismissal.objects.create(stakeholder_a=low, stakeholder_b=high)
    Candidate.objects.create(
        run=run, stakeholder_a=early, stakeholder_b=dup, overlap=1, complementarity=1,
        inclusion=0, score=1,
    )  # fmt: skip
    CandidateDismissal.objects.create(stakeholder_a=early, stakeholder_b=dup, reason="no")
    DuplicateDismissal.objects.create(stakeholder_a=early, stakeholder_b=dup2)
    _coalition_with(dup, partner, child)
    _relationships_with(officer, survivor, dup, dup2)
    earlier = StakeholderFactory()
    Stakeholder.all_objects.filter(pk=earlier.pk).update(merged_into=dup2)
    return survivor, dup, dup2, partner, child


def _relationships_with(officer, survivor, dup, dup2):
    """An interaction with the survivor and a duplicate (the link would be doubled), a follow-up,
    an owner and a salience assessment of the duplicates."""
    import datetime

    from relationships import services as relationships

    relationships.interaction_create(
        user=officer, kind="meeting", date=datetime.date(2026, 1, 5), stakeholders=[survivor, dup]
    )
    relationships.follow_up_create(
        user=officer, stakeholder=dup2, title="Call", due_date=datetime.date(2026, 2, 1),
        owner=officer,
    )  # fmt: skip
    relationships.stakeholder_owner_set(stakeholder=dup, owner=officer, user=officer)
    # A salience assessment of a duplicate: it moves to the survivor (its outcome's history).
    outcome = Stake.objects.filter(stakeholder=dup).values_list("outcome", flat=True).first()
    relationships.salience_assess(
        user=officer, stakeholder=dup, outcome=Outcome.objects.get(pk=outcome) if outcome
        else OutcomeFactory(), power=2, legitimacy=2, urgency=0,
    )  # fmt: skip


def _references_to(ids) -> dict[str, int]:
    counts = {}
    for model, fks in stakeholder_references():
        for fk in fks:
            rows = model._base_manager.filter(**{f"{fk.attname}__in": ids})
            if model is Stakeholder:
                rows = rows.exclude(pk__in=ids)
            counts[f"{model._meta.label_lower}.{fk.name}"] = rows.count()
    return counts


def _table(model):
    return sorted(model._base_manager.values_list(*[f.attname for f in model._meta.concrete_fields if f.name not in ("updated_at", "created_at", "dismissed_at")]))  # fmt: skip  # noqa: E501


def test_merge_moves_every_reference_and_undo_restores_exactly(
    officer, django_capture_on_commit_callbacks
):
    survivor, dup, dup2, partner, child = _world(officer)
    before_refs = _references_to([dup.pk, dup2.pk])
    # The world has a row for every foreign key to a stakeholder: one added tomorrow fails here
    # until the merge handles it and this world holds a row of it.
    assert all(before_refs.values()), {k: v for k, v in before_refs.items() if not v}
    watched = [Stake, Tie, ExternalIdentifier, EngagementParticipant, PartnershipMember,
               CandidateDismissal, DuplicateDismissal]  # fmt: skip
    tables = {m: _table(m) for m in watched}
    with django_capture_on_commit_callbacks() as callbacks:
        record = stakeholder_merge(
            survivor=survivor, others=[dup, dup2], values={"acronym": dup.pk}, user=officer
        )
    assert callbacks, "the merge announces a registry change on commit"

    assert not any(_references_to([dup.pk, dup2.pk]).values())
    survivor.refresh_from_db()
    assert survivor.acronym == "APMM" and survivor.name == "A.P. Moller - Maersk"
    assert survivor.sectors.count() == 1
    assert sorted(tag.name for tag in survivor.tags.all()) == ["logistics", "shipping"]
    shared = Stake.objects.get(
        stakeholder=survivor, outcome__stakes__stakeholder=survivor, interest=0.9
    )  # noqa: E501
    assert (shared.interest, shared.influence) == (0.9, 0.8)  # the stronger stake kept
    assert Stake.objects.filter(stakeholder=survivor).count() == 2
    funds = Tie.objects.get(from_stakeholder=survivor, to_stakeholder=partner, kind=TieKind.FUNDS)
    assert funds.strength == 0.7
    assert Tie.objects.filter(kind=TieKind.PARTNERS_WITH).count() == 1  # symmetric, combined
    assert not Tie.objects.filter(from_stakeholder=survivor, to_stakeholder=survivor).exists()
    assert ExternalIdentifier.objects.filter(stakeholder=survivor).count() == 1
    assert EngagementParticipant.objects.filter(stakeholder=survivor).count() == 1
    assert not Candidate.objects.exists() and not Coalition.objects.exists()
    assert Stakeholder.objects.get(pk=child.pk).parent_id == survivor.pk
    assert not Stakeholder.objects.filter(pk__in=[dup.pk, dup2.pk]).exists()
    assert Stakeholder.all_objects.get(pk=dup.pk).archived_at is not None
    assert any("stronger" in line for line in record.summary)
    history = Stake.history.filter(stakeholder_id=dup.pk, history_type="-")
    assert history.exists(), "the combined stake's deletion is in the history"
    assert Stakeholder.history.filter(id=dup.pk).first().merged_into_id == survivor.pk

    stakeholder_merge_undo(record=MergeRecord.objects.get(pk=record.pk), user=officer)
    assert {m: _table(m) for m in watched} == tables
    assert _references_to([dup.pk, dup2.pk]) == before_refs | {
        "partnerships.candidate.stakeholder_a": 0,
        "partnerships.candidate.stakeholder_b": 0,
        "partnerships.coalitionmember.stakeholder": 0,
    }  # computed rows come back with the recompute, not from the record
    assert Stakeholder.objects.get(pk=dup.pk).archived_at is None
    survivor.refresh_from_db()
    assert survivor.acronym == "" and survivor.sectors.count() == 0
    assert survivor.tags.count() == 0
    assert sorted(tag.name for tag in Stakeholder.objects.get(pk=dup.pk).tags.all()) == [
        "logistics",
        "shipping",
    ]
    with pytest.raises(ValidationError, match="undone already"):
        stakeholder_merge_undo(record=MergeRecord.objects.get(pk=record.pk), user=officer)


def test_undo_refuses_when_a_moved_row_changed_since(officer):
    survivor, dup = StakeholderFactory(), StakeholderFactory()
    stake = StakeFactory(stakeholder=dup, interest=0.5)
    record = stakeholder_merge(survivor=survivor, others=[dup], values={}, user=officer)
    stake.refresh_from_db()
    stake.stakeholder = StakeholderFactory()
    stake.save()
    with pytest.raises(ValidationError) as refused:
        stakeholder_merge_undo(record=record, user=officer)
    assert "changed since the merge" in str(refused.value)
    assert Stakeholder.all_objects.get(pk=dup.pk).merged_into_id == survivor.pk  # nothing undone


@pytest.mark.parametrize(
    ("case", "field"),
    [("survivor_among_others", "survivor"), ("no_others", "others"), ("archived", "others")],
)
def test_bad_merges_are_refused_with_a_field_error(officer, case, field):
    survivor, other = StakeholderFactory(), StakeholderFactory()
    others = {"survivor_among_others": [survivor, other], "no_others": [], "archived": [other]}
    if case == "archived":
        Stakeholder.objects.filter(pk=other.pk).update(archived_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        stakeholder_merge(survivor=survivor, others=others[case], values={}, user=officer)
    assert field in refused.value.message_dict
    assert not MergeRecord.objects.exists()
    assert Stakeholder.objects.filter(pk=other.pk, merged_into__isnull=True).exists()


def test_a_value_from_outside_the_merge_is_refused(officer):
    survivor, other, stranger = StakeholderFactory(), StakeholderFactory(), StakeholderFactory()
    with pytest.raises(ValidationError) as refused:
        stakeholder_merge(
            survivor=survivor, others=[other], values={"name": stranger.pk}, user=officer
        )  # noqa: E501
    assert "name" in refused.value.message_dict


def test_someone_not_cleared_cannot_merge_a_hidden_record_and_learns_nothing(
    officer, cleared_officer
):
    survivor = StakeholderFactory(name="Relief Mali")
    hidden = StakeholderFactory(name="Relief Mali e.V.", sensitivity=Sensitivity.RESTRICTED)
    missing_pk = max(survivor.pk, hidden.pk) + 100
    refusals = []
    for pk in (hidden.pk, missing_pk):
        with pytest.raises(ValidationError) as refused:
            stakeholder_merge(
                survivor=survivor, others=[Stakeholder(pk=pk)], values={}, user=officer
            )
        refusals.append(refused.value.message_dict)
    assert refusals[0] == refusals[1]  # a hidden record answers as a missing one

    record = stakeholder_merge(survivor=survivor, others=[hidden], values={}, user=cleared_officer)
    survivor.refresh_from_db()
    # The survivor now holds the restricted record's stakes and ties: it is restricted too.
    assert survivor.sensitivity == Sensitivity.RESTRICTED and record.involves_restricted
    with pytest.raises(ValidationError, match="No such merge"):
        stakeholder_merge_undo(record=record, user=officer)
