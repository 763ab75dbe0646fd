import datetime

import factory

from index.models import Engagement, EngagementParticipant


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engagement

    title = factory.Sequence(lambda n: f"Engagement {n}")
    kind = Engagement.Kind.MEETING
    start_date = datetime.date(2026, 3, 10)
    country = "YE"


class EngagementParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementParticipant

    engagement = factory.SubFactory(EngagementFactory)
    stakeholder = factory.SubFactory("tests.stakeholders.factories.StakeholderFactory")
    role = EngagementParticipant.Role.PARTICIPANT
