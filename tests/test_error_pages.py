"""The pages people see when something does not work: inside the app's layout, with a way on."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_a_missing_page_has_the_layout_and_a_way_home(client, analyst):
    login_verified(client, analyst)
    response = client.get("/stakeholders/999999999/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing here" in page and 'class="topbar"' in page
    assert 'name="viewport"' in page and 'href="/"' in page


def test_a_refusal_says_which_role_may(client, analyst):
    login_verified(client, analyst)
    response = client.get(reverse("stakeholders:stakeholder_create"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "not open to your role" in page
    assert "<strong>Program officer</strong>" in page and "records stakeholders" in page
    assert "<strong>Analyst</strong> (you)" in page


def test_an_expired_form_is_explained(analyst):
    client = Client(enforce_csrf_checks=True)
    login_verified(client, analyst)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    assert "The form had expired" in response.content.decode()


def test_a_server_error_page_needs_nothing_that_could_fail(rf):
    from smartdiplomacy.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
