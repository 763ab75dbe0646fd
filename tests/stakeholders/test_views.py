"""The registry's pages: every page renders, the restriction rule holds everywhere a reader looks,
permissions per role, query counts that do not grow with rows, sorting, pagination, filters."""

import html
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import PartnerToken
from accounts.services import token_issue
from stakeholders.choices import Capability, Kind, Position, Sensitivity
from stakeholders.models import ExternalIdentifier, ImportJob, Outcome, Stake, Stakeholder, Tie
from stakeholders.services import stakeholder_update
from tests.accounts.factories import UserFactory
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

pytestmark = pytest.mark.django_db

HIDDEN_NAMES = ("Hidden Women's Collective", "Secret Diaspora Network")


def page_text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def mentions_hidden(text: str, *, typed: str = "") -> bool:
    """Does the page name a hidden actor (its name, acronym or identifier)?

    ``typed`` is what the reader searched for: the search box and the links echo it, which
    betrays nothing.
    """
    text = text.replace(typed, "") if typed else text
    return any(name in text or escape(name) in text for name in HIDDEN_NAMES) or any(
        marker in text for marker in ("HWC", "XM-HIDDEN-1", "SDN-9")
    )


@pytest.fixture
def registry():
    public = StakeholderFactory(name="Nairobi Peace Collective", acronym="NPC", country="KE")
    ExternalIdentifier.objects.create(stakeholder=public, scheme="iati_org", value="KE-NPC-1")
    restricted = StakeholderFactory(
        name="Hidden Women's Collective",
        acronym="HWC",
        kind=Kind.WOMENS_GROUP,
        country="YE",
        sensitivity=Sensitivity.RESTRICTED,
    )
    ExternalIdentifier.objects.create(
        stakeholder=restricted, scheme="iati_org", value="XM-HIDDEN-1"
    )
    confidential = StakeholderFactory(
        name="Secret Diaspora Network",
        acronym="SDN-9",
        kind=Kind.DIASPORA,
        country="GB",
        country_of_origin="SY",
        sensitivity=Sensitivity.CONFIDENTIAL,
    )
    other = StakeholderFactory(name="Aden Port Authority", kind=Kind.STATE, country="YE")
    outcome = OutcomeFactory(title="Protection of displaced women")
    stakes = {
        "public": StakeFactory(stakeholder=public, outcome=outcome, interest=0.9, influence=0.8),
        "restricted": StakeFactory(
            stakeholder=restricted, outcome=outcome, interest=0.7, influence=0.2
        ),
        "confidential": StakeFactory(
            stakeholder=confidential,
            outcome=outcome,
            interest=0.2,
            influence=0.9,
            position=Position.OPPOSES,
        ),
    }
    ties = {
        "hidden": TieFactory(from_stakeholder=public, to_stakeholder=restricted),
        "public": TieFactory(from_stakeholder=other, to_stakeholder=public, kind="partners_with"),
    }
    return {
        "public": public,
        "restricted": restricted,
        "confidential": confidential,
        "other": other,
        "outcome": outcome,
        "stakes": stakes,
        "ties": ties,
    }


@pytest.fixture
def cleared_officer(db):
    return UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)


def read_pages(registry):
    public, outcome = registry["public"], registry["outcome"]
    return [
        reverse("stakeholders:stakeholder_list"),
        reverse("stakeholders:stakeholder_export"),
        reverse("stakeholders:stakeholder_detail", args=[public.pk]),
        reverse("stakeholders:outcome_list"),
        reverse("stakeholders:outcome_export"),
        reverse("stakeholders:outcome_detail", args=[outcome.pk]),
    ]


def write_pages(registry):
    public, outcome = registry["public"], registry["outcome"]
    stake, tie = registry["stakes"]["public"], registry["ties"]["public"]
    return [
        reverse("stakeholders:stakeholder_create"),
        reverse("stakeholders:stakeholder_update", args=[public.pk]),
        reverse("stakeholders:stakeholder_delete", args=[public.pk]),
        reverse("stakeholders:stakeholder_stake_add", args=[public.pk]),
        reverse("stakeholders:stakeholder_tie_add", args=[public.pk]),
        reverse("stakeholders:outcome_create"),
        reverse("stakeholders:outcome_update", args=[outcome.pk]),
        reverse("stakeholders:outcome_delete", args=[outcome.pk]),
        reverse("stakeholders:outcome_stake_add", args=[outcome.pk]),
        reverse("stakeholders:stake_update", args=[stake.pk]),
        reverse("stakeholders:stake_delete", args=[stake.pk]),
        reverse("stakeholders:tie_update", args=[tie.pk]),
        reverse("stakeholders:tie_delete", args=[tie.pk]),
    ]


