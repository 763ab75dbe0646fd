"""An uncleared program officer who logs an interaction naming a hidden actor (a stale link, a
guessed id) gets exactly the answer an id that never existed gets: the same status, the same
error naming the field, and nothing written."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from relationships.models import FollowUp, Interaction
from stakeholders.models import Stakeholder
from tests.conftest import login_verified
from tests.relationships.helpers import hidden_actor
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
FORM = "relationships:interaction_create"
API = "relationships-api:interaction-list"


def _never_existed() -> int:
    return (Stakeholder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _nothing_written():
    return (
        Interaction.objects.count(),
        Interaction.history.count(),
        FollowUp.objects.count(),
        FollowUp.history.count(),
    ) == (0, 0, 0, 0)


def _page(response, unknown: int) -> str:
    """The page with the unknown id named alike, and the per-request CSRF token left out."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return text.replace(f"choice. {unknown} is not", "choice. ID is not")


@pytest.mark.parametrize("with_follow_up", [False, True])
def test_the_form_answers_a_hidden_actor_like_one_that_never_existed(
    client, officer, with_follow_up
):
    actor, secret = StakeholderFactory(name="Relief Mali"), hidden_actor(name="Quiet Trust")
    missing = _never_existed()
    login_verified(client, officer)
    answers = {}
    for name, unknown in (("hidden", secret.pk), ("missing", missing)):
        data = {
            "kind": "call",
            "date": TODAY.isoformat(),
            "stakeholders": [actor.pk, unknown],
            "our_people": [officer.pk],
            "notes": "Talked about the water points",
        }
        if with_follow_up:
            due = (TODAY + datetime.timedelta(days=3)).isoformat()
            data |= {"follow_up_title": "Call back", "follow_up_due": due}
        url = reverse(FORM) + f"?stakeholder={unknown}"
        opened = client.get(url)
        response = client.post(url, data)
        form = response.context["form"]
        errors = {
            field: [message.replace(str(unknown), "ID") for message in messages]
            for field, messages in form.errors.items()
        }
        answers[name] = (
            opened.status_code,
            _page(opened, unknown),
            response.status_code,
            errors,
            _page(response, unknown),
        )
        assert _nothing_written()
    assert answers["hidden"] == answers["missing"]
    status, errors = answers["hidden"][2], answers["hidden"][3]
    assert status == 400 and list(errors) == ["stakeholders"], errors
    assert "Quiet Trust" not in answers["hidden"][4]


def test_the_api_answers_a_hidden_actor_like_one_that_never_existed(officer):
    actor, secret = StakeholderFactory(), hidden_actor()
    missing = _never_existed()
    api = APIClient()
    api.force_authenticate(officer)
    answers = {}
    for name, unknown in (("hidden", secret.pk), ("missing", missing)):
        for stakeholders in ([unknown], [actor.pk, unknown]):
            response = api.post(
                reverse(API),
                {"kind": "call", "date": TODAY.isoformat(), "stakeholders": stakeholders},
                format="json",
            )
            body = response.content.decode().replace(f'\\"{unknown}\\"', "ID")
            body = re.sub(rf"\b{unknown}\b", "ID", body)
            answers.setdefault(name, []).append((response.status_code, body))
            assert _nothing_written()
    assert answers["hidden"] == answers["missing"]
    status, body = answers["hidden"][0]
    assert status == 400 and list(json.loads(body)["error"]["fields"]) == ["stakeholders"], body
