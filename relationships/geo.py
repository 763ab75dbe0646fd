"""Reads of the map: stakeholders and engagements by place, their clusters, and the index by
country, as one reader may see them.

Every actor comes from ``stakeholder_visible_to(user)`` through the stakeholder list's FilterSet,
every engagement from ``index.selectors.engagement_list`` (its composite as the reader's audience
reads it) through the engagement list's; the countries' counts are counted over those, and the
choropleth's composites are the index dashboard's by country (``index.selectors.score_summary``
over ``score_visible_to(user)``), so a hidden actor is never mapped, clustered, counted or
coloured for anyone not cleared for it: the answer is what it would be had it never existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django_countries import countries

from index.selectors import engagement_list, methodology_current, score_visible_to
from index.summaries import score_summary
from stakeholders.choices import Kind, Sensitivity
from stakeholders.filtersets import StakeholderFilterSet
from stakeholders.selectors import stakeholder_visible_to

from .clustering import Marker, clusters_make
from .geo_filters import ENGAGEMENT_PREFIX, MapEngagementFilterSet

LAYERS = ("stakeholders", "engagements")
MAP_MAX_FEATURES = 5_000  # per layer; the countries' counts always cover every row
ZOOM_MAX = 64.0


@dataclass
class MapView:
    features: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    countries: list[dict[str, Any]]
    unplaced: int
    truncated: bool
    methodology_version: int | None
    layers: list[str]
    zoom: float
    restricted_ids: list[int] = field(default_factory=list)

    @property
    def stakeholder_count(self) -> int:
        return sum(1 for f in self.features if f["properties"]["layer"] == "stakeholder")

    @property
    def engagement_count(self) -> int:
        return sum(1 for f in self.features if f["properties"]["layer"] == "engagement")

    def payload(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": self.features,
            "clusters": self.clusters,
            "countries": self.countries,
            "unplaced": self.unplaced,
            "truncated": self.truncated,
            "methodology_version": self.methodology_version,
            "layers": self.layers,
            "zoom": self.zoom,
        }


def map_numeric_code(code: str) -> str | None:
    """ISO 3166-1 numeric, as world-atlas names its shapes ("466" for Mali)."""
    number = countries.numeric(code) if code else None
    return f"{number:03d}" if number else None


def _url_of(url_name: str):
    """A detail URL for any id from one ``reverse`` (thousands of features, one lookup)."""
    marker = 987654321
    template = reverse(url_name, args=[marker])
    return lambda pk: template.replace(str(marker), str(pk))


def _point(longitude: float | None, latitude: float | None) -> dict | None:
    if longitude is None or latitude is None:
        return None
    return {"type": "Point", "coordinates": [longitude, latitude]}


def _precision(row: dict) -> str:
    if row["latitude"] is not None and row["longitude"] is not None:
        return "point"
    return "country" if row["country"] else "none"


def map_stakeholder_filterset(*, user, filters) -> StakeholderFilterSet:
    """The stakeholder list's FilterSet over what ``user`` may see."""
    return StakeholderFilterSet(
        filters, queryset=stakeholder_visible_to(user), request=SimpleNamespace(user=user)
    )


def map_engagement_filterset(*, user, filters, methodology=None) -> MapEngagementFilterSet:
    """The engagement list's FilterSet (prefix ``engagement-``) over ``engagement_list``."""
    return MapEngagementFilterSet(
        filters,
        queryset=engagement_list(methodology=methodology, user=user),
        request=SimpleNamespace(user=user),
    )


def _valid(filterset, prefix: str = ""):
    if not filterset.is_valid():
        raise ValidationError(
            {f"{prefix}{name}": errors for name, errors in filterset.errors.items()}
        )
    return filterset


def _counts_by_country(queryset) -> dict[str, int]:
    rows = queryset.order_by().values_list("country").annotate(n=Count("id"))
    return {country: n for country, n in rows.values_list("country", "n") if country}


def _stakeholder_feature(row: dict, *, key: str, kinds: dict, url) -> dict[str, Any]:
    """An actor as a GeoJSON feature (no geometry when no point is known)."""
    return {
        "type": "Feature",
        "id": key,
        "geometry": _point(row["longitude"], row["latitude"]),
        "properties": {
            "layer": "stakeholder",
            "pk": row["id"],
            "name": row["name"],
            "kind": row["kind"],
            "kind_label": kinds.get(row["kind"], row["kind"]),
            "country": row["country"],
            "subnational_area": row["subnational_area"],
            "precision": _precision(row),
            "sensitivity": row["sensitivity"],
            "url": url(row["id"]),
        },
    }


def _engagement_feature(row: dict, *, key: str, url) -> dict[str, Any]:
    """An engagement as a GeoJSON feature, with its composite for the reader's audience."""
    return {
        "type": "Feature",
        "id": key,
        "geometry": _point(row["longitude"], row["latitude"]),
        "properties": {
            "layer": "engagement",
            "pk": row["id"],
            "name": row["title"],
            "kind": row["kind"],
            "start_date": row["start_date"].isoformat(),
            "composite": None if row["composite"] is None else round(row["composite"], 1),
            "country": row["country"],
            "subnational_area": row["subnational_area"],
            "precision": _precision(row),
            "url": url(row["id"]),
        },
    }