def hidden_object_pages(registry):
    """Every page about a restricted stakeholder or something hanging off it."""
    hidden = registry["restricted"]
    stake, tie = registry["stakes"]["restricted"], registry["ties"]["hidden"]
    return [
        reverse("stakeholders:stakeholder_detail", args=[hidden.pk]),
        reverse("stakeholders:stakeholder_update", args=[hidden.pk]),
        reverse("stakeholders:stakeholder_delete", args=[hidden.pk]),
        reverse("stakeholders:stakeholder_stake_add", args=[hidden.pk]),
        reverse("stakeholders:stakeholder_tie_add", args=[hidden.pk]),
        reverse("stakeholders:stake_update", args=[stake.pk]),
        reverse("stakeholders:stake_delete", args=[stake.pk]),
        reverse("stakeholders:tie_update", args=[tie.pk]),
        reverse("stakeholders:tie_delete", args=[tie.pk]),
    ]


# --- every page renders; anonymous users are sent to log in -------------------------------------


def test_every_read_page_renders_for_an_analyst(client, analyst, registry):
    login_verified(client, analyst)
    for url in read_pages(registry):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not mentions_hidden(page_text(response)), url


def test_every_page_renders_for_an_officer(client, officer, registry):
    login_verified(client, officer)
    for url in read_pages(registry) + write_pages(registry):
        assert client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_log_in(client, registry):
    login = reverse("accounts:login")
    for url in read_pages(registry) + write_pages(registry) + hidden_object_pages(registry):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(login), url


# --- the permission matrix ------------------------------------------------------------------------

ROLE_FIXTURES = ["analyst", "reviewer", "officer", "administrator", "cleared_analyst"]
MAY_WRITE = {"officer": True, "administrator": True}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_permission_matrix(client, registry, role, request):
    user = request.getfixturevalue(role)
    login_verified(client, user)
    for url in read_pages(registry):
        assert client.get(url).status_code == 200, (role, url)
    expected = 200 if MAY_WRITE.get(role) else 403
    for url in write_pages(registry):
        assert client.get(url).status_code == expected, (role, url)
    if expected == 403:
        # Posting is refused as well, and changes nothing.
        before = Stakeholder.objects.count()
        delete = reverse("stakeholders:stakeholder_delete", args=[registry["public"].pk])
        assert client.post(delete).status_code == 403
        assert Stakeholder.objects.count() == before


# --- partner tokens are for the API only: on a page they are nobody -------------------------------


