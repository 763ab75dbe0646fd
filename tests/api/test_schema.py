"""The OpenAPI schema validates, documents every endpoint, and the API keeps to it.

The schemathesis run fuzzes every operation: reads with a partner token, writes with a program
officer's session. It asserts no server error (5xx) and that every response, errors included,
matches the schema (body, status code, content type).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import token_issue
from stakeholders.choices import Sensitivity
from stakeholders.models import Outcome, Stake, Stakeholder, Tie
from tests.accounts.factories import UserFactory
from tests.api.conftest import signed_in
from tests.conftest import login_verified
from tests.stakeholders.factories import (
    OutcomeFactory,
    SectorFactory,
    StakeFactory,
    StakeholderFactory,
    TieFactory,
)

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def test_schema_validates_without_warnings(tmp_path):
    """``manage.py spectacular --validate --fail-on-warn``: valid OpenAPI 3, nothing guessed."""
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_schema_documents_every_endpoint_with_filters_examples_and_errors(analyst):
    response = signed_in(analyst).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for resource in ("stakeholders", "outcomes", "stakes", "ties"):
        assert set(paths[f"/api/v1/{resource}/"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}/"]) == {"get", "put", "patch", "delete"}
    parameters = {p["name"] for p in paths["/api/v1/stakeholders/"]["get"]["parameters"]}
    assert {"q", "kind", "country", "region", "sector", "capability", "outcome", "ordering",
            "cursor", "page_size"} <= parameters  # fmt: skip
    stake_parameters = {p["name"] for p in paths["/api/v1/stakes/"]["get"]["parameters"]}
    assert {"stakeholder", "outcome", "position", "min_interest", "cursor"} <= stake_parameters
    for operations in paths.values():
        for operation in operations.values():
            assert {"400", "401", "403", "404", "429"} <= set(operation["responses"])
            assert operation.get("summary")
    create = paths["/api/v1/stakeholders/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert paths["/api/v1/stakes/{id}/"]["get"]["responses"]["200"]["content"]["application/json"][
        "examples"
    ]
    assert schema["components"]["securitySchemes"]["partnerToken"]["scheme"] == "bearer"
    assert "Error" in schema["components"]["schemas"]


def test_docs_are_served_from_local_files_not_a_cdn(analyst):
    response = signed_in(analyst).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html


# --- schemathesis --------------------------------------------------------------------------------
#
# schemathesis's own pytest integration does not run under pytest 9 (it rewrites a pytest-internal
# attribute), so each operation is a plain parametrized test that draws cases from schemathesis's
# strategies with Hypothesis: the schema's examples, valid input and invalid input.


def _served_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


SCHEMA = schemathesis.openapi.from_dict(_served_schema())
SCHEMA.app = WSGIHandler()
OPERATIONS = sorted(
    (operation.ok().method.upper(), operation.ok().path)
    for operation in SCHEMA.get_all_operations()
)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture
def app_keeps_test_connection():
    """Let the in-process WSGI app run inside the test's transaction.

    Django closes database connections at the end of each request; that would end the test's
    transaction (on PostgreSQL). Django's own test client does the same as this.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _sequences_past_their_rows(*models) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


