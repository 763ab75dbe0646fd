"""The API's JSON renderer: orjson's speed, DRF's output."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from smartdiplomacy.api.renderers import FastJSONRenderer
from stakeholders.choices import Kind

UTC = datetime.UTC
DATA = {
    "id": 7,
    "score": 61.25,
    "small": 1e-05,
    "missing": None,
    "flags": [True, False],
    "name": "Réseau des femmes — ‘Sahel’ 🌍",
    "separators": "line\u2028para\u2029end",
    "kind": Kind.NGO,
    "lazy": gettext_lazy("Sector"),
    "amount": decimal.Decimal("12.50"),
    "key": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "computed_at": datetime.datetime(2026, 11, 26, 3, 4, 5, 678901, tzinfo=UTC),
    "start_date": datetime.date(2026, 1, 31),
    "nested": [{"a": (1, 2)}, {3: "int key"}],
}


def test_it_renders_what_drfs_renderer_renders():
    fast = FastJSONRenderer().render(DATA, "application/json")
    slow = JSONRenderer().render(DATA, "application/json")
    assert json.loads(fast) == json.loads(slow)
    parsed = json.loads(fast)
    # DRF's own formats for what JSON has no type for.
    assert parsed["computed_at"] == "2026-11-26T03:04:05.678901Z"
    assert parsed["start_date"] == "2026-01-31" and parsed["kind"] == "ngo"
    assert parsed["lazy"] == "Sector" and parsed["key"] == str(DATA["key"])
    # Compact UTF-8, with U+2028 / U+2029 escaped so that the body is valid JavaScript too.
    assert b", " not in fast and "Réseau".encode() in fast
    assert b"\\u2028" in fast and b"\\u2029" in fast and "\u2028".encode() not in fast


def test_an_indented_answer_is_drfs():
    data = {"a": [1, 2]}
    body = FastJSONRenderer().render(data, "application/json; indent=2")
    assert body == JSONRenderer().render(data, "application/json; indent=2")
    assert body.startswith(b"{\n  ")


def test_nothing_renders_as_nothing_and_the_unknown_is_refused():
    assert FastJSONRenderer().render(None) == b""
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"x": object()})


def test_the_api_answers_with_it(analyst):
    from tests.api.conftest import signed_in

    response = signed_in(analyst).get("/api/v1/outcomes/")
    assert response.status_code == 200
    assert type(response.accepted_renderer) is FastJSONRenderer
