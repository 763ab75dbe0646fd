"""What a newcomer meets on the first `make run`: a list of targets, a favicon, no 404 per page."""

import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]


def test_make_help_lists_every_documented_target():
    result = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines()[2:] if line.strip()]
    documented = [
        line[3:].split(":", 1)[0]
        for line in (ROOT / "Makefile").read_text().splitlines()
        if line.startswith("## ")
    ]
    assert listed == documented
    assert {"run", "test", "lint", "help"} <= set(listed)


@pytest.mark.django_db
def test_the_favicon_is_served_at_the_root_and_named_by_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("favicon.svg")  # collected with the other static files