# Each page a partner system could try, by name; built from the test's objects.
TOKEN_CALLER_PAGES = {
    "stakeholder_list": lambda o: reverse("stakeholders:stakeholder_list"),
    "stakeholder_list_search": lambda o: reverse("stakeholders:stakeholder_list") + "?q=Hidden",
    "stakeholder_export": lambda o: reverse("stakeholders:stakeholder_export"),
    "stakeholder_detail_public": lambda o: reverse(
        "stakeholders:stakeholder_detail", args=[o["public"].pk]
    ),
    "stakeholder_detail_restricted": lambda o: reverse(
        "stakeholders:stakeholder_detail", args=[o["restricted"].pk]
    ),
    "stakeholder_create": lambda o: reverse("stakeholders:stakeholder_create"),
    "stakeholder_update": lambda o: reverse(
        "stakeholders:stakeholder_update", args=[o["public"].pk]
    ),
    "stakeholder_delete": lambda o: reverse(
        "stakeholders:stakeholder_delete", args=[o["public"].pk]
    ),
    "stakeholder_tie_add": lambda o: reverse(
        "stakeholders:stakeholder_tie_add", args=[o["public"].pk]
    ),
    "outcome_list": lambda o: reverse("stakeholders:outcome_list"),
    "outcome_export": lambda o: reverse("stakeholders:outcome_export"),
    "outcome_detail": lambda o: reverse("stakeholders:outcome_detail", args=[o["outcome"].pk]),
    "outcome_stake_add": lambda o: reverse(
        "stakeholders:outcome_stake_add", args=[o["outcome"].pk]
    ),
    "stake_update": lambda o: reverse(
        "stakeholders:stake_update", args=[o["stakes"]["restricted"].pk]
    ),
    "tie_delete": lambda o: reverse("stakeholders:tie_delete", args=[o["ties"]["public"].pk]),
    "import_job_list": lambda o: reverse("stakeholder_imports:job_list"),
    "import_job_detail": lambda o: reverse("stakeholder_imports:job_detail", args=[o["job"].pk]),
    "import_job_status": lambda o: reverse("stakeholder_imports:job_status", args=[o["job"].pk]),
    "import_job_apply": lambda o: reverse("stakeholder_imports:job_apply", args=[o["job"].pk]),
    "import_template": lambda o: reverse(
        "stakeholder_imports:template_download", args=["stakeholders"]
    ),
    "token_list": lambda o: reverse("accounts:token_list"),
    "token_issue": lambda o: reverse("accounts:token_issue"),
    "token_revoke": lambda o: reverse("accounts:token_revoke", args=[o["token"].token.pk]),
}


@pytest.fixture
def token_caller(registry, officer):
    """A valid, unexpired partner token, and an import job with rows in it to try to read."""
    token = token_issue(partner="Partner portal", created_by=None)
    job = ImportJob.objects.create(
        created_by=officer,
        kind=ImportJob.Kind.STAKEHOLDERS,
        original_filename="partners-secret-list.csv",
        file="imports/partners-secret-list.csv",
        status=ImportJob.Status.VALIDATED,
        create_count=1,
        report={"samples": {"create": [{"name": "Nairobi Peace Collective"}]}},
    )
    return {**registry, "token": token, "job": job}


def _state_of_the_registry() -> tuple:
    return (
        Stakeholder.objects.count(),
        Stake.objects.count(),
        Tie.objects.count(),
        Outcome.objects.count(),
        PartnerToken.objects.filter(revoked_at__isnull=True).count(),
        ImportJob.objects.filter(status=ImportJob.Status.VALIDATED).count(),
    )


@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", list(TOKEN_CALLER_PAGES))
def test_a_partner_token_on_a_page_gets_the_login_redirect_never_data(
    client, token_caller, page, method, keyword
):
    """Pages authenticate by session only: a token (valid, read scope) is as good as nothing."""
    url = TOKEN_CALLER_PAGES[page](token_caller)
    before = _state_of_the_registry()
    response = getattr(client, method)(
        url,
        {"name": "Injected"} if method == "post" else None,
        headers={"Authorization": f"{keyword} {token_caller['token'].plaintext}"},
    )
    assert (response.status_code, response["Location"].split("?")[0]) == (
        302,
        reverse("accounts:login"),
    )
    assert page_text(response) == ""
    assert _state_of_the_registry() == before


@pytest.mark.parametrize("role", ["analyst", "reviewer", "officer", "administrator"])
def test_hidden_objects_are_404_for_uncleared_users_whatever_their_role(
    client, registry, role, request
):
    login_verified(client, request.getfixturevalue(role))
    for url in hidden_object_pages(registry):
        assert client.get(url).status_code == 404, (role, url)
        assert client.post(url, {"name": "x"}).status_code == 404, (role, url)
    assert Stakeholder.objects.filter(pk=registry["restricted"].pk).exists()


def test_a_hidden_object_looks_exactly_like_a_missing_one(client, analyst, registry):
    login_verified(client, analyst)
    hidden = client.get(
        reverse("stakeholders:stakeholder_detail", args=[registry["restricted"].pk])
    )
    missing = client.get(reverse("stakeholders:stakeholder_detail", args=[999999]))
    assert hidden.status_code == missing.status_code == 404

    def page(response):  # the log-out form's CSRF token is masked afresh on every page
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)

    assert page(hidden) == page(missing)


