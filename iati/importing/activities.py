"""Activities as stored: their digest, and the parser's dataclass back from a payload."""

import datetime as dt
import hashlib
import json

from ..models import (
    IatiActivity,
)
from ..parser import Activity, Organisation

IDENTIFIER_MAX_LENGTH = IatiActivity._meta.get_field("iati_identifier").max_length


def _digest(payload: dict) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _activity_from_payload(payload: dict) -> Activity:
    """The stored version of an activity, back as the parser's dataclass."""

    def org(data):
        return Organisation(**data) if data else None

    return Activity(
        identifier=payload["identifier"],
        last_updated=dt.datetime.fromisoformat(payload["last_updated"])
        if payload.get("last_updated")
        else None,
        version=payload.get("version", ""),
        default_currency=payload.get("default_currency", ""),
        reporting_org=org(payload.get("reporting_org")),
        participating_orgs=tuple(org(data) for data in payload.get("participating_orgs", [])),
        title=payload.get("title", ""),
        dates={key: dt.date.fromisoformat(value) for key, value in payload["dates"].items()},
        recipient_countries=tuple(tuple(pair) for pair in payload.get("recipient_countries", [])),
        recipient_regions=tuple(tuple(item) for item in payload.get("recipient_regions", [])),
        sectors=tuple(tuple(pair) for pair in payload.get("sectors", [])),
        other_sector_count=payload.get("other_sector_count", 0),
        gender_marker=payload.get("gender_marker"),
        budget_total=payload.get("budget_total"),
    )
