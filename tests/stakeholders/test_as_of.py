"""The registry as recorded on a past day, and the diff between two days (issue 18, part B).

One scripted scenario over five days, written through the services with the clock set to each
day: what the stakeholder and outcome pages showed on each day is kept, and the pages ``as_of``
that day must show exactly that — for a cleared reader. For someone not cleared, an actor
restricted since is absent from every past view (page, CSV, API), also from the days it was
public.
"""

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.urls import reverse

from stakeholders import services
from stakeholders.choices import Kind, Position, Sensitivity, Theme, TieKind
from stakeholders.models import Stakeholder
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

DAYS = [datetime.date(2026, 11, d) for d in (2, 3, 4, 5, 6)]
TODAY = datetime.datetime(2026, 11, 9, 12, tzinfo=datetime.UTC)


def _at(day: datetime.date):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC), tick=False
    )


def _page_facts(context) -> dict:
    """What a stakeholder page (today's or as of a day) shows: its fields, stakes and ties."""
    actor = context["stakeholder"]
    stakes = {
        (row["outcome"].title if isinstance(row, dict) else row.outcome.title): (
            (row["stake"] if isinstance(row, dict) else row).interest,
            (row["stake"] if isinstance(row, dict) else row).position,
        )
        for row in context["stakes"]
    }
    ties = {(row["other"].name, row["tie"].kind, row["tie"].end_date) for row in context["ties"]}
    return {"name": actor.name, "kind": actor.kind, "stakes": stakes, "ties": ties}


def _outcome_facts(context) -> dict:
    return {
        "title": context["outcome"].title,
        "stakes": sorted(
            (stake.stakeholder.name, stake.interest, stake.position) for stake in context["stakes"]
        ),
    }


@pytest.fixture
def scenario(client, analyst, cleared_analyst):
    """Five days of a small registry, with what each reader's pages showed on each day."""
    shown: dict = {"cleared": {}, "analyst": {}, "outcome": {}}
    readers = {
        "cleared": login_verified(type(client)(), cleared_analyst),
        "analyst": login_verified(type(client)(), analyst),
    }
    world: dict = {}

    def look(day):
        for name, reader in readers.items():
            page = reader.get(reverse("stakeholders:stakeholder_detail", args=[world["a"].pk]))
            shown[name][day] = _page_facts(page.context)
        page = readers["cleared"].get(
            reverse("stakeholders:outcome_detail", args=[world["water"].pk])
        )
        shown["outcome"][day] = _outcome_facts(page.context)

    with _at(DAYS[0]):  # created
        world["a"] = services.stakeholder_create(name="Sahel Relief", kind=Kind.NGO, country="ML")
        world["b"] = services.stakeholder_create(name="Bamako Fund", kind=Kind.FOUNDATION)
        world["c"] = services.stakeholder_create(name="Gao Women", kind=Kind.WOMENS_GROUP)
        world["water"] = services.outcome_create(title="Water in Gao", theme=Theme.RECONSTRUCTION)
        world["stake"] = services.stake_create(
            stakeholder=world["a"], outcome=world["water"], interest=0.4, influence=0.5
        )
        services.stake_create(
            stakeholder=world["c"], outcome=world["water"], interest=0.9, influence=0.3
        )
        world["ab"] = services.tie_create(
            from_stakeholder=world["b"], to_stakeholder=world["a"], kind=TieKind.FUNDS
        )
        services.tie_create(
            from_stakeholder=world["a"], to_stakeholder=world["c"], kind=TieKind.PARTNERS_WITH
        )
        look(DAYS[0])
    with _at(DAYS[1]):  # changed
        services.stakeholder_update(stakeholder=world["a"], name="Sahel Relief Network")
        services.stake_update(stake=world["stake"], interest=0.8, position=Position.OPPOSES)
        look(DAYS[1])
    with _at(DAYS[2]):  # a public actor restricted
        services.stakeholder_update(stakeholder=world["c"], sensitivity=Sensitivity.RESTRICTED)
        look(DAYS[2])
    with _at(DAYS[3]):  # a tie ended that day
        services.tie_update(tie=world["ab"], end_date=DAYS[3])
        look(DAYS[3])
    with _at(DAYS[4]):
        look(DAYS[4])
    return world, shown, readers


def _as_of(reader, name, pk, day):
    return reader.get(reverse(name, args=[pk]), {"as_of": day.isoformat()})


