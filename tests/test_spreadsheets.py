"""One CSV writer for every CSV the application writes: a text cell that a spreadsheet would run
as a formula is written with a leading apostrophe, on every route that writes CSV."""

import csv
import io

import pytest
from django.urls import reverse

from index import services as index_services
from index.models import Methodology
from partnerships.models import PartnershipStatus
from smartdiplomacy.spreadsheets import FORMULA_TRIGGERS, csv_text, safe_cell
from stakeholders.choices import Kind
from stakeholders.imports.planning.files import PLANNERS
from tests.api.conftest import signed_in
from tests.index.factories import EngagementFactory
from tests.partnerships.partnership_helpers import make_partnership
from tests.stakeholders.factories import OutcomeFactory, StakeholderFactory, TieFactory

# One name per trigger: =, +, -, @, a tab and a carriage return.
FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def test_safe_cell_defuses_every_trigger_and_leaves_numbers_alone():
    assert {text[0] for text in FORMULAS} == set(FORMULA_TRIGGERS)
    for text in FORMULAS:
        assert safe_cell(text) == "'" + text
    assert safe_cell(-1.5) == "-1.5" and safe_cell(-3) == "-3"
    assert safe_cell(None) == "" and safe_cell(True) == "true" and safe_cell("Plain") == "Plain"


def test_the_writer_defuses_every_cell_itself():
    text = csv_text(["name", "n"], [[name, -1] for name in FORMULAS], bom=False)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + name for name in FORMULAS]
    assert {row[1] for row in rows[1:]} == {"-1"}


def _cells(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [
        cell
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
        for cell in row
    ]


def _assert_defused(cells: list[str], names: list[str]) -> None:
    for name in names:
        assert "'" + name in cells, name
    for cell in cells:
        assert not cell.startswith(FORMULA_TRIGGERS), cell


@pytest.fixture
def formula_registry(db):
    """Public stakeholders named like formulas, each tied to the next, sharing an outcome."""
    actors = [StakeholderFactory(name=name, kind=Kind.NGO) for name in FORMULAS]
    for first, second in zip(actors, actors[1:], strict=False):
        TieFactory(from_stakeholder=first, to_stakeholder=second, strength=0.8)
    return actors


def test_stakeholder_and_outcome_exports(client, analyst, formula_registry):
    OutcomeFactory(title="=1+1 outcome", theme="@theme")
    client.force_login(analyst)
    _assert_defused(_cells(client.get(reverse("stakeholders:stakeholder_export"))), FORMULAS)
    cells = _cells(client.get(reverse("stakeholders:outcome_export")))
    _assert_defused(cells, ["=1+1 outcome", "@theme"])


def test_graph_csv_export(client, analyst, formula_registry):
    client.force_login(analyst)
    response = client.get(reverse("graph:export", args=["csv"]))
    _assert_defused(_cells(response), FORMULAS)


def test_partnership_export(client, officer, reviewer):
    make_partnership(
        proposer=officer,
        reviewer=reviewer,
        status=PartnershipStatus.PROPOSED,
        title=FORMULAS[0],
        members=[StakeholderFactory(name=FORMULAS[3]), StakeholderFactory(name="Plain NGO")],
    )
    client.force_login(officer)
    cells = _cells(client.get(reverse("partnerships:partnership_export")))
    _assert_defused(cells, [FORMULAS[0]])


@pytest.mark.parametrize("kind", list(PLANNERS))
def test_import_templates(client, officer, kind):
    client.force_login(officer)
    cells = _cells(client.get(reverse("stakeholder_imports:template_download", args=[kind])))
    _assert_defused(cells, [])


def test_scores_api_csv(db, analyst):
    methodology = Methodology.objects.get(name="Smart Diplomacy Index", version=1)
    engagement = EngagementFactory(title=FORMULAS[2])
    score = index_services.score_compute(engagement=engagement, methodology=methodology)
    client = signed_in(analyst)
    _assert_defused(_cells(client.get("/api/v1/scores/", {"format": "csv"})), [FORMULAS[2]])
    cells = _cells(client.get(f"/api/v1/scores/{score.pk}/", {"format": "csv"}))
    _assert_defused(cells, [FORMULAS[2]])