def test_cleared_users_reach_hidden_objects(client, registry, cleared_analyst, cleared_officer):
    login_verified(client, cleared_analyst)
    detail = reverse("stakeholders:stakeholder_detail", args=[registry["restricted"].pk])
    assert client.get(detail).status_code == 200
    assert client.get(hidden_object_pages(registry)[1]).status_code == 403
    login_verified(client, cleared_officer)
    for url in hidden_object_pages(registry):
        assert client.get(url).status_code == 200, url


# --- the restriction rule, wherever a reader looks ------------------------------------------------


def list_names(client, **params):
    response = client.get(reverse("stakeholders:stakeholder_list"), params)
    assert response.status_code == 200
    return [stakeholder.name for stakeholder in response.context["stakeholders"]], response


def test_uncleared_list_never_shows_or_counts_hidden_actors(client, analyst, registry):
    login_verified(client, analyst)
    names, response = list_names(client)
    assert names == ["Aden Port Authority", "Nairobi Peace Collective"]
    assert response.context["page_obj"].paginator.count == 2
    text = page_text(response)
    assert "2 stakeholders" in text
    assert not mentions_hidden(text)
    assert "Sensitivity" not in text  # neither column nor filter
    assert "hidden actor" not in text.lower()
    assert "restricted" not in text.lower()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Hidden"},
        {"q": "HWC"},
        {"q": "XM-HIDDEN-1"},
        {"q": "Secret"},
        {"kind": "womens_group"},
        {"kind": "diaspora"},
        {"country": "GB"},
        {"sensitivity": "restricted"},
        {"outcome": "OUTCOME"},
        {"capability": "field_presence", "country": "YE"},
    ],
)
def test_search_and_filters_never_find_hidden_actors(client, analyst, registry, params):
    params = {
        key: (str(registry["outcome"].pk) if value == "OUTCOME" else value)
        for key, value in params.items()
    }
    login_verified(client, analyst)
    names, response = list_names(client, **params)
    assert not set(names) & set(HIDDEN_NAMES)
    assert not mentions_hidden(page_text(response), typed=params.get("q", ""))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "Hidden"}, {"Hidden Women's Collective"}),
        ({"q": "hwc"}, {"Hidden Women's Collective"}),
        ({"q": "XM-HIDDEN-1"}, {"Hidden Women's Collective"}),
        ({"kind": "diaspora"}, {"Secret Diaspora Network"}),
        ({"sensitivity": "confidential"}, {"Secret Diaspora Network"}),
        ({"sensitivity": ["restricted", "confidential"]}, set(HIDDEN_NAMES)),
    ],
)
def test_cleared_users_find_hidden_actors(client, cleared_analyst, registry, params, expected):
    login_verified(client, cleared_analyst)
    names, response = list_names(client, **params)
    assert set(names) == expected
    assert "Sensitivity" in page_text(response)


def test_outcome_list_counts_only_visible_stakes(client, analyst, cleared_analyst, registry):
    login_verified(client, analyst)
    response = client.get(reverse("stakeholders:outcome_list"))
    (outcome,) = response.context["outcomes"]
    assert (outcome.stake_count, outcome.supporters, outcome.opposers) == (1, 1, 0)
    login_verified(client, cleared_analyst)
    (outcome,) = client.get(reverse("stakeholders:outcome_list")).context["outcomes"]
    assert (outcome.stake_count, outcome.supporters, outcome.opposers) == (3, 2, 1)