def test_as_of_each_day_is_what_the_pages_showed_that_day(scenario):
    world, shown, readers = scenario
    with time_machine.travel(TODAY, tick=False):
        for day in DAYS:
            page = _as_of(readers["cleared"], "stakeholders:stakeholder_detail", world["a"].pk, day)
            assert page.status_code == 200
            facts = _page_facts(page.context)
            if day == DAYS[4]:
                # The tie ended on the 5th: the page of the 6th still listed it (with its end),
                # as of the 6th it no longer held.
                expected = {t for t in shown["cleared"][day]["ties"] if t[2] is None}
                assert facts["ties"] == expected
                facts["ties"] = shown["cleared"][day]["ties"]
            assert facts == shown["cleared"][day], day
            page = _as_of(readers["cleared"], "stakeholders:outcome_detail", world["water"].pk, day)
            assert _outcome_facts(page.context) == shown["outcome"][day], day
        body = _as_of(
            readers["cleared"], "stakeholders:stakeholder_detail", world["a"].pk, DAYS[0]
        ).content.decode()
        assert "As recorded on 2 November 2026" in body
        assert "back to today" in body
        assert 'name="as_of"' in body


def test_an_actor_restricted_since_is_absent_from_every_past_view(scenario):
    world, shown, readers = scenario
    analyst = readers["analyst"]
    # On the 2nd and 3rd the analyst saw the women's group and its tie ...
    assert ("Gao Women", TieKind.PARTNERS_WITH, None) in shown["analyst"][DAYS[0]]["ties"]
    with time_machine.travel(TODAY, tick=False):
        for day in DAYS:
            page = _as_of(analyst, "stakeholders:stakeholder_detail", world["a"].pk, day)
            facts = _page_facts(page.context)
            # ... as of any day, today, it never existed for them.
            assert all(name != "Gao Women" for name, _, _ in facts["ties"])
            assert "Gao Women" not in page.content.decode()
            page = _as_of(analyst, "stakeholders:outcome_detail", world["water"].pk, day)
            assert "Gao Women" not in page.content.decode()
            assert [s[0] for s in _outcome_facts(page.context)["stakes"]] == [
                "Sahel Relief Network" if day >= DAYS[1] else "Sahel Relief"
            ]
            # Its own past page answers exactly like a missing id.
            hidden = _as_of(analyst, "stakeholders:stakeholder_detail", world["c"].pk, day)
            missing = _as_of(analyst, "stakeholders:stakeholder_detail", 987654, day)
            assert hidden.status_code == missing.status_code == 404
            token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
            assert token.sub(b"", hidden.content.replace(str(world["c"].pk).encode(), b"ID")) == (
                token.sub(b"", missing.content.replace(b"987654", b"ID"))
            )
        for what, kwargs in (
            ("page", {}),
            ("csv", {}),
        ):
            url = reverse(
                "stakeholders:registry_diff"
                if what == "page"
                else "stakeholders:registry_diff_export"
            )
            body = analyst.get(url, {"from": "2026-11-01", "to": "2026-11-06", **kwargs})
            text = b"".join(body.streaming_content) if body.streaming else body.content
            assert body.status_code == 200
            assert b"Gao Women" not in text
        api = analyst.get("/api/v1/registry/diff/", {"from": "2026-11-01", "to": "2026-11-06"})
        assert api.status_code == 200
        assert "Gao Women" not in api.content.decode()
        assert api.json()["counts"]["stakeholder"]["added"] == 2
        hidden = analyst.get("/api/v1/registry/diff/", {"stakeholder": world["c"].pk})
        assert hidden.json()["error"]["fields"] == {"stakeholder": ["No such stakeholder."]}


def test_dates_before_the_record_existed_invalid_and_future(scenario):
    world, _, readers = scenario
    reader = readers["cleared"]
    with time_machine.travel(TODAY, tick=False):
        url = reverse("stakeholders:stakeholder_detail", args=[world["a"].pk])
        before = reader.get(url, {"as_of": "2026-11-01"})
        assert before.status_code == 404
        assert "Not recorded on 1 November 2026" in before.content.decode()
        wrong = reader.get(url, {"as_of": "2 Nov"})
        assert wrong.status_code == 400
        assert "is not a date: give it as YYYY-MM-DD" in wrong.content.decode()
        future = reader.get(url, {"as_of": "2026-11-10"})
        assert future.status_code == 400
        assert "is in the future" in future.content.decode()
        api = reader.get("/api/v1/registry/diff/", {"from": "2026-11-08", "to": "2026-11-02"})
        assert api.status_code == 400
        assert "from" in api.json()["error"]["fields"]


