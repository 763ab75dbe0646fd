"""The scores' public shape as plain dicts: the API's list and the webhooks' posts send the same.

Kept outside ``index.api`` so that services (webhook deliveries) can build it without importing
the API layer; ``index.api.serializers.ScoreSerializer`` is the schema's description of it.
"""

import orjson
from rest_framework import serializers

_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def _date(value):
    return None if value is None else _DATE.to_representation(value)


def score_rows(scores, *, user) -> list[dict]:
    """``ScoreSerializer``'s output for many scores read with ``.values()`` (see the list view).

    The list endpoint renders up to 200 scores with 18 indicators each; model instances and DRF
    fields per row cost more than the query. A test pins that both give the same output. The
    indicators come as the column's JSON text (``indicators_json``), parsed here by orjson: with
    the JSONField's ``json.loads`` parsing them was a fifth of rendering a page.
    """
    return [
        {
            "id": row["id"],
            "engagement": row["engagement_id"],
            "engagement_title": row["engagement__title"],
            "engagement_kind": row["engagement__kind"],
            "country": row["engagement__country"] or "",
            "start_date": _date(row["engagement__start_date"]),
            "end_date": _date(row["engagement__end_date"]),
            "partnership": row["partnership_shown"],
            "methodology": {
                "id": row["methodology_id"],
                "name": row["methodology__name"],
                "version": row["methodology__version"],
            },
            "digital": row["digital"],
            "multi_stakeholder": row["multi_stakeholder"],
            "feminist": row["feminist"],
            "composite": row["composite"],
            "completeness": row["completeness"],
            "indicators": orjson.loads(row["indicators_json"]),
            "computed_at": _DATETIME.to_representation(row["computed_at"]),
        }
        for row in scores
    ]
