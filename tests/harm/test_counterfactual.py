"""The rule of DESIGN.md ("do no harm"), tested as stated: for anyone not cleared, every response
is exactly what it would be if the hidden actors — and every stake, tie, participation,
candidate, text and metric derived from them — had never existed.

The harness builds the registry twice (``tests/harm/world.py``): once with hidden actors woven
in, once without them, through the product's own services and jobs. Then, as an uncleared
analyst, officer, reviewer, administrator (staff, with the admin) and a partner token, it walks
every URL pattern the resolver knows — app pages, exports, the API, the admin — with every object
as parameter and every documented filter with a visible, a hidden and a deleted actor, and
compares the two worlds' answers after replacing ids by what they name. E-mails sent and webhook
bodies posted are compared too. Any difference fails, with the URL and the first lines that
differ.

On PostgreSQL only: ids are told apart by giving each table a range of its own.
"""

from __future__ import annotations

import difflib
import os
import re
import time
from collections import defaultdict

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts.selectors import token_forget_here
from stakeholders.models import Stakeholder
from tests.conftest import login_verified
from tests.harm import doors
from tests.harm.world import START, build_world

pytestmark = [pytest.mark.services, pytest.mark.django_db]

AUDIENCES = ("analyst", "officer", "reviewer", "admin", "token")
# Values tried for id filters: a visible actor, hidden ones, one deleted by someone not cleared
# (archived where it held hidden relations), one made public, one made confidential.
STAKEHOLDER_VALUES = (
    "Relief Mali",
    "Gao Women Mediators",
    "Tuareg Diaspora Network",
    "Radio Kayes",
    "Niger Delta Peace Trust",
    "Former Open Coalition",
)
OUTCOME_VALUES = ("Water security in the Sahel", "Reconstruction of Kidal")
TEXT_VALUES = ("Gao", "Tuareg", "Kidal Self", "Former Open")
STAKEHOLDER_PARAMETERS = {"stakeholder", "participant", "member", "actor", "ego", "parent"}
# Pages that use the same FilterSet as an API list: they are tried with its documented filters.
PAGE_FILTERS_FROM = {
    "stakeholders:stakeholder_list": "/api/v1/stakeholders/",
    "stakeholders:stakeholder_export": "/api/v1/stakeholders/",
    "stakeholders:outcome_list": "/api/v1/outcomes/",
    "stakeholders:outcome_export": "/api/v1/outcomes/",
    "partnerships:candidate_list": "/api/v1/candidates/",
    "partnerships:partnership_list": "/api/v1/partnerships/",
    "partnerships:partnership_export": "/api/v1/partnerships/",
    "graph:explorer": "/api/v1/graph/",
    "graph:table": "/api/v1/graph/",
    "index:engagement_list": "/api/v1/scores/",
    "index:dashboard": "/api/v1/scores/summary/",
    "partnerships:stakeholder_search": None,
    "relationships:interaction_list": "/api/v1/interactions/",
    "relationships:follow_up_list": "/api/v1/follow-ups/",
    "stakeholders:registry_diff": "/api/v1/registry/diff/",
    "stakeholders:registry_diff_export": "/api/v1/registry/diff/",
    "map:map": "/api/v1/map/",
}