def _as_of_form(body: str, page: str) -> str:
    """The page's "as recorded on" form, with what differs by design (the page it goes to, the
    day shown, the record the diff link is filtered to) named alike."""
    forms = re.findall(r'<form[^>]*class="as-of-form[^"]*".*?</form>', body, flags=re.S)
    assert len(forms) == 1, forms
    form = forms[0].replace(page, "PAGE")
    form = re.sub(r'class="as-of-form[^"]*"', 'class="as-of-form"', form)
    form = re.sub(r' value="2026-11-0\d"', "", form)
    form = re.sub(r"\?(stakeholder|outcome)=\d+", "?RECORD", form)
    return re.sub(r"\s+", " ", form)


def test_one_as_recorded_on_form_on_every_page_that_offers_it(scenario):
    world, _, readers = scenario
    reader = readers["cleared"]
    actor = reverse("stakeholders:stakeholder_detail", args=[world["a"].pk])
    outcome = reverse("stakeholders:outcome_detail", args=[world["water"].pk])
    with time_machine.travel(TODAY, tick=False):
        today = [_as_of_form(reader.get(url).content.decode(), url) for url in (actor, outcome)]
        assert today[0] == today[1]
        assert "What changed in the last 30 days" in today[0]
        assert 'max="2026-11-09"' in today[0] and "See it as recorded on" in today[0]
        past = [
            _as_of_form(reader.get(url, {"as_of": day}).content.decode(), url)
            for url, day in ((actor, "2026-11-03"), (outcome, "2026-11-03"), (actor, "2026-11-01"))
        ]
        past.append(_as_of_form(reader.get(actor, {"as_of": "2 Nov"}).content.decode(), actor))
        # The same form on a page as of a day, without the link to the record's diff (the
        # banner has its own, from that day).
        without_link = re.sub(r"<a [^>]*>What changed[^<]*</a> ", "", today[0])
        assert past == [without_link] * 4


def test_the_diff_says_what_was_added_removed_and_changed_field_by_field(scenario):
    world, _, readers = scenario
    with time_machine.travel(TODAY, tick=False):
        response = readers["cleared"].get(
            "/api/v1/registry/diff/", {"from": "2026-11-02", "to": "2026-11-05"}
        )
        changes = {
            (c["record"], c["label"], c["change"]): c["fields"] for c in response.json()["changes"]
        }
        assert changes[("stakeholder", "Sahel Relief Network", "changed")] == [
            {"field": "name", "before": "Sahel Relief", "after": "Sahel Relief Network"}
        ]
        assert changes[("stakeholder", "Gao Women", "changed")] == [
            {"field": "sensitivity", "before": "public", "after": "restricted"}
        ]
        assert changes[("stake", "Sahel Relief Network → Water in Gao", "changed")] == [
            {"field": "interest", "before": 0.4, "after": 0.8},
            {"field": "position", "before": "supports", "after": "opposes"},
        ]
        assert changes[("tie", "Bamako Fund funds Sahel Relief Network", "changed")] == [
            {"field": "end_date", "before": None, "after": "2026-11-05"}
        ]
        # From before anything existed: everything is added, nothing changed.
        added = (
            readers["cleared"]
            .get("/api/v1/registry/diff/", {"from": "2026-11-01", "to": "2026-11-06"})
            .json()
        )
        assert {c["change"] for c in added["changes"]} == {"added"}
        assert added["counts"]["tie"]["added"] == 2
        # Filtered by a stakeholder: itself, its stakes and ties only.
        only_b = (
            readers["cleared"]
            .get(
                "/api/v1/registry/diff/",
                {"from": "2026-11-02", "to": "2026-11-05", "stakeholder": world["b"].pk},
            )
            .json()
        )
        assert [(c["record"], c["change"]) for c in only_b["changes"]] == [("tie", "changed")]
        # A removed stake.
        stake_id = world["stake"].pk
        with _at(datetime.date(2026, 11, 7)):
            services.stake_delete(stake=world["stake"])
    with time_machine.travel(TODAY, tick=False):
        removed = readers["analyst"].get(
            reverse("stakeholders:registry_diff_export"),
            {"from": "2026-11-06", "to": "2026-11-07", "outcome": world["water"].pk},
        )
        rows = list(
            csv.reader(io.StringIO(b"".join(removed.streaming_content).decode("utf-8-sig")))
        )
        assert rows == [
            ["record", "id", "change", "label", "field", "before", "after"],
            ["stake", str(stake_id), "removed", "Sahel Relief Network → Water in Gao",
             "", "", ""],
        ]  # fmt: skip
        page = readers["analyst"].get(
            reverse("stakeholders:registry_diff"), {"from": "2026-11-02", "to": "2026-11-05"}
        )
        body = page.content.decode()
        assert "Sahel Relief" in body and "Sahel Relief Network" in body
        assert "Sensitivity" not in body  # never theirs to see changing


