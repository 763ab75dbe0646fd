"""/api/v1/scores/ as CSV: one row per score, paged through a Link header, safe in a spreadsheet."""

import csv
import io
import re

import pytest

from accounts.services import token_issue
from index import services
from index.models import Score
from stakeholders.choices import Kind, Sensitivity
from tests.api.conftest import error_of, signed_in, with_token
from tests.index.factories import EngagementFactory, EngagementParticipantFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/scores/"


@pytest.fixture
def client(scores_token):
    return with_token(scores_token)


def _rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _with_hidden_womens_group(v1, **facts):
    engagement = EngagementFactory(**facts)
    EngagementParticipantFactory(
        engagement=engagement,
        stakeholder=StakeholderFactory(
            name="Hidden Women's Network", kind=Kind.WOMENS_GROUP,
            sensitivity=Sensitivity.RESTRICTED,
        ),
    )  # fmt: skip
    services.score_compute(engagement=engagement, methodology=v1)
    return Score.objects.get(engagement=engagement, audience=Score.Audience.PUBLIC)


def test_csv_has_one_row_per_score_with_every_indicator(v1, client):
    score = _with_hidden_womens_group(
        v1, title="Consultation in Sana'a", country="YE", digital_channels=3
    )
    for response in (client.get(URL, {"format": "csv"}), client.get(URL, HTTP_ACCEPT="text/csv")):
        assert response.status_code == 200
        (row,) = _rows(response)
        assert row["id"] == str(score.pk) and row["engagement_title"] == "Consultation in Sana'a"
        assert row["country"] == "YE" and row["methodology_version"] == "1"
        assert float(row["digital"]) == pytest.approx(score.digital)
        assert float(row["completeness"]) == pytest.approx(score.completeness)
        d1 = next(i for i in score.indicators if i["code"] == "D1")
        assert float(row["D1_value"]) == d1["value"] == 3
        assert float(row["D1_contribution"]) == pytest.approx(d1["contribution"])
        codes = {i["code"] for i in v1.indicators}
        assert {f"{code}_value" for code in codes} <= set(row)
        # A partner token reads the score as if the hidden women's group never took part: no
        # participant it may see, so the participant indicators are unknown, as in JSON.
        assert row["F3_value"] == row["F3_contribution"] == row["M1_value"] == ""
        assert "Hidden" not in response.content.decode()


def test_cleared_people_get_the_participant_values(v1, cleared_analyst):
    _with_hidden_womens_group(v1)
    (row,) = _rows(signed_in(cleared_analyst).get(URL, {"format": "csv"}))
    assert float(row["F3_value"]) == 1.0 and float(row["M1_value"]) == 1.0


def test_cells_cannot_run_as_spreadsheet_formulas(v1, client):
    engagement = EngagementFactory(title='=HYPERLINK("http://evil.example","Click")')
    services.score_compute(engagement=engagement, methodology=v1)
    (row,) = _rows(client.get(URL, {"format": "csv"}))
    assert row["engagement_title"] == "'" + engagement.title


def test_csv_pages_are_walked_through_the_link_header(v1, client):
    for _ in range(5):
        services.score_compute(engagement=EngagementFactory(), methodology=v1)
    seen, url, pages = [], f"{URL}?format=csv&page_size=2", 0
    while url:
        response = client.get(url)
        seen += [row["id"] for row in _rows(response)]
        pages += 1
        link = response.get("Link")
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1) if link else None
    assert pages == 3 and len(seen) == len(set(seen)) == 5


def test_csv_keeps_the_filters(v1, client):
    services.score_compute(engagement=EngagementFactory(country="YE"), methodology=v1)
    services.score_compute(engagement=EngagementFactory(country="BD"), methodology=v1)
    rows = _rows(client.get(URL, {"format": "csv", "country": "BD"}))
    assert [row["country"] for row in rows] == ["BD"]


def test_one_score_as_csv(v1, client):
    score = services.score_compute(engagement=EngagementFactory(), methodology=v1)
    (row,) = _rows(client.get(f"{URL}{score.pk}/", {"format": "csv"}))
    assert row["id"] == str(score.pk)


def test_errors_stay_json_when_csv_is_asked_for(v1, client):
    response = client.get(URL, {"format": "csv", "min_digital": "lots"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "min_digital" in error_of(response)["fields"]
    refused = with_token(token_issue(partner="Registry", created_by=None).plaintext)
    response = refused.get(URL, HTTP_ACCEPT="text/csv")
    assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