def map_view(*, user, filters, layers=LAYERS, zoom: float = 1.0) -> MapView:
    """The map as ``user`` may see it: features (actors and engagements, GeoJSON points where a
    point is known), their clusters at ``zoom`` (``relationships.clustering``), and per country
    the actors and engagements shown and the index's mean composite for the reader's audience.

    ``filters`` (a QueryDict or dict) holds the stakeholder list's filters and the engagement
    list's under ``engagement-``; invalid ones raise ``ValidationError`` naming the field. At most
    ``MAP_MAX_FEATURES`` features of each layer (by name, then id); ``truncated`` says so.
    Eight queries whatever the number of rows (four for the index by country).
    """
    zoom = min(max(float(zoom), 1.0), ZOOM_MAX)
    layers = [layer for layer in LAYERS if layer in layers]
    methodology = methodology_current()
    features: list[dict[str, Any]] = []
    markers: list[Marker] = []
    truncated = False
    restricted: list[int] = []
    stakeholder_counts: dict[str, int] = {}
    engagement_counts: dict[str, int] = {}
    kinds = dict(Kind.choices)

    stakeholder_url = _url_of("stakeholders:stakeholder_detail")
    engagement_url = _url_of("index:engagement_detail")

    if "stakeholders" in layers:
        actors = _valid(map_stakeholder_filterset(user=user, filters=filters))
        shown = actors.qs.order_by("name", "id")
        fields: tuple[str, ...] = ("id", "name", "kind", "country", "subnational_area",
                                   "latitude", "longitude", "sensitivity")  # fmt: skip
        rows = list(shown.values(*fields)[: MAP_MAX_FEATURES + 1])
        truncated |= len(rows) > MAP_MAX_FEATURES
        rows = rows[:MAP_MAX_FEATURES]
        stakeholder_counts = _country_counts(shown, rows, over=truncated)
        for row in rows:
            key = f"stakeholder:{row['id']}"
            if row["sensitivity"] != Sensitivity.PUBLIC:
                restricted.append(row["id"])
            features.append(_stakeholder_feature(row, key=key, kinds=kinds, url=stakeholder_url))
            markers.append(
                Marker(key, "stakeholder", row["country"], row["longitude"], row["latitude"])
            )

    if "engagements" in layers:
        chosen = map_engagement_filterset(user=user, filters=filters, methodology=methodology)
        shown_engagements = _valid(chosen, f"{ENGAGEMENT_PREFIX}-").qs.order_by("title", "id")
        fields = ("id", "title", "kind", "start_date", "country", "subnational_area", "latitude",
                  "longitude", "composite")  # fmt: skip
        rows = list(shown_engagements.values(*fields)[: MAP_MAX_FEATURES + 1])
        over = len(rows) > MAP_MAX_FEATURES
        truncated |= over
        rows = rows[:MAP_MAX_FEATURES]
        engagement_counts = _country_counts(shown_engagements, rows, over=over)
        for row in rows:
            key = f"engagement:{row['id']}"
            features.append(_engagement_feature(row, key=key, url=engagement_url))
            markers.append(
                Marker(key, "engagement", row["country"], row["longitude"], row["latitude"])
            )

    clusters, unplaced = clusters_make(markers, zoom=zoom)
    return MapView(
        features=features,
        clusters=clusters,
        countries=_countries(
            user=user,
            methodology=methodology,
            stakeholders=stakeholder_counts,
            engagements=engagement_counts,
        ),
        unplaced=unplaced,
        truncated=truncated,
        methodology_version=methodology.version if methodology else None,
        layers=layers,
        zoom=zoom,
        restricted_ids=restricted,
    )


def _country_counts(queryset, rows: list[dict], *, over: bool) -> dict[str, int]:
    """Per country, the rows of the layer: counted in the database when they were cut at
    ``MAP_MAX_FEATURES``, else from the rows read."""
    return _counts_by_country(queryset) if over else _counted(row["country"] for row in rows)


def _counted(codes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code in codes:
        if code:
            counts[code] = counts.get(code, 0) + 1
    return counts


def map_index_by_country(*, user, methodology) -> dict[str, dict]:
    """The index dashboard's figures by country for ``user``'s audience (``score_summary`` over
    ``score_visible_to``, the current methodology): the choropleth's colours."""
    if methodology is None:
        return {}
    scores = score_visible_to(user).filter(methodology=methodology)
    return {
        row["country"]: row
        for row in score_summary(scores=scores, user=user)["by_country"]
        if row["country"]
    }


def _countries(*, user, methodology, stakeholders, engagements) -> list[dict]:
    index = map_index_by_country(user=user, methodology=methodology)
    codes = sorted(set(stakeholders) | set(engagements) | set(index))
    return [
        {
            "country": code,
            "name": countries.name(code) or code,
            "numeric": map_numeric_code(code),
            "stakeholders": stakeholders.get(code, 0),
            "engagements": engagements.get(code, 0),
            "mean_composite": None
            if code not in index or index[code]["mean_composite"] is None
            else round(index[code]["mean_composite"], 1),
            "scored": index[code]["count"] if code in index else 0,
        }
        for code in codes
    ]