def test_outcome_grid_shows_only_visible_stakeholders(client, analyst, cleared_analyst, registry):
    url = reverse("stakeholders:outcome_detail", args=[registry["outcome"].pk])
    login_verified(client, analyst)
    response = client.get(url)
    text = page_text(response)
    assert len(response.context["grid"]["points"]) == 1
    assert text.count('class="pt ') == 1
    assert "Nairobi Peace Collective" in text
    assert not mentions_hidden(text)
    assert "1 stakeholder" in text
    columns = {column["key"]: len(column["stakes"]) for column in response.context["positions"]}
    assert columns == {"supports": 1, "neutral": 0, "opposes": 0}
    login_verified(client, cleared_analyst)
    response = client.get(url)
    assert page_text(response).count('class="pt ') == 3
    quadrants = {
        entry["quadrant"].key: [stake.stakeholder.name for stake in entry["stakes"]]
        for entry in response.context["grid"]["quadrants"]
    }
    assert quadrants == {
        "manage_closely": ["Nairobi Peace Collective"],
        "keep_satisfied": ["Secret Diaspora Network"],
        "keep_informed": ["Hidden Women's Collective"],
        "monitor": [],
    }
    # On the drawing, each dot sits inside the rectangle of the quadrant it is listed under:
    # keep satisfied (high influence, low interest) top left, keep informed bottom right.
    page = response.content.decode()
    boxes = {
        key: tuple(float(v) for v in dims)
        for key, *dims in re.findall(
            r'class="q q-(\w+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', page
        )
    }
    dots = re.findall(
        r'aria-label="([^":]+): interest[^"]*">\s*<circle[^>]* cx="([\d.]+)" cy="([\d.]+)"', page
    )
    assert len(dots) == 3
    for name, cx, cy in dots:
        (key,) = [key for key, names in quadrants.items() if html.unescape(name) in names]
        x, y, width, height = boxes[key]
        assert x <= float(cx) <= x + width and y <= float(cy) <= y + height, (name, key)
    assert boxes["keep_satisfied"][:2] == (boxes["monitor"][0], boxes["manage_closely"][1])
    assert boxes["keep_satisfied"][0] < boxes["manage_closely"][0]
    assert boxes["keep_satisfied"][1] < boxes["monitor"][1]


def test_outcome_stake_chooser_offers_only_visible_stakeholders(client, officer, registry):
    login_verified(client, officer)
    response = client.get(reverse("stakeholders:outcome_detail", args=[registry["outcome"].pk]))
    choices = {label for _, label in response.context["stake_form"].fields["stakeholder"].choices}
    assert "Nairobi Peace Collective (NPC)" in choices
    assert not mentions_hidden(page_text(response))


def test_detail_shows_ties_both_ways_but_not_to_hidden_actors(
    client, analyst, cleared_analyst, registry
):
    url = reverse("stakeholders:stakeholder_detail", args=[registry["public"].pk])
    login_verified(client, analyst)
    response = client.get(url)
    rows = response.context["ties"]
    assert [(row["other"].name, row["outgoing"]) for row in rows] == [
        ("Aden Port Authority", False)
    ]
    text = page_text(response)
    assert "Aden Port Authority</a> partners with this" in text
    assert not mentions_hidden(text)
    login_verified(client, cleared_analyst)
    rows = client.get(url).context["ties"]
    assert {(row["other"].name, row["outgoing"]) for row in rows} == {
        ("Aden Port Authority", False),
        ("Hidden Women's Collective", True),
    }


def test_detail_hides_a_hidden_parent_and_hidden_children(client, analyst, registry):
    public, hidden = registry["public"], registry["restricted"]
    child_of_hidden = StakeholderFactory(name="Country office", parent=hidden)
    StakeholderFactory(
        name="Secret Diaspora Network branch", parent=public, sensitivity=Sensitivity.RESTRICTED
    )
    visible_child = StakeholderFactory(name="Mombasa branch", parent=public)
    login_verified(client, analyst)
    text = page_text(
        client.get(reverse("stakeholders:stakeholder_detail", args=[child_of_hidden.pk]))
    )
    assert "Part of" not in text
    assert not mentions_hidden(text)
    response = client.get(reverse("stakeholders:stakeholder_detail", args=[public.pk]))
    assert [child.name for child in response.context["children"]] == [visible_child.name]
    assert "branch</a>" in page_text(response)
    assert not mentions_hidden(page_text(response))


def test_detail_shows_change_history_with_who_and_what(client, officer, registry):
    public = registry["public"]
    login_verified(client, officer)
    data = {
        "name": "Nairobi Peace and Justice Collective",
        "acronym": "NPC",
        "kind": "ngo",
        "sensitivity": "public",
        "country": "KE",
        "scope": "national",
        "capabilities": ["2", "512"],
        "digital_presence": "0",
        "women_leadership_share": "0.5",
        "external_id_iati_org": "KE-NPC-1",
    }
    response = client.post(reverse("stakeholders:stakeholder_update", args=[public.pk]), data)
    assert response.status_code == 302
    response = client.get(reverse("stakeholders:stakeholder_detail", args=[public.pk]))
    latest = response.context["history"][0]
    assert latest["who"] == officer
    changed = {change["label"]: (change["old"], change["new"]) for change in latest["changes"]}
    assert changed["Name"] == ("Nairobi Peace Collective", "Nairobi Peace and Justice Collective")
    assert changed["Share of women in leadership"] == ("—", "0.5")
    text = page_text(response)
    assert "Change history" in text
    assert str(officer) in text