def test_as_of_pages_and_the_diff_cost_the_same_queries_for_few_and_many_rows(
    client, cleared_analyst, django_assert_num_queries
):
    login_verified(client, cleared_analyst)
    with _at(DAYS[0]):
        hub = services.stakeholder_create(name="Hub", kind=Kind.NGO, parent=None)
        outcome = services.outcome_create(title="Hub outcome", theme=Theme.RECONSTRUCTION)
        first = services.stakeholder_create(name="Spoke 0", kind=Kind.FIRM)
        services.tie_create(from_stakeholder=hub, to_stakeholder=first, kind=TieKind.FUNDS)
        services.stake_create(stakeholder=hub, outcome=outcome, interest=0.5, influence=0.5)

    # Session, user, permissions and the page's own reads: the same for one row and for many.
    pinned = [
        (reverse("stakeholders:stakeholder_detail", args=[hub.pk]), {"as_of": "2026-11-03"}, 12),
        (reverse("stakeholders:outcome_detail", args=[outcome.pk]), {"as_of": "2026-11-03"}, 9),
        (reverse("stakeholders:registry_diff"), {"from": "2026-11-01", "to": "2026-11-03"}, 9),
        ("/api/v1/registry/diff/", {"from": "2026-11-01", "to": "2026-11-03"}, 9),
    ]

    def check():
        with time_machine.travel(TODAY, tick=False):
            for url, params, expected in pinned:
                with django_assert_num_queries(expected):
                    assert client.get(url, params).status_code == 200

    check()
    with _at(DAYS[1]):
        for n in range(1, 6):
            spoke = services.stakeholder_create(name=f"Spoke {n}", kind=Kind.FIRM)
            services.tie_create(from_stakeholder=spoke, to_stakeholder=hub, kind=TieKind.FUNDS)
            services.stake_create(stakeholder=spoke, outcome=outcome, interest=0.2, influence=0.9)
        services.stakeholder_update(stakeholder=hub, name="Hub renamed")
    check()
    assert Stakeholder.objects.count() == 7


def test_the_graph_as_recorded_on_a_day(scenario):
    world, _, readers = scenario
    with time_machine.travel(TODAY, tick=False):

        def graph(reader, day, **params):
            body = reader.get("/api/v1/graph/", {"recorded_on": day, **params}).json()
            names = {node["id"]: node["name"] for node in body["nodes"]}
            return sorted(names.values()), sorted(
                (names[e["source"]], names[e["target"]]) for e in body["edges"]
            )

        assert graph(readers["cleared"], "2026-11-02") == (
            ["Bamako Fund", "Gao Women", "Sahel Relief"],
            [("Bamako Fund", "Sahel Relief"), ("Sahel Relief", "Gao Women")],
        )
        # The tie from the Fund ended on the 5th: as recorded on the 6th it no longer held.
        assert graph(readers["cleared"], "2026-11-06")[1] == [("Sahel Relief Network", "Gao Women")]
        # Public on the 2nd, restricted since: absent for the analyst, with its tie.
        assert graph(readers["analyst"], "2026-11-02") == (
            ["Bamako Fund", "Sahel Relief"],
            [("Bamako Fund", "Sahel Relief")],
        )
        assert graph(readers["analyst"], "2026-11-01") == ([], [])
        future = readers["analyst"].get("/api/v1/graph/", {"recorded_on": "2026-11-10"})
        assert future.status_code == 400
        assert "recorded_on" in future.json()["error"]["fields"]
