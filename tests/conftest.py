"""Shared fixtures, and the rule for tests that need real services.

Tests marked ``services`` talk to PostgreSQL and Redis over real connections and start real Celery
worker processes. Without ``DATABASE_URL=postgres://...`` and ``CELERY_BROKER_URL=redis://...`` they
are skipped with the reason printed. With ``SMARTDIPLOMACY_REQUIRE_SERVICES=1`` (set by .ci/run) any
skipped test fails the run instead: CI must never pass on a skipped service test.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.accounts.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("SMARTDIPLOMACY_REQUIRE_SERVICES") == "1"


def services_missing() -> str | None:
    """Why the real services are not available to this run, or None if they are."""
    reasons = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        reasons.append("DATABASE_URL is not a PostgreSQL URL")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith(("redis://", "rediss://")):
        reasons.append("CELERY_BROKER_URL is not a Redis URL")
    if reasons:
        return "needs real PostgreSQL and Redis: " + "; ".join(reasons)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the markers must be in place before pytest-django sorts transactional tests last.
    _serialize_transactional_tests(items)
    reason = services_missing()
    if reason is None:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError(f"SMARTDIPLOMACY_REQUIRE_SERVICES=1 but {reason}")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


def _serialize_transactional_tests(items):
    """Give every transactional test a serialized rollback.

    A transactional test ends with a flush; without serialized rollback Django then re-creates
    content types and permissions with new ids and the roles' groups (made by a data migration) are
    gone, which breaks every later test that relies on migration-made data.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker and marker.kwargs.get("transaction")) or any(
            name in item.fixturenames
            for name in ("transactional_db", "live_server", "django_db_serialized_rollback")
        )
        if transactional:
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True}
            kwargs["serialized_rollback"] = True
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if REQUIRE_SERVICES and skipped:
        terminalreporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped while SMARTDIPLOMACY_REQUIRE_SERVICES=1",
            red=True,
        )


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_SERVICES and reporter and reporter.stats.get("skipped"):
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def no_token_kept_across_tests():
    """A process keeps the partner tokens it read (accounts.selectors.token_read); the database
    is rolled back between tests, so the copies are dropped with it."""
    yield
    from accounts.selectors import token_forget_here

    token_forget_here()


@pytest.fixture(scope="session", autouse=True)
def no_database_session_left_behind(django_db_setup, django_db_blocker):
    """End the test run's stray PostgreSQL sessions before the test database is dropped.

    The browser tests' live server answers each keep-alive connection of Chromium in a daemon
    thread, which keeps the database connection of its last request open past the server's stop;
    the test database could then not be dropped ("being accessed by other users").
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# --- users ------------------------------------------------------------------------------------


def login_verified(client, user):
    """Sign ``user`` in on ``client`` as having passed the second factor in this session.

    With ``TWO_FACTOR_REQUIRED`` (on in the test settings, as in production) a cleared person or
    an administrator signed in with ``force_login`` alone owes the second factor: every page
    sends them to verify, the API refuses their session, and they are not treated as cleared.
    This is the one place tests skip that step, explicitly; tests/accounts/test_two_factor.py
    goes through it for real.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client.force_login(user)
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="test sign-in", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", roles=["analyst"])


@pytest.fixture
def cleared_analyst(db):
    return UserFactory(username="analyst.cleared", roles=["analyst"], cleared=True)


@pytest.fixture
def officer(db):
    return UserFactory(username="officer", roles=["program officer"])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", roles=["reviewer"])


@pytest.fixture
def administrator(db):
    return UserFactory(username="administrator", roles=["administrator"], is_staff=True)


# --- real Celery workers ------------------------------------------------------------------------


def _database_url_for_subprocess() -> str:
    """A DATABASE_URL that points another process at this test run's database."""
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgresql://{auth}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, queue: str, process: subprocess.Popen, log_path: Path):
        self.queue = queue
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Kill the worker at once, as a crashed machine would (no warm shutdown)."""
        self.process.kill()
        self.process.wait(timeout=20)


@pytest.fixture
def start_celery_worker(django_db_serialized_rollback, tmp_path):
    """Start real ``celery worker`` processes on a private queue against this test database.

    Returns a function ``start(concurrency=1) -> WorkerProcess``; the task under test is sent with
    ``apply_async(queue=worker.queue)``. Eager mode is switched off for the test's duration.
    """
    from smartdiplomacy.celery import app

    reason = services_missing()
    if reason:
        pytest.skip(reason)
    queue = f"test-{uuid.uuid4().hex[:10]}"
    workers: list[WorkerProcess] = []
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False

    def start(concurrency: int = 1) -> WorkerProcess:
        env = {
            # The worker's cache is its own, as the test process's is (settings/test.py).
            **{key: value for key, value in os.environ.items() if key != "CACHE_URL"},
            "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.local",
            "DEBUG": "false",
            "DATABASE_URL": _database_url_for_subprocess(),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        }
        log_path = tmp_path / f"worker-{len(workers)}.log"
        pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"-c{concurrency}"]
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "smartdiplomacy", "worker",
                "-Q", queue, "-n", f"{queue}-{len(workers)}@%h", "--without-heartbeat",
                "--without-mingle", "--without-gossip", "--loglevel=INFO", *pool,
            ],
            cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker = WorkerProcess(queue, process, log_path)
        workers.append(worker)
        deadline = time.monotonic() + 60
        while "ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.2)
        return worker

    yield start

    app.conf.task_always_eager = was_eager
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.terminate()
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    # Drop anything left on the private queue.
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, message: str = ""):
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(message or f"condition not met within {timeout} s")


@pytest.fixture
def fresh_rate_window():
    """Start the test at the beginning of a minute, the clock running: the API's fixed-window
    rate limits (aligned to the clock) then count a test's few requests in one window, where a
    test straddling a minute's end would start over and not be refused."""
    import time_machine

    now = time.time()
    with time_machine.travel((now // 60 + 1) * 60 + 0.5, tick=True):
        yield