def test_history_never_shows_a_time_when_the_actor_was_hidden(
    client, analyst, cleared_analyst, registry
):
    hidden = registry["restricted"]
    stakeholder_update(stakeholder=hidden, sensitivity=Sensitivity.PUBLIC)
    url = reverse("stakeholders:stakeholder_detail", args=[hidden.pk])
    login_verified(client, analyst)
    response = client.get(url)
    assert len(response.context["history"]) == 1
    assert "Restricted" not in page_text(response)
    login_verified(client, cleared_analyst)
    latest = client.get(url).context["history"][0]
    assert {"label": "Sensitivity", "old": "Restricted", "new": "Public"} in latest["changes"]


def test_placeholders_for_candidates_and_scores_say_when_they_appear(client, analyst, registry):
    login_verified(client, analyst)
    text = page_text(
        client.get(reverse("stakeholders:stakeholder_detail", args=[registry["public"].pk]))
    )
    assert "Candidate partnerships" in text and "No candidate partnerships" in text
    assert "Engagements and index scores" in text and "No engagement recorded yet" in text
    text = page_text(
        client.get(reverse("stakeholders:outcome_detail", args=[registry["outcome"].pk]))
    )
    assert "Best candidate pairs" in text


def test_buttons_appear_only_for_those_who_may_use_them(client, analyst, officer, registry):
    login_verified(client, analyst)
    text = page_text(client.get(reverse("stakeholders:stakeholder_list")))
    assert "New stakeholder" not in text and "Export CSV" in text
    detail = reverse("stakeholders:stakeholder_detail", args=[registry["public"].pk])
    response = client.get(detail)
    assert "stake_form" not in response.context
    assert "Add a tie" not in page_text(response)
    login_verified(client, officer)
    assert "New stakeholder" in page_text(client.get(reverse("stakeholders:stakeholder_list")))
    response = client.get(detail)
    assert "stake_form" in response.context
    assert "Add a tie" in page_text(response)


# --- sorting, pagination, filters ---------------------------------------------------------------


def test_sorting_by_each_column_and_direction(client, analyst):
    StakeholderFactory(name="Beta", kind=Kind.STATE, country="FR")
    StakeholderFactory(name="Alpha", kind=Kind.NGO, country="ZA")
    StakeholderFactory(name="Gamma", kind=Kind.FIRM, country="AR")
    login_verified(client, analyst)
    assert list_names(client)[0] == ["Alpha", "Beta", "Gamma"]
    assert list_names(client, ordering="-name")[0] == ["Gamma", "Beta", "Alpha"]
    assert list_names(client, ordering="kind")[0] == ["Gamma", "Alpha", "Beta"]
    assert list_names(client, ordering="-country")[0] == ["Alpha", "Beta", "Gamma"]
    text = page_text(list_names(client, ordering="name")[1])
    assert 'aria-sort="ascending"' in text
    assert "?ordering=-name" in text


def test_pagination_keeps_filters_and_counts_all_rows(client, analyst):
    for index in range(120):
        StakeholderFactory(name=f"Actor {index:03d}", kind=Kind.NGO)
    StakeholderFactory(name="A state", kind=Kind.STATE)
    login_verified(client, analyst)
    names, response = list_names(client, kind="ngo")
    assert len(names) == 50 and names[0] == "Actor 000"
    assert response.context["page_obj"].paginator.count == 120
    text = page_text(response)
    assert "120 stakeholders match" in text
    assert "?kind=ngo&amp;page=2" in text
    names, response = list_names(client, kind="ngo", page=3)
    assert names == [f"Actor {index:03d}" for index in range(100, 120)]
    assert list_names(client, kind="ngo", page=99)[0] == names  # past the end: the last page


