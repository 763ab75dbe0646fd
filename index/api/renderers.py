"""CSV of index scores: one row per score, safe to open in a spreadsheet.

A renderer of our own over the application's one CSV writer (``smartdiplomacy.spreadsheets``):
the columns are fixed by the serializer, and the writer defuses every cell, so that text starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is never run as a formula.
"""

from rest_framework.renderers import BaseRenderer

from smartdiplomacy.spreadsheets import csv_text

SCORE_COLUMNS = (
    "id",
    "engagement",
    "engagement_title",
    "engagement_kind",
    "country",
    "start_date",
    "end_date",
    "partnership",
    "methodology_id",
    "methodology_name",
    "methodology_version",
    "digital",
    "multi_stakeholder",
    "feminist",
    "composite",
    "completeness",
    "computed_at",
)


def score_csv_columns(indicator_codes) -> list[str]:
    """The header: the score's own columns, then ``<code>_value`` and ``<code>_contribution``."""
    return [
        *SCORE_COLUMNS,
        *(f"{code}_{part}" for code in indicator_codes for part in ("value", "contribution")),
    ]


def score_csv_row(score: dict, indicator_codes) -> list:
    """One serialized score as cells (raw values; the writer defuses them); unknown or absent
    indicators are empty cells."""
    methodology = score.get("methodology") or {}
    flat = {
        **score,
        "methodology_id": methodology.get("id"),
        "methodology_name": methodology.get("name"),
        "methodology_version": methodology.get("version"),
    }
    indicators = {indicator["code"]: indicator for indicator in score.get("indicators", [])}
    cells = [flat.get(column) for column in SCORE_COLUMNS]
    for code in indicator_codes:
        indicator = indicators.get(code, {})
        cells += [indicator.get("value"), indicator.get("contribution")]
    return cells


class ScoreCSVRenderer(BaseRenderer):
    """``text/csv`` for the scores list (one row per score on the page) and for one score.

    The view names the indicator columns (``csv_indicator_codes``) so that every page of a walk
    has the same header, whichever methodologies its rows were scored under.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        codes = getattr(view, "csv_indicator_codes", None) or []
        if isinstance(data, dict) and "results" in data:
            scores = data["results"]
        elif isinstance(data, dict):
            scores = [data]
        else:
            scores = list(data or [])
        rows = (score_csv_row(score, codes) for score in scores)
        return csv_text(score_csv_columns(codes), rows, bom=False).encode(self.charset)
