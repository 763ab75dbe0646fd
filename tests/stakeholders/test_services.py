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


# --- the allow-lists: a field a service does not name is refused, by name, before any write ---


def test_stakeholder_create_refuses_a_field_it_does_not_name_and_writes_nothing():
    # The services name each field a caller may set: anything else fails at the call.
    with pytest.raises(TypeError, match="merged_into"):
        services.stakeholder_create(name="Sahel Women's Network", kind=Kind.NGO, merged_into=None)
    assert not Stakeholder.objects.filter(name="Sahel Women's Network").exists()


def test_stakeholder_update_refuses_a_misspelt_field_and_changes_nothing():
    actor = StakeholderFactory(name="Old name")
    with pytest.raises(TypeError, match="contry"):
        services.stakeholder_update(stakeholder=actor, name="New name", contry="KE")
    actor.refresh_from_db()
    assert actor.name == "Old name" and not actor.name_edited


def test_provenance_is_set_when_a_record_is_made_not_on_update():
    actor = services.stakeholder_create(name="Imported actor", kind=Kind.NGO, source="IATI")
    assert actor.source == "IATI"
    with pytest.raises(TypeError, match="source"):
        services.stakeholder_update(stakeholder=actor, source="edited by hand")


def test_outcome_and_tie_services_refuse_fields_they_do_not_allow():
    outcome = OutcomeFactory(title="Kept title")
    with pytest.raises(TypeError, match="created_at"):
        services.outcome_update(outcome=outcome, title="Changed", created_at=None)
    outcome.refresh_from_db()
    assert outcome.title == "Kept title"
    with pytest.raises(TypeError, match="promoted_at"):
        services.outcome_create(title="New outcome", theme=outcome.theme, promoted_at=None)
    a, b = StakeholderFactory(), StakeholderFactory(kind=Kind.FIRM)
    with pytest.raises(TypeError, match="weight"):
        services.tie_create(from_stakeholder=a, to_stakeholder=b, kind="funds", weight=0.5)
    tie = services.tie_create(from_stakeholder=a, to_stakeholder=b, kind="funds", strength=0.4)
    with pytest.raises(TypeError, match="origin"):
        services.tie_update(tie=tie, strength=0.9, origin="import")
    tie.refresh_from_db()
    assert tie.strength == 0.4