def test_export_link_carries_the_current_filters(client, analyst):
    login_verified(client, analyst)
    _, response = list_names(client, kind="ngo", q="peace", page=2)
    export = reverse("stakeholders:stakeholder_export")
    assert f"{export}?kind=ngo&amp;q=peace" in page_text(response)


@pytest.fixture
def filterable(db):
    water = SectorFactory(code="14030", name="Basic drinking water")
    peace = SectorFactory(code="15220", name="Civilian peace-building")
    outcome = OutcomeFactory(title="Water in the Sahel")
    rows = {
        "mali_ngo": StakeholderFactory(
            name="Mali NGO", kind=Kind.NGO, country="ML", capabilities=Capability.FIELD_PRESENCE
        ),
        "kenya_firm": StakeholderFactory(
            name="Kenya Firm",
            kind=Kind.FIRM,
            country="KE",
            capabilities=Capability.FUNDING | Capability.TECHNOLOGY,
        ),
        "french_state": StakeholderFactory(
            name="French State",
            kind=Kind.STATE,
            country="FR",
            capabilities=Capability.FUNDING | Capability.LEGAL,
        ),
    }
    rows["mali_ngo"].sectors.set([water, peace])
    rows["kenya_firm"].sectors.set([water])
    StakeFactory(stakeholder=rows["kenya_firm"], outcome=outcome)
    StakeFactory(stakeholder=rows["french_state"], outcome=outcome)
    return {"outcome": outcome}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "ngo"}, ["Mali NGO"]),
        ({"kind": ["ngo", "firm"]}, ["Kenya Firm", "Mali NGO"]),
        ({"country": "KE"}, ["Kenya Firm"]),
        ({"region": "Western Africa"}, ["Mali NGO"]),
        ({"region": "Western Europe"}, ["French State"]),
        pytest.param({"sector": "14030"}, ["Kenya Firm", "Mali NGO"]),
        pytest.param({"sector": "15220"}, ["Mali NGO"]),
        ({"capability": "funding"}, ["French State", "Kenya Firm"]),
        ({"capability": ["funding", "legal"]}, ["French State"]),
        ({"outcome": "OUTCOME"}, ["French State", "Kenya Firm"]),
        ({"outcome": "OUTCOME", "kind": "firm"}, ["Kenya Firm"]),
    ],
)
def test_filters_return_the_right_rows(client, analyst, filterable, params, expected):
    params = {
        key: (str(filterable["outcome"].pk) if value == "OUTCOME" else value)
        for key, value in params.items()
    }
    login_verified(client, analyst)
    assert list_names(client, **params)[0] == expected


def test_outcome_list_search_filter_and_sort(client, analyst):
    OutcomeFactory(title="Cholera in Yemen", theme="health_security", countries=["YE"])
    OutcomeFactory(title="Sahel displacement", theme="displacement", countries=["ML", "NE"])
    login_verified(client, analyst)
    url = reverse("stakeholders:outcome_list")

    def titles(**params):
        return [outcome.title for outcome in client.get(url, params).context["outcomes"]]

    assert titles() == ["Cholera in Yemen", "Sahel displacement"]
    assert titles(ordering="-title") == ["Sahel displacement", "Cholera in Yemen"]
    assert titles(q="cholera") == ["Cholera in Yemen"]
    assert titles(theme="displacement") == ["Sahel displacement"]
    assert titles(country="NE") == ["Sahel displacement"]


# --- query counts: the same for 5 rows as for 50 -------------------------------------------------


def build_registry(rows: int):
    sector = SectorFactory(code="15220")
    outcome = OutcomeFactory(title="Counted outcome")
    hub = StakeholderFactory(name="Hub")
    for index in range(rows):
        actor = StakeholderFactory(
            kind=list(Kind)[index % len(Kind)],
            sensitivity=Sensitivity.RESTRICTED if index % 4 == 0 else Sensitivity.PUBLIC,
        )
        actor.sectors.set([sector])
        StakeFactory(stakeholder=actor, outcome=outcome, interest=(index % 10) / 10)
        StakeFactory(stakeholder=hub, outcome=OutcomeFactory())
        TieFactory(from_stakeholder=hub, to_stakeholder=actor)
        TieFactory(from_stakeholder=actor, to_stakeholder=hub, kind="partners_with")
    return hub, outcome