@pytest.fixture
def fuzz_credentials(db, officer, app_keeps_test_connection):
    """Credentials, and a registry to read and write, for the fuzzer.

    The ids match the examples in the schema, so the examples meet real objects too.
    """
    SectorFactory(code="15170", name="Women's rights organisations")
    outcome = OutcomeFactory(pk=7)
    actor = StakeholderFactory(pk=42, name="Sahel Women's Peace Network")
    funder = StakeholderFactory(pk=12, name="Nordic Peace Fund")
    hidden = StakeholderFactory(pk=13, sensitivity=Sensitivity.RESTRICTED)
    # Rows made with their ids leave the tables' sequences where they were (a sequence is not
    # rolled back with a test, so where depends on the tests run before): move them past those
    # ids before drawing from them again.
    _sequences_past_their_rows(Stakeholder, Outcome)
    StakeFactory(pk=311, stakeholder=actor, outcome=OutcomeFactory())
    TieFactory(pk=93, from_stakeholder=funder, to_stakeholder=actor)
    _sequences_past_their_rows(Stake, Tie)
    StakeFactory(stakeholder=hidden, outcome=outcome)
    TieFactory(from_stakeholder=hidden, to_stakeholder=actor)
    StakeholderFactory.create_batch(5)

    token = token_issue(partner="Fuzzer", created_by=None).plaintext
    session = signed_in(officer).cookies["sessionid"].value
    csrf = get_random_string(32)
    return {
        "read": {"headers": {"Authorization": f"Bearer {token}"}},
        "write": {
            "headers": {"X-CSRFToken": csrf},
            "cookies": {"sessionid": session, "csrftoken": csrf},
        },
    }


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_keeps_to_its_schema(method, path, fuzz_credentials, settings):
    """Reads with a partner token, writes as an officer: never a 5xx, always as documented."""
    # Throttling is not under test here; the fuzzer is faster than any partner.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": None, "user": None},
    }
    operation = SCHEMA[path][method]
    credentials = fuzz_credentials["read" if method in READ_METHODS else "write"]
    strategy = st.one_of(
        *SCHEMA.get_strategies_from_examples(operation),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(checks=CHECKS, **credentials)

    run()


# --- the token-closed reads, with a signed-in session ---------------------------------------------
#
# Candidates, overlap runs, partnerships and the graph are closed to partner tokens, so the run
# above only ever meets their 403. People read them in the browser, with a session: fuzz them as
# a cleared analyst (who sees restricted actors and so every branch of the restriction rule) and
# as a superuser (who also sees other people's drafts), over a registry with a finished overlap
# run, its candidates and partnerships. Drawn ids rarely exist, so each operation is also called
# once with ids that do, and must answer 200 there.

TOKEN_CLOSED_PREFIXES = (
    "/api/v1/candidates/",
    "/api/v1/overlap-runs/",
    "/api/v1/partnerships/",
    "/api/v1/graph/",
    "/api/v1/map/",
)
TOKEN_CLOSED_READS = sorted(
    (method, path)
    for method, path in OPERATIONS
    if method == "GET" and path.startswith(TOKEN_CLOSED_PREFIXES)
)
SESSION_FUZZ_EXAMPLES = 20
# Where the schema and the answers would disagree (not a server error): checked for everything but
# the response body's schema. None today.
KNOWN_BODY_SCHEMA_GAPS: set[str] = set()


@pytest.fixture
def session_fuzz_registry(db, officer, reviewer, django_capture_on_commit_callbacks):
    from partnerships.models import Candidate, PartnershipStatus
    from partnerships.overlap.refresh import overlap_refresh_suspended
    from partnerships.overlap.runs import overlap_run_request
    from tests.partnerships.conftest import _small_registry
    from tests.partnerships.partnership_helpers import make_partnership

    with overlap_refresh_suspended():
        registry = _small_registry()
        hidden = StakeholderFactory(name="Quiet mediators", sensitivity=Sensitivity.RESTRICTED)
        StakeFactory(stakeholder=hidden, outcome=registry.o1, interest=0.9)
        TieFactory(from_stakeholder=hidden, to_stakeholder=registry.women)
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = overlap_run_request(parameters={})
    under_review = make_partnership(
        proposer=officer,
        reviewer=reviewer,
        status=PartnershipStatus.UNDER_REVIEW,
        members=[registry.ngo, registry.women],
    )
    # A cleared officer's draft with the restricted actor in it.
    cleared_officer = UserFactory(
        username="officer.cleared", roles=["program officer"], cleared=True
    )
    make_partnership(proposer=cleared_officer, members=[registry.firm, hidden])
    candidate = Candidate.objects.order_by("-score").first()
    assert candidate is not None, "the overlap run found no candidate to fuzz"
    return {
        "id": {
            "/api/v1/candidates/{pair}/": candidate.pair,
            "/api/v1/overlap-runs/{id}/": run.pk,
            "/api/v1/partnerships/{id}/": under_review.pk,
            "/api/v1/partnerships/{id}/comments/": under_review.pk,
        },
        "query": {
            "/api/v1/graph/": {"ego": registry.ngo.pk, "hops": 2},
            "/api/v1/graph/path/": {"source": registry.ngo2.pk, "target": hidden.pk},
        },
    }


@pytest.fixture
def session_of(app_keeps_test_connection):
    def credentials(user) -> dict:
        # Plain bodies: the map's kept answer is gzipped for a client that accepts it, and the
        # in-process transport, unlike an HTTP client, does not undo a Content-Encoding
        # (tests/graph/test_map_cache.py checks the gzipped answer).
        return {
            "cookies": {"sessionid": signed_in(user).cookies["sessionid"].value},
            "headers": {"Accept-Encoding": "identity"},
        }

    return credentials


def test_the_token_closed_reads_are_all_fuzzed_with_a_session():
    assert {
        "/api/v1/candidates/",
        "/api/v1/candidates/{pair}/",
        "/api/v1/overlap-runs/",
        "/api/v1/overlap-runs/{id}/",
        "/api/v1/partnerships/",
        "/api/v1/partnerships/{id}/",
        "/api/v1/graph/",
        "/api/v1/graph/path/",
    } <= {path for _, path in TOKEN_CLOSED_READS}


@pytest.mark.parametrize("caller", ["cleared_analyst", "superuser"])
@pytest.mark.parametrize(
    ("method", "path"), TOKEN_CLOSED_READS, ids=[f"{m} {p}" for m, p in TOKEN_CLOSED_READS]
)
def test_token_closed_reads_keep_to_the_schema_for_a_session(
    method, path, caller, session_fuzz_registry, session_of, settings, request
):
    """Signed in, the reads that tokens may not make: never a 5xx, always as documented."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": None, "user": None},
    }
    user = (
        UserFactory(username="root", is_superuser=True, is_staff=True)
        if caller == "superuser"
        else request.getfixturevalue("cleared_analyst")
    )
    credentials = session_of(user)
    checks = [
        check
        for check in CHECKS
        if not (path in KNOWN_BODY_SCHEMA_GAPS and check is response_schema_conformance)
    ]
    operation = SCHEMA[path][method]
    strategy = st.one_of(
        *SCHEMA.get_strategies_from_examples(operation),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    statuses = []

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=SESSION_FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # The schema offers a partner token too; a drawn one would be refused (401) before the
        # session is looked at, and this run is about the session.
        if case.headers:
            case.headers.pop("Authorization", None)
        statuses.append(case.call_and_validate(checks=checks, **credentials).status_code)

    run()
    # The session got in: no refusal of the caller, whatever was drawn.
    assert not {401, 403} & set(statuses), statuses

    parameter = next((name for name in ("id", "pair") if f"{{{name}}}" in path), None)
    known = operation.Case(
        path_parameters={parameter: session_fuzz_registry["id"][path]} if parameter else {},
        query=session_fuzz_registry["query"].get(path, {}),
    )
    assert known.call_and_validate(checks=checks, **credentials).status_code == 200


def test_the_schema_allows_an_overlap_run_that_nobody_started():
    # Runs started by imports, the demo or the schedule have no user.
    started_by = SCHEMA.raw_schema["components"]["schemas"]["OverlapRun"]["properties"][
        "started_by"
    ]
    assert started_by.get("nullable") is True


@pytest.mark.parametrize(
    "method, path, data, field",
    [
        ("post", "/api/v1/partnerships/", {"title": "x", "outcomes": [2**70]}, "outcomes"),
        ("post", "/api/v1/partnerships/", {"title": "x", "candidate": 2**70}, "candidate"),
        ("get", "/api/v1/graph/", {"outcome": 2**70}, "outcome"),
        ("get", "/api/v1/graph/path/", {"source": 2**70, "target": 1}, "source"),
    ],
)
def test_an_id_beyond_any_key_is_a_400_naming_the_field(db, client, method, path, data, field):
    login_verified(client, UserFactory(username="root", is_superuser=True, is_staff=True))
    if method == "post":
        response = client.post(path, data, content_type="application/json")
    else:
        response = client.get(path, data)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
