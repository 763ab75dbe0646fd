"""The production configuration, exercised the way a deployment runs it.

Everything here happens in subprocesses with ``smartdiplomacy.settings.production`` and a temporary
SQLite database, so no PostgreSQL or Redis is needed: ``manage.py check --deploy``, the refusal to
start without secrets, and a real gunicorn (started with ``gunicorn.conf.py``) answering over HTTP.
The Docker files cannot be built here (no engine), so their promises are checked by reading them.
"""

import http.client
import json
import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN = BIN / "gunicorn"
PRODUCTION = "smartdiplomacy.settings.production"
SUBPROCESS_TIMEOUT = 60

# Variables of the developer's shell that would change what production settings or gunicorn do.
LEAKY_VARIABLES = (
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "CSRF_TRUSTED_ORIGINS",
    "PORT",
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "GUNICORN_CONTROL_SOCKET",
    "PYTHONPATH",
    "LOG_FORMAT",
    "LOG_REQUESTS",
    "GUNICORN_ACCESS_LOG",
    "PROMETHEUS_MULTIPROC_DIR",
    "METRICS_TOKEN",
    "SENTRY_DSN",
)
METRICS_TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def production_env(tmp_path_factory) -> dict[str, str]:
    """A production environment on a throwaway SQLite file, with tasks running in process."""
    tmp = tmp_path_factory.mktemp("deploy")
    env = {key: value for key, value in os.environ.items() if key not in LEAKY_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        SECRET_KEY=secrets.token_urlsafe(50),  # 67 random characters, like a real key
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        LOG_LEVEL="WARNING",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


# --- settings -------------------------------------------------------------------------------------


def test_check_deploy_reports_no_issues(production_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output, output


@pytest.mark.parametrize(
    ("missing", "value"),
    [("SECRET_KEY", None), ("SECRET_KEY", ""), ("ALLOWED_HOSTS", None), ("ALLOWED_HOSTS", " , ")],
)
def test_production_refuses_to_start_without(production_env, missing, value):
    env = dict(production_env)
    if value is None:
        del env[missing]
    else:
        env[missing] = value
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in production" in result.stderr


# --- gunicorn -------------------------------------------------------------------------------------


def test_gunicorn_conf_reads_the_environment(monkeypatch):
    for name in LEAKY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["bind"] == ["0.0.0.0:8000"]
    assert conf["worker_class"] == "smartdiplomacy.gunicorn_worker.BalancedThreadWorker"
    assert 2 <= conf["workers"] <= 8
    assert conf["accesslog"] is None  # the app logs each request itself (ops.request_log)
    assert "logconfig_dict" in conf  # gunicorn's own lines as JSON, like the app's
    assert conf["control_socket_disable"] is True  # no shared ~/.gunicorn/gunicorn.ctl

    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["bind"] == ["0.0.0.0:9001"]
    assert conf["workers"] == 3
    assert conf["forwarded_allow_ips"] == "10.0.0.5"
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "sync")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["worker_class"] == "sync"

    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:7000")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == ["127.0.0.1:7000"]


def test_gunicorn_workers_freeze_what_they_loaded_out_of_the_collectors_sight():
    # In a fresh interpreter, as in a worker: the app is set up, no view imported yet.
    script = f"""
import django, gc, runpy, sys
django.setup()
before = "index.api.views" in sys.modules
runpy.run_path({str(ROOT / "gunicorn.conf.py")!r})["post_worker_init"](worker=None)
print(before, "index.api.views" in sys.modules, gc.get_freeze_count())
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smartdiplomacy.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    before, after, frozen = result.stdout.split()
    assert (before, after) == ("False", "True")  # every view is imported before the freeze
    assert int(frozen) > 10_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(
        f"gunicorn did not listen on port {port} within {timeout} s:\n{log_path.read_text()}"
    )


class Server:
    def __init__(self, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path

    def get(self, path: str, *, https: bool = True, headers: dict | None = None):
        """GET without following redirects; ``https`` says what the TLS proxy in front would."""
        all_headers = {"X-Forwarded-Proto": "https"} if https else {}
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers=all_headers)
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server(production_env, tmp_path_factory):
    """gunicorn serving the production settings on a free port of 127.0.0.1.

    Production settings take STATIC_ROOT from the code, not the environment, so collectstatic goes
    to a temporary directory through a two-line settings module that imports production and
    changes STATIC_ROOT alone; the project's own staticfiles/ is left untouched.
    """
    tmp = tmp_path_factory.mktemp("gunicorn")
    overlay = tmp / "deploy_test_settings.py"
    overlay.write_text(
        f"from {PRODUCTION} import *  # noqa: F403\n\nSTATIC_ROOT = {str(tmp / 'static')!r}\n"
    )
    env = {
        **production_env,
        "DJANGO_SETTINGS_MODULE": "deploy_test_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
    }
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = manage(*args, env=env)
        assert result.returncode == 0, result.stdout + result.stderr

    port = _free_port()
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", GUNICORN_THREADS="2")
    log_path = tmp / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "smartdiplomacy.wsgi:application", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log_path)
        yield Server(port, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_healthz_reports_the_database(server):
    response, body = server.get("/healthz")
    assert response.status == 200, body
    assert response.getheader("Content-Type") == "application/json"
    data = json.loads(body)
    assert data["database"] == "ok"
    assert data["tasks"] == "in process"


def test_healthz_answers_plain_http_too(server):
    """Load balancers and the compose healthcheck probe it directly, so it is not redirected."""
    response, body = server.get("/healthz", https=False)
    assert response.status == 200, body
    assert json.loads(body)["database"] == "ok"


def test_compose_web_healthcheck_command_succeeds(server, production_env):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    code = command[3].replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**production_env, "ALLOWED_HOSTS": "localhost,127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr


def test_login_page_renders_over_https(server):
    response, body = server.get("/accounts/login/")
    assert response.status == 200, body
    assert "Log in" in body.decode()
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    assert response.getheader("X-Frame-Options") == "DENY"
    assert "Secure" in response.getheader("Set-Cookie", "")  # the CSRF cookie


def test_plain_http_is_redirected_to_https(server):
    response, _ = server.get("/", https=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://127.0.0.1:{server.port}/"


def test_whitenoise_serves_static_files(server):
    response, body = server.get("/static/css/app.css")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/css")
    assert body == (ROOT / "static" / "css" / "app.css").read_bytes()

    # Pages link the hashed name, which whitenoise serves compressed and cacheable forever.
    _, page = server.get("/accounts/login/")
    hashed = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.decode())
    assert hashed, "the login page does not link a hashed app.css"
    response, _ = server.get(hashed.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control", "")


# --- logs, metrics and error reporting, through gunicorn ------------------------------------------


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_production_logs_one_json_line_per_request_with_duration_and_user(server):
    marker = f"/healthz?probe={uuid.uuid4().hex}"
    response, _ = server.get(marker)
    assert response.status == 200
    requests = [
        line
        for line in _json_lines(server.log_path.read_text())
        if line.get("logger") == "smartdiplomacy.request" and line.get("path") == "/healthz"
    ]
    assert requests, server.log_path.read_text()
    line = requests[-1]
    assert line["method"] == "GET" and line["status"] == 200 and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] is None  # nobody signed in
    assert "probe=" not in server.log_path.read_text()  # query strings are never logged
    # gunicorn's own lines are JSON too, and its access log is off (one line per request).
    assert any(
        line.get("logger") == "gunicorn.error" for line in _json_lines(server.log_path.read_text())
    )
    assert not any(
        line.get("logger") == "gunicorn.access" for line in _json_lines(server.log_path.read_text())
    )


def test_production_metrics_need_the_token_and_sum_the_workers(server):
    response, _ = server.get("/metrics")
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == 'Bearer realm="metrics"'
    response, _ = server.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert response.status == 401

    server.get("/accounts/login/")
    response, body = server.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/plain")
    text = body.decode()
    # django-prometheus's request metrics, read from gunicorn's multiprocess directory.
    assert 'django_http_requests_total_by_view_transport_method_total{method="GET",' in text
    assert 'view="accounts:login"' in text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    # ops.metrics: jobs (in process here: no broker, so no queue gauge).
    assert "# TYPE smartdiplomacy_jobs gauge" in text
    assert "smartdiplomacy_queue_length" not in text


def test_production_metrics_over_plain_http_are_not_redirected(server):
    response, _ = server.get(
        "/metrics", https=False, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert response.status == 200


def test_sentry_is_on_with_a_dsn_and_sends_no_personal_data(production_env):
    script = (
        "import django; django.setup(); import sentry_sdk; from django.conf import settings; "
        "o = sentry_sdk.get_client().options; "
        "print(settings.SENTRY_ENABLED, o['send_default_pii'], o['include_local_variables'], "
        "o['max_request_body_size'], o['environment'])"
    )
    env = {**production_env, "SENTRY_DSN": "https://public@sentry.example.invalid/1"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "False", "never", "production"]


def test_sentry_is_off_without_a_dsn(settings):
    assert not os.environ.get("SENTRY_DSN")
    assert settings.SENTRY_ENABLED is False


# --- Docker files, read (no Docker engine here) ---------------------------------------------------


def test_compose_runs_the_whole_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION, name
        assert env["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY in .env}", name
        assert env["DATABASE_URL"].startswith("postgres://smartdiplomacy:"), name
        assert env["DATABASE_URL"].endswith("@postgres:5432/smartdiplomacy"), name
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0", name
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends_on["postgres"] == {"condition": "service_healthy"}, name
        assert depends_on["redis"] == {"condition": "service_healthy"}, name
    # `--scale worker=N` needs no fixed container name and no published port.
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]
    assert "$$HOSTNAME" in services["worker"]["healthcheck"]["test"][1]
    assert "--schedule" in services["beat"]["command"]


def test_dockerfile_bakes_no_secret():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"^\s*(ENV|ARG)\b[^\n]*\b(SECRET_KEY|ALLOWED_HOSTS)\b", dockerfile, re.M)
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER\s+(?!root\b)\S+", dockerfile, re.M), "the image must not run as root"
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    cmd = 'CMD ["gunicorn", "smartdiplomacy.wsgi:application", "-c", "gunicorn.conf.py"]'
    assert cmd in dockerfile


def test_the_image_can_back_up_the_compose_database():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "postgresql-client" in dockerfile  # pg_dump / pg_restore for manage.py backup
    # The client's major version is the server's: bookworm ships PostgreSQL 15's client.
    assert compose["services"]["postgres"]["image"] == "postgres:15"
    assert re.search(r"^FROM python:3\.11-slim-bookworm AS app$", dockerfile, re.M)
    assert "chown -R app:app /app/data /app/backups" in dockerfile  # the volume starts writable
