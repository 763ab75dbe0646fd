import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stakeholders.choices import Capability, Kind, TieKind
from stakeholders.models import Stake, Stakeholder, Tie
from tests.stakeholders.factories import (
    OutcomeFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


class TestStakeValidation:
    @pytest.mark.parametrize("field", ["interest", "influence"])
    @pytest.mark.parametrize("value", [-0.01, 1.2])
    def test_out_of_range_is_refused_naming_the_field(self, field, value):
        stake = StakeFactory.build(
            stakeholder=StakeholderFactory(), outcome=OutcomeFactory(), **{field: value}
        )
        with pytest.raises(ValidationError) as excinfo:
            stake.full_clean()
        assert field in error_fields(excinfo)

    @pytest.mark.parametrize("field", ["interest", "influence"])
    def test_database_refuses_out_of_range_too(self, field):
        stake = StakeFactory.build(
            stakeholder=StakeholderFactory(), outcome=OutcomeFactory(), **{field: 1.5}
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            stake.save()
        assert Stake.objects.count() == 0

    def test_bounds_are_allowed(self):
        stake = StakeFactory.build(
            stakeholder=StakeholderFactory(), outcome=OutcomeFactory(), interest=0, influence=1
        )
        stake.full_clean()

    def test_duplicate_stake_is_refused(self):
        existing = StakeFactory()
        duplicate = Stake(
            stakeholder=existing.stakeholder, outcome=existing.outcome, interest=0.1, influence=0.1
        )
        with pytest.raises(ValidationError) as excinfo:
            duplicate.full_clean()
        assert "already has a stake in this outcome" in str(excinfo.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()
        assert Stake.objects.count() == 1


class TestTieValidation:
    def test_tie_to_oneself_is_refused_naming_the_field(self):
        actor = StakeholderFactory()
        tie = Tie(from_stakeholder=actor, to_stakeholder=actor, kind=TieKind.FUNDS)
        with pytest.raises(ValidationError) as excinfo:
            tie.full_clean()
        assert "to_stakeholder" in error_fields(excinfo)
        with pytest.raises(IntegrityError), transaction.atomic():
            tie.save()
        assert Tie.objects.count() == 0

    def test_reversed_dates_are_refused(self):
        tie = TieFactory.build(
            from_stakeholder=StakeholderFactory(),
            to_stakeholder=StakeholderFactory(),
            start_date=datetime.date(2024, 5, 1),
            end_date=datetime.date(2023, 1, 1),
        )
        with pytest.raises(ValidationError) as excinfo:
            tie.full_clean()
        assert "end_date" in error_fields(excinfo)
        with pytest.raises(IntegrityError), transaction.atomic():
            tie.save()

    def test_strength_out_of_range_is_refused(self):
        tie = TieFactory.build(
            from_stakeholder=StakeholderFactory(), to_stakeholder=StakeholderFactory(), strength=2
        )
        with pytest.raises(ValidationError) as excinfo:
            tie.full_clean()
        assert "strength" in error_fields(excinfo)

    def test_symmetric_tie_cannot_be_recorded_twice_in_reverse(self):
        tie = TieFactory(kind=TieKind.PARTNERS_WITH)
        reverse = Tie(
            from_stakeholder=tie.to_stakeholder,
            to_stakeholder=tie.from_stakeholder,
            kind=TieKind.PARTNERS_WITH,
        )
        with pytest.raises(ValidationError) as excinfo:
            reverse.full_clean()
        assert "kind" in error_fields(excinfo)

    def test_directed_tie_may_go_both_ways(self):
        tie = TieFactory(kind=TieKind.FUNDS)
        Tie(
            from_stakeholder=tie.to_stakeholder, to_stakeholder=tie.from_stakeholder, kind="funds"
        ).full_clean()


class TestStakeholderValidation:
    def test_unknown_country_code_is_refused_naming_the_field(self):
        actor = StakeholderFactory.build(country="XX")
        with pytest.raises(ValidationError) as excinfo:
            actor.full_clean()
        assert "country" in error_fields(excinfo)

    def test_diaspora_group_needs_country_of_origin(self):
        actor = StakeholderFactory.build(kind=Kind.DIASPORA, country="GB")
        with pytest.raises(ValidationError) as excinfo:
            actor.full_clean()
        assert "country_of_origin" in error_fields(excinfo)
        actor.country_of_origin = "SO"
        actor.full_clean()

    def test_only_diaspora_groups_have_a_country_of_origin(self):
        actor = StakeholderFactory.build(kind=Kind.NGO, country_of_origin="SO")
        with pytest.raises(ValidationError) as excinfo:
            actor.full_clean()
        assert "country_of_origin" in error_fields(excinfo)
        with pytest.raises(IntegrityError), transaction.atomic():
            actor.save()

    def test_women_leadership_share_is_a_fraction_or_unknown(self):
        StakeholderFactory.build(women_leadership_share=None).full_clean()
        actor = StakeholderFactory.build(women_leadership_share=1.5)
        with pytest.raises(ValidationError) as excinfo:
            actor.full_clean()
        assert "women_leadership_share" in error_fields(excinfo)


class TestCapabilities:
    def test_round_trip_through_the_database(self):
        toolbox = Capability.LEGAL | Capability.MEDIA_REACH
        actor = StakeholderFactory(capabilities=toolbox)
        actor.refresh_from_db()
        assert actor.capabilities == toolbox
        assert isinstance(actor.capabilities, Capability)
        assert actor.capabilities.labels() == ["Legal", "Media reach"]

    def test_has_lookup_requires_every_bit(self):
        both = StakeholderFactory(capabilities=Capability.LEGAL | Capability.FUNDING)
        StakeholderFactory(capabilities=Capability.LEGAL)
        StakeholderFactory(capabilities=Capability(0))
        assert Stakeholder.objects.filter(capabilities__has=Capability.LEGAL).count() == 2
        assert list(
            Stakeholder.objects.filter(capabilities__has=Capability.LEGAL | Capability.FUNDING)
        ) == [both]

    def test_accepts_names_and_refuses_unknown_ones(self):
        actor = StakeholderFactory.build(capabilities="legal, funding")
        actor.full_clean()
        assert actor.capabilities == Capability.LEGAL | Capability.FUNDING
        actor.capabilities = "legal, teleportation"
        with pytest.raises(ValidationError) as excinfo:
            actor.full_clean()
        assert "capabilities" in error_fields(excinfo)
        assert "teleportation" in str(excinfo.value)

    def test_out_of_range_bit_set_is_refused(self):
        actor = StakeholderFactory.build(capabilities=4096)
        with pytest.raises(ValidationError) as excinfo:
            actor.full_clean()
        assert "capabilities" in error_fields(excinfo)


class TestHistory:
    def test_every_change_is_kept(self):
        actor = StakeholderFactory(name="Before")
        actor.name = "After"
        actor.save()
        assert [record.name for record in actor.history.all()] == ["After", "Before"]
        stake = StakeFactory(stakeholder=actor)
        stake.interest = 0.9
        stake.save()
        assert stake.history.count() == 2
