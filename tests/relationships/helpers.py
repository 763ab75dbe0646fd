import datetime

from relationships import services
from stakeholders.choices import Sensitivity
from tests.stakeholders.factories import StakeholderFactory


def log(user, *stakeholders, **fields):
    """An interaction logged through the service, as a person would."""
    data = {
        "kind": "meeting",
        "date": datetime.date.today() - datetime.timedelta(days=1),
        "notes": "Met about water points\nMore detail.",
        **fields,
    }
    return services.interaction_create(user=user, stakeholders=list(stakeholders), **data)


def hidden_actor(**fields):
    return StakeholderFactory(sensitivity=Sensitivity.RESTRICTED, **fields)