def _schema_query_parameters() -> dict[str, list[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get:
            found[path] = [p["name"] for p in get.get("parameters", []) if p["in"] == "query"]
    return found


def _query_variants(route: doors.Route, schema_params) -> list[dict]:
    """Query strings to try on a route without path parameters (labels, resolved per world)."""
    if route.pattern.startswith("api/"):
        path = "/" + route.pattern.replace("^", "").replace("$", "")
        names = schema_params.get(path.replace("//", "/"), [])
    else:
        source = PAGE_FILTERS_FROM.get(route.name, "")
        names = schema_params.get(source, []) if source else []
    variants = [{}]
    for text in TEXT_VALUES:
        variants.append({"q": ("text", text)})
        if "search" in names:
            variants.append({"search": ("text", text)})
    for name in names:
        if name in STAKEHOLDER_PARAMETERS:
            variants += [{name: (doors.STAKEHOLDER, v)} for v in STAKEHOLDER_VALUES]
        elif name == "outcome":
            variants += [{name: (doors.OUTCOME, v)} for v in OUTCOME_VALUES]
        elif name in ("kind", "kind_a", "member_kind"):
            variants.append({name: ("text", "womens_group")})
        elif name == "format":
            variants.append({name: ("text", "csv")})
        elif name == "recorded_on":  # the graph as recorded on the world's day
            variants.append({name: ("text", "2026-11-02")})
        elif name == "shape":  # the graph's columns: the same graph, other arrays to leak from
            variants.append({name: ("text", "columns")})
    if route.name == "graph-api:path":
        variants += [
            {"source": (doors.STAKEHOLDER, "Relief Mali"), "target": (doors.STAKEHOLDER, v)}
            for v in STAKEHOLDER_VALUES
        ]
    if route.name == "partnerships:stakeholder_search":
        variants += [{"q": ("text", text)} for text in TEXT_VALUES]
    if route.name == "admin:autocomplete":
        for model, field in (
            ("stake", "stakeholder"),
            ("tie", "to_stakeholder"),
            ("stake", "outcome"),
        ):
            for text in (*TEXT_VALUES, "Relief"):
                variants.append(
                    {
                        "app_label": ("text", "stakeholders"),
                        "model_name": ("text", model),
                        "field_name": ("text", field),
                        "term": ("text", text),
                    }
                )
    return variants


def _path_cases(route: doors.Route, rule, labels: doors.Labels) -> list[dict]:
    """Parameter sets (labels) for a route with path parameters, from the hidden world's rows."""
    from django.apps import apps

    if rule == "pair":
        from partnerships.models import Candidate

        pairs = {
            (labels.label(c.stakeholder_a_id), labels.label(c.stakeholder_b_id))
            for c in Candidate.objects.all()
        }
        names = labels.ids_of(Stakeholder)
        pairs.add(
            ("<stakeholders.stakeholder:Relief Mali>", "<stakeholders.stakeholder:Sahel Union>")
        )
        pairs.add(
            (
                "<stakeholders.stakeholder:Relief Mali>",
                "<stakeholders.stakeholder:Gao Women Mediators>",
            )
        )
        cases = []
        for a, b in sorted(pairs):
            if a in names and b in names and names[a] > names[b]:
                a, b = b, a
            if route.name.startswith("partnerships-api"):
                cases.append({"pair": ("pair", (a, b))})
            else:
                cases.append({"a": (doors.STAKEHOLDER, a), "b": (doors.STAKEHOLDER, b)})
        return cases
    if isinstance(rule, tuple):  # admin
        _, model, action = rule
        objects = sorted(labels.ids_of(model)) + [None]
        if action in ("simple_history",):
            history = model.history.model
            cases = []
            for record in history.objects.all().only("history_id", "id"):
                cases.append(
                    {
                        "0": (model._meta.label_lower, labels.of_model(model, record.id)),
                        "1": (history._meta.label_lower, labels.label(record.history_id)),
                    }
                )
            return cases
        if route.parameters == ("object_id",):
            return [{"object_id": (model._meta.label_lower, o)} for o in objects]
        return []
    cases = [{}]
    for name, source in rule.items():
        if isinstance(source, list):
            values = [("text", v) for v in source]
        else:
            model = apps.get_model(source.split(":")[0])
            values = [(source, o) for o in sorted(labels.ids_of(model))] + [(source, None)]
        cases = [{**case, name: value} for case in cases for value in values]
    return cases


def _resolve(value, labels: doors.Labels, requested: set[int]):
    from django.apps import apps

    kind, label = value
    if kind == "text":
        return label
    if kind == "pair":
        a = _resolve((doors.STAKEHOLDER, label[0]), labels, requested)
        b = _resolve((doors.STAKEHOLDER, label[1]), labels, requested)
        return f"{a}-{b}"
    model_label, _, field = kind.partition(":")
    model = apps.get_model(model_label)
    ids = labels.ids_of(model)
    if label is not None and not label.startswith("<"):
        label = f"<{kind}:{label}>"
    pk = ids.get(label) if label is not None else None
    if field:  # named by another field than its id (a coalition's key)
        row = model._base_manager.filter(pk=pk).values_list(field, flat=True).first()
        return row or "0" * 16
    if pk is None:
        pk = labels.missing_id(model, len(requested))
    requested.add(pk)
    return str(pk)


def _plan(labels: doors.Labels) -> tuple[list, list]:
    """Every request to make, as (audience, route, path case, query case); and the routes whose
    parameters nobody says how to fill."""
    schema_params = _schema_query_parameters()
    plan, unfilled = [], []
    # While working on one area: HARNESS_ROUTES=<regex of route names> walks only those.
    only = re.compile(os.environ.get("HARNESS_ROUTES", ".*"))
    for route in doors.routes():
        if route.name in doors.SKIPPED or not only.search(route.name):
            continue
        rule = doors.parameter_rule(route)
        if rule is None:
            unfilled.append(route)
            continue
        if rule in ("skip", "view_on_site"):
            continue
        is_admin = route.name.startswith("admin:")
        is_api = route.pattern.startswith("api/")
        audiences = ["admin"] if is_admin else [a for a in AUDIENCES if a != "token" or is_api]
        if route.parameters:
            cases = [(case, {}) for case in _path_cases(route, rule, labels)]
            if route.name in doors.AS_OF_ROUTES:
                cases += [
                    (case, {"as_of": ("text", day)})
                    for case in _path_cases(route, rule, labels)
                    for day in doors.AS_OF_DAYS
                ]
        else:
            cases = [({}, query) for query in _query_variants(route, schema_params)]
        for audience in audiences:
            for path_case, query in cases:
                plan.append((audience, route, path_case, query))
    return plan, unfilled


def _walk(world, labels: doors.Labels, plan) -> dict:
    clients = {}
    for name in ("analyst", "officer", "reviewer", "admin"):
        client = Client(raise_request_exception=False)
        login_verified(client, world.users[name])  # administrators pass the second factor
        clients[name] = client
    clients["token"] = Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {world.token}"
    )
    answers = {}
    # Ids each audience asked for so far: a page may echo an earlier request's id in a message
    # ("… with ID 123 doesn't exist"), which is the request, not what the page reveals.
    asked: dict[str, set[int]] = defaultdict(set)
    started = time.perf_counter()
    # Seconds and requests per route, printed with HARNESS_TIMING=1.
    spent: dict[str, float] = defaultdict(float)
    made: dict[str, int] = defaultdict(int)
    for count, (audience, route, path_case, query) in enumerate(plan):
        if count % 500 == 0:
            print(
                f"  {count}/{len(plan)} requests, {time.perf_counter() - started:.0f} s", flush=True
            )
        requested: set[int] = set()
        kwargs = {k: _resolve(v, labels, requested) for k, v in path_case.items()}
        url = doors.url_for(route, kwargs)
        if url is None:
            continue
        params = {k: _resolve(v, labels, requested) for k, v in query.items()}
        asked[audience] |= requested
        requested = set(asked[audience])
        asked_at = time.perf_counter()
        response = clients[audience].get(url, params)
        spent[route.name] += time.perf_counter() - asked_at
        made[route.name] += 1
        key = (audience, route.name, repr(sorted(path_case.items())), repr(sorted(query.items())))
        shown_url = url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
        body = (
            response.content.decode("utf-8", "replace")
            if not response.streaming
            else (b"".join(response.streaming_content).decode("utf-8", "replace"))
        )
        head = [
            f"status {response.status_code}",
            f"content-type {response.get('Content-Type', '')}",
            f"location {response.get('Location', '')}",
            f"disposition {response.get('Content-Disposition', '')}",
        ]
        normalised_at = time.perf_counter()
        answers[key] = (
            shown_url,
            doors.normalise(
                "\n".join(head) + "\n" + body, labels, requested=requested, route=route.name
            ),
        )
        spent["(normalising answers)"] += time.perf_counter() - normalised_at
    if os.environ.get("HARNESS_TIMING"):
        for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[:40]:
            print(f"  {seconds:7.1f} s  {made[name]:5d} requests  {name}")
    return answers


def _side_channels(world, labels: doors.Labels) -> dict:
    uncleared = {world.users[n].email for n in ("officer", "reviewer", "analyst", "admin")}
    mails = sorted((m.to, m.subject, m.body) for m in world.mails if set(m.to) & uncleared)
    bodies = [doors.normalise(b.decode(), labels, requested=set()) for b in world.webhook_bodies]
    return {"mails": doors.normalise(repr(mails), labels, requested=set()), "webhooks": bodies}


def _build_and_walk(*, hidden: bool, run_on_commit, plan=None):
    sid = transaction.savepoint()
    try:
        starts = doors.id_ranges_assign()
        cache.clear()
        token_forget_here()  # the tokens this process kept belong to the other world
        mail.outbox = []
        with time_machine.travel(START, tick=False) as clock:
            world = build_world(hidden=hidden, clock=clock, run_on_commit=run_on_commit)
            labels = doors.Labels(starts)
            unfilled = []
            if plan is None:
                plan, unfilled = _plan(labels)
            answers = _walk(world, labels, plan)
            side = _side_channels(world, labels)
        return plan, unfilled, answers, side
    finally:
        transaction.savepoint_rollback(sid)


def test_hidden_actors_leave_no_trace_through_any_door(django_capture_on_commit_callbacks):
    started = time.perf_counter()
    plan, unfilled, with_hidden, side_hidden = _build_and_walk(
        hidden=True, run_on_commit=django_capture_on_commit_callbacks
    )
    _, _, without, side_without = _build_and_walk(
        hidden=False, run_on_commit=django_capture_on_commit_callbacks, plan=plan
    )
    differences = []
    statuses = defaultdict(int)
    for key, (url, answer) in with_hidden.items():
        other_url, other = without.get(key, (None, None))
        statuses[answer.split("\n", 1)[0]] += 1
        if answer.startswith("status 500"):
            differences.append(f"[{key[0]}] {url}\n  answers 500 (a server error is never right)")
            continue
        if answer != other:
            diff = list(
                difflib.unified_diff(
                    (other or "").splitlines(),
                    answer.splitlines(),
                    "without",
                    "with",
                    n=1,
                    lineterm="",
                )
            )[:14]
            differences.append(f"[{key[0]}] {url}\n  " + "\n  ".join(diff))
    for channel in ("mails", "webhooks"):
        if side_hidden[channel] != side_without[channel]:
            differences.append(
                f"[{channel}] differ:\n  with: {side_hidden[channel]!r:.600}\n  "
                f"without: {side_without[channel]!r:.600}"
            )
    seconds = time.perf_counter() - started
    summary = (
        f"{len(with_hidden)} requests compared ({len({k[1] for k in with_hidden})} routes × "
        f"{len(AUDIENCES)} audiences) in {seconds:.0f} s; statuses {dict(statuses)}"
    )
    print(summary)
    if os.environ.get("HARNESS_REPORT"):
        with open(os.environ["HARNESS_REPORT"], "w") as report:
            report.write(summary + "\n\n" + "\n\n".join(differences))
    assert not differences, f"{len(differences)} responses differ:\n\n" + "\n\n".join(
        differences[:40]
    )
    # The walk met real pages, not only refusals.
    assert statuses["status 200"] > (500 if "HARNESS_ROUTES" not in os.environ else 0)
