"""Tags on stakeholders and outcomes: folded names, history, bulk edit, and option lists that
never list a tag only hidden actors carry."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from stakeholders.models import Tag
from stakeholders.selectors import tags_visible_to
from stakeholders.services import (
    outcome_update,
    stakeholder_bulk_tag,
    stakeholder_update,
    tags_for_names,
)
from tests.conftest import login_verified
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def tag_names(obj) -> list[str]:
    return sorted(tag.name for tag in obj.tags.all())


def test_tag_names_are_folded_and_too_long_ones_refused_naming_the_field():
    tags = tags_for_names(names=["Sahel", "  sahel ", "Women-led  Coalition", ""])
    assert [tag.name for tag in tags] == ["sahel", "women-led coalition"]
    with pytest.raises(ValidationError) as error:
        tags_for_names(names=["x" * 61])
    assert list(error.value.message_dict) == ["tags"]
    assert Tag.objects.count() == 2


def test_tag_edits_are_kept_in_the_history():
    actor = StakeholderFactory()
    stakeholder_update(stakeholder=actor, tags=["sahel", "donor"])
    stakeholder_update(stakeholder=actor, tags=["sahel"])
    latest, before = actor.history.all()[:2]
    assert sorted(row.tag.name for row in latest.tags.all()) == ["sahel"]
    assert sorted(row.tag.name for row in before.tags.all()) == ["donor", "sahel"]
    outcome = OutcomeFactory()
    outcome_update(outcome=outcome, tags=["Peace"])
    assert tag_names(outcome) == ["peace"]
    assert [row.tag.name for row in outcome.history.first().tags.all()] == ["peace"]


def test_bulk_tag_adds_and_removes_through_the_list(client, officer):
    first, second = StakeholderFactory(name="Alpha"), StakeholderFactory(name="Beta")
    stakeholder_update(stakeholder=second, tags=["donor"])
    login_verified(client, officer)
    url = reverse("stakeholders:stakeholder_bulk")
    ids = [first.pk, second.pk]
    client.post(url, {"bulk-stakeholders": ids, "bulk-action": "tag_add", "bulk-tags": "Sahel"})
    assert (tag_names(first), tag_names(second)) == (["sahel"], ["donor", "sahel"])
    client.post(url, {"bulk-stakeholders": ids, "bulk-action": "tag_remove", "bulk-tags": "donor"})
    assert (tag_names(first), tag_names(second)) == (["sahel"], ["sahel"])
    # No tag named: refused, naming the field; nothing changed.
    response = client.post(
        url, {"bulk-stakeholders": ids, "bulk-action": "tag_add", "bulk-tags": " "}, follow=True
    )
    assert "Tags: Name at least one tag." in response.content.decode()
    with pytest.raises(ValidationError):
        stakeholder_bulk_tag(stakeholders=[first], add=[], remove=[])


@pytest.fixture
def tagged():
    public = StakeholderFactory(name="Relief Mali")
    hidden = StakeholderFactory(name="Kidal Committee", sensitivity="restricted")
    stakeholder_update(stakeholder=public, tags=["sahel"])
    stakeholder_update(stakeholder=hidden, tags=["sahel", "militia watch"])
    outcome_update(outcome=OutcomeFactory(), tags=["peace"])
    return public, hidden


def test_tag_lists_show_only_tags_of_what_the_reader_may_see(
    client, analyst, cleared_analyst, tagged
):
    assert [tag.name for tag in tags_visible_to(analyst)] == ["peace", "sahel"]
    assert [tag.name for tag in tags_visible_to(cleared_analyst)] == [
        "militia watch",
        "peace",
        "sahel",
    ]
    login_verified(client, analyst)
    url = reverse("stakeholders:stakeholder_list")
    page = client.get(url).content.decode()
    assert "sahel" in page and "militia watch" not in page
    # Filtering by the hidden-only tag fails exactly as a tag that does not exist.
    hidden_only = client.get(url + "?tag=militia+watch").context["filterset"].errors["tag"]
    missing = client.get(url + "?tag=no+such+tag").context["filterset"].errors["tag"]
    assert [e.replace("militia watch", "?") for e in hidden_only] == [
        e.replace("no such tag", "?") for e in missing
    ]
    names = [row.name for row in client.get(url + "?tag=sahel").context["stakeholders"]]
    assert names == ["Relief Mali"]


def test_the_admin_tag_widget_lists_no_tag_only_hidden_actors_carry(client, administrator, tagged):
    public, _ = tagged
    login_verified(client, administrator)
    page = client.get(
        reverse("admin:stakeholders_stakeholder_change", args=[public.pk])
    ).content.decode()
    assert "sahel" in page
    assert "militia watch" not in page


def test_the_api_reads_and_writes_tags_and_filters_by_them(analyst, officer, tagged):
    from tests.api.conftest import signed_in

    public, _ = tagged
    client = signed_in(analyst)
    url = reverse("stakeholders-api:stakeholder-list")
    rows = client.get(url, {"tag": "sahel"}).json()["results"]
    assert [(r["name"], r["tags"]) for r in rows] == [("Relief Mali", ["sahel"])]
    # The hidden-only tag is refused exactly as a tag that does not exist.
    hidden_only = client.get(url, {"tag": "militia watch"})
    missing = client.get(url, {"tag": "no such tag"})
    assert hidden_only.status_code == missing.status_code == 400
    assert hidden_only.content.replace(b"militia watch", b"?") == missing.content.replace(
        b"no such tag", b"?"
    )
    outcomes = client.get(reverse("stakeholders-api:outcome-list"), {"tag": "peace"}).json()
    assert [r["tags"] for r in outcomes["results"]] == [["peace"]]

    writer = signed_in(officer)
    detail = reverse("stakeholders-api:stakeholder-detail", args=[public.pk])
    response = writer.patch(detail, {"tags": ["Sahel", "  Donor  "]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == ["donor", "sahel"]
    assert tag_names(public) == ["donor", "sahel"]
    too_long = writer.patch(detail, {"tags": ["x" * 61]}, format="json")
    assert too_long.status_code == 400 and "tags" in str(too_long.json())
    created = writer.post(
        reverse("stakeholders-api:outcome-list"),
        {"title": "Safe water in Gao", "theme": "climate_security", "tags": ["Water"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["tags"] == ["water"]


def test_the_lists_show_a_tags_column(client, analyst, tagged):
    login_verified(client, analyst)
    page = client.get(reverse("stakeholders:stakeholder_list")).content.decode()
    assert '<th scope="col">Tags</th>' in page
    assert 'class="chip tag-chip" href="?tag=sahel"' in page and "militia watch" not in page
    page = client.get(reverse("stakeholders:outcome_list")).content.decode()
    assert '<th scope="col">Tags</th>' in page and ">peace</a>" in page


def test_the_stakeholder_page_history_names_tag_changes(client, analyst):
    actor = StakeholderFactory()
    stakeholder_update(stakeholder=actor, tags=["sahel", "donor"])
    stakeholder_update(stakeholder=actor, tags=["sahel"])
    login_verified(client, analyst)
    page = client.get(actor.get_absolute_url()).content.decode()
    assert "<del>donor, sahel</del> → <ins>sahel</ins>" in page
    assert "'tag':" not in page  # not the link table's raw rows