# Each page: session, user, the user's own and its groups' permissions (clearance), then:
QUERY_COUNTS = {
    # count, page of rows, outcome choices of the filter, sector choices of the filter
    # +2: the reader's page size and columns for the list, and their saved views of it
    # +1: the "Source" filter's counts by origin; +1: the tag choices of the filter; +1: the
    # page's tags (the Tags column); +1: the "Publisher" filter's publishers with their counts
    "stakeholder_list": 14,
    # count, page of rows with visible stake counts; +2 as above; +1 the counts by origin, +1
    # the machine-made outcomes left out, +1 the sector choices of the filter, +1 the tag choices,
    # +1 the page's tags (the Tags column)
    "outcome_list": 13,
    # stakeholder with parent, sectors, identifiers, history, history's sectors and tags, children,
    # stakes with outcomes, ties with both ends
    # +1: its candidate partnerships; +3: the current methodology, its engagements with their
    # scores, and their averages; +1: its tags
    # +10: the relationships panel: its owner, open follow-ups, and the timeline (interactions,
    # stake history, ties begun, ties ended, methodology, engagements, partnership steps, and the
    # reader's roles, which say which partnerships they may see)
    # +1: its salience by outcome (relationships panel); +1: the tag names of its history
    "stakeholder_detail": 29,
    # outcome with visible stake counts, visible stakes with stakeholders
    # +1: its best candidate pairs; +1: how its coalitions were computed (none here); +1 its tags
    # +2: its interactions (relationships panel), and the reader's roles (visible partnerships)
    # +2: its salience assessments (read once for the side and the lists), its stake history
    # (the chart of support and opposition); +1 when someone moved: their names
    "outcome_detail": 13,
}
# Those who may add stakes get the add-a-stake form; its picker fetches choices as one types, so
# the page reads none of them.
STAKE_FORM_QUERIES = {"stakeholder_detail": 0, "outcome_detail": 0}


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize("user_fixture", ["officer", "cleared_analyst", "analyst"])
def test_query_counts_do_not_grow_with_rows(
    client, django_assert_num_queries, rows, user_fixture, request
):
    hub, outcome = build_registry(rows)
    login_verified(client, request.getfixturevalue(user_fixture))
    pages = {
        "stakeholder_list": reverse("stakeholders:stakeholder_list") + "?ordering=kind",
        "outcome_list": reverse("stakeholders:outcome_list"),
        "stakeholder_detail": reverse("stakeholders:stakeholder_detail", args=[hub.pk]),
        "outcome_detail": reverse("stakeholders:outcome_detail", args=[outcome.pk]),
    }
    may_add_stakes = user_fixture == "officer"
    for name, url in pages.items():
        expected = QUERY_COUNTS[name] + (STAKE_FORM_QUERIES.get(name, 0) if may_add_stakes else 0)
        # A cleared person's session also reads the device it passed the second factor with.
        expected += 1 if user_fixture == "cleared_analyst" else 0
        with django_assert_num_queries(expected):
            response = client.get(url)
            assert response.status_code == 200


def test_the_pickers_search_offers_only_what_the_reader_may_see(client, analyst, cleared_analyst):
    StakeholderFactory(name="Water Shelter Collective", sensitivity=Sensitivity.RESTRICTED)
    StakeholderFactory(name="Niger Water Authority", acronym="NWA", kind=Kind.STATE)
    OutcomeFactory(title="Water security in the Sahel")
    url = reverse("stakeholders:stakeholder_search")
    login_verified(client, analyst)
    names = [row["name"] for row in client.get(url, {"q": "water"}).json()["results"]]
    assert names == ["Niger Water Authority"]
    assert client.get(url, {"q": "NWA"}).json()["results"][0]["label"].startswith("NWA")
    assert client.get(url, {"q": "w"}).json()["results"] == []  # two characters at least
    outcomes = client.get(reverse("stakeholders:outcome_search"), {"q": "sahel"}).json()
    assert [row["name"] for row in outcomes["results"]] == ["Water security in the Sahel"]
    login_verified(client, cleared_analyst)
    names = [row["name"] for row in client.get(url, {"q": "water"}).json()["results"]]
    assert names == ["Water Shelter Collective", "Niger Water Authority"]  # starting with it first
