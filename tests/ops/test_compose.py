"""The compose stack carries every documented setting to the services that read it.

Read the way an operator meets them: the README's Configuration table, ``.env.example`` and
``docker-compose.yml``. ``docker compose config`` (or the standalone ``docker-compose``) validates
the file with the example environment when it is installed; where neither is (as on this project's
machines: Docker without its compose plugin) the file is read as YAML and every check below still
runs, so nothing is skipped.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"

APP_SERVICES = ("migrate", "web", "worker", "beat", "backup")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat", "backup")
# Documented variables the stack deliberately does not pass on, and why.
NOT_IN_THE_STACK = {
    "DEBUG": "production settings are always DEBUG = False",
    "EMBEDDED_TASKS_IN_THREADS": "only without a broker; the stack always has Redis",
}
# Variables the stack sets itself (not from .env), with the value it sets.
SET_BY_THE_STACK = {
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "MEDIA_ROOT",
    "BACKUP_DIR",
}
GUNICORN_VARIABLES = re.compile(r"^(GUNICORN_\w+|FORWARDED_ALLOW_IPS)$")


def _readme_variables() -> set[str]:
    text = README.read_text()
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def _settings_variables() -> set[str]:
    """Every variable Django's settings read (``env("NAME"…)``, ``env_bool``, ``env_list``)."""
    names = set()
    for path in (ROOT / "smartdiplomacy" / "settings").glob("*.py"):
        names.update(re.findall(r"env(?:_bool|_list)?\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    return names


def _example_variables() -> dict[str, str]:
    pairs = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), re.M)
    return dict(pairs)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_readme_documents_every_setting_the_app_reads():
    undocumented = _settings_variables() - _readme_variables()
    assert not undocumented, f"settings read but not in the README's table: {sorted(undocumented)}"


def test_every_readme_variable_reaches_the_services_that_read_it(compose):
    services = compose["services"]
    settings_variables = _settings_variables()
    raw = COMPOSE.read_text()
    missing = []
    for name in sorted(_readme_variables() - set(NOT_IN_THE_STACK)):
        if GUNICORN_VARIABLES.match(name):
            readers = ["web"]
        elif name in settings_variables or name == "DJANGO_SETTINGS_MODULE":
            readers = list(APP_SERVICES)
        else:  # compose's own (POSTGRES_PASSWORD, WEB_PORT, WORKER_CONCURRENCY, TAG…)
            if f"${{{name}:" not in raw and f"${{{name}}}" not in raw:
                missing.append(f"{name}: not used by docker-compose.yml")
            continue
        for service in readers:
            environment = services[service]["environment"]
            if name not in environment:
                missing.append(f"{name}: not in {service}'s environment")
            elif name not in SET_BY_THE_STACK and not str(environment[name]).startswith(
                f"${{{name}:"
            ):
                missing.append(f"{name}: {service} sets it without reading .env")
    assert not missing, "\n".join(missing)


def test_env_example_names_every_variable_compose_reads_and_nothing_else(compose):
    read = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
    example = _example_variables()
    assert set(example) == read
    # Each one explained: a comment right above it, or above its group.
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            above = lines[index - 1]
            assert above.startswith("#") or re.match(r"^[A-Z][A-Z0-9_]*=", above), line
    # The example's values pass the settings' own checks.
    assert len(example["SECRET_KEY"]) >= 50
    assert re.fullmatch(r"[A-Za-z0-9_-]+", example["POSTGRES_PASSWORD"])
    assert example["ALLOWED_HOSTS"]


def test_every_long_running_service_has_a_health_check_and_waits_for_migrate(compose):
    services = compose["services"]
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in ("web", "worker", "beat", "backup"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
    assert services["migrate"]["restart"] == "no"
    assert "healthcheck" not in services["migrate"]  # a job that exits, not a service
    assert services["backup"]["volumes"] == ["media:/app/data/media", "backups:/app/backups"]
    assert "backups" in compose["volumes"]


def test_the_readme_builds_the_image_and_uses_the_env_file():
    text = README.read_text()
    production = text[text.index("## Production stack") :]
    assert "docker compose up -d --build" in production
    assert "cp .env.example .env" in production
    assert not re.search(r"SECRET_KEY=\S+ .*docker compose up", text)  # no one-shot variables


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    return None


def test_docker_compose_config_is_clean_with_the_example_environment(compose):
    command = _compose_command()
    if command is None:
        # No compose here: the YAML parse (the fixture) and the checks above are the validation.
        assert compose["name"] == "smartdiplomacy" and set(compose["services"]) >= set(APP_SERVICES)
        return
    result = subprocess.run(
        [*command, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "config", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not result.stderr.strip(), result.stderr  # no warning about an unset variable
