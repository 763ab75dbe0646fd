import factory

from stakeholders.choices import Capability, Kind, Sensitivity, Theme, TieKind
from stakeholders.models import Outcome, Sector, Stake, Stakeholder, Tie


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:04d}")
    name = factory.Sequence(lambda n: f"Sector {n}")


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = Kind.NGO
    country = "KE"
    capabilities = Capability.FIELD_PRESENCE | Capability.COMMUNITY_TRUST
    sensitivity = Sensitivity.PUBLIC


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    title = factory.Sequence(lambda n: f"Outcome {n}")
    theme = Theme.RECONSTRUCTION
    geography = "Yemen"
    countries = ["YE"]
    needed_capabilities = Capability.FUNDING | Capability.FIELD_PRESENCE


class StakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stake

    stakeholder = factory.SubFactory(StakeholderFactory)
    outcome = factory.SubFactory(OutcomeFactory)
    interest = 0.5
    influence = 0.5


class TieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tie

    from_stakeholder = factory.SubFactory(StakeholderFactory)
    to_stakeholder = factory.SubFactory(StakeholderFactory)
    kind = TieKind.FUNDS
    strength = 0.5
