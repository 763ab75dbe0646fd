import pytest
from django.core.exceptions import ValidationError

from stakeholders import services
from stakeholders.choices import IdentifierScheme, Kind
from stakeholders.models import ExternalIdentifier, Stake, Stakeholder
from tests.stakeholders.factories import OutcomeFactory, SectorFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_stakeholder_create_with_sectors_and_identifiers():
    sector = SectorFactory(code="15220", name="Civilian peace-building")
    actor = services.stakeholder_create(
        name="UN Women",
        kind=Kind.IGO,
        sectors=[sector],
        external_ids={IdentifierScheme.IATI_ORG: "XM-DAC-41146"},
    )
    assert list(actor.sectors.all()) == [sector]
    assert actor.external_ids.get().value == "XM-DAC-41146"


def test_failed_identifier_leaves_nothing_half_written():
    existing = StakeholderFactory()
    ExternalIdentifier.objects.create(
        stakeholder=existing, scheme=IdentifierScheme.IATI_ORG, value="GB-GOV-1"
    )
    with pytest.raises(ValidationError):
        services.stakeholder_create(
            name="Duplicate FCDO", kind=Kind.STATE, external_ids={"iati_org": "GB-GOV-1"}
        )
    assert not Stakeholder.objects.filter(name="Duplicate FCDO").exists()


def test_stake_create_refuses_out_of_range_and_writes_nothing():
    actor, outcome = StakeholderFactory(), OutcomeFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.stake_create(stakeholder=actor, outcome=outcome, interest=1.4, influence=0.2)
    assert "interest" in excinfo.value.message_dict
    assert Stake.objects.count() == 0


def test_tie_create_refuses_self_tie():
    actor = StakeholderFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.tie_create(from_stakeholder=actor, to_stakeholder=actor, kind="funds")
    assert "to_stakeholder" in excinfo.value.message_dict


def test_stakeholder_update_validates():
    actor = StakeholderFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.stakeholder_update(stakeholder=actor, country="ZZ")
    assert "country" in excinfo.value.message_dict
    actor.refresh_from_db()
    assert actor.country == "KE"
