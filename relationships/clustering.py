"""Clusters of map markers, without Django: by country at world zoom, by a grid of coordinates
when zoomed in.

The map (``relationships.geo``) asks for the clusters of one zoom level. Below
``COUNTRY_ZOOM_BELOW`` every marker joins its country's cluster (one disc per country, placed by
the browser on the country's shape). From there, markers with a point join the cell of a square
grid of ``CELL_DEGREES / zoom`` degrees that holds it (a cluster sits at the mean of its points),
and markers known only by their country stay in their country's cluster. A marker with neither
a point nor a country is not drawn: it is counted in ``unplaced``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

COUNTRY_ZOOM_BELOW = 3.0
CELL_DEGREES = 24.0  # a grid cell's side at zoom 1; 8° at zoom 3, 0.6° at zoom 40


@dataclass(frozen=True)
class Marker:
    key: str  # "stakeholder:12", "engagement:7"
    layer: str  # "stakeholder" or "engagement"
    country: str  # ISO 3166-1 alpha-2, or ""
    longitude: float | None = None
    latitude: float | None = None

    @property
    def located(self) -> bool:
        return self.longitude is not None and self.latitude is not None


def cell_degrees(zoom: float) -> float:
    return CELL_DEGREES / max(zoom, 1.0)


def clusters_make(markers: Iterable[Marker], *, zoom: float) -> tuple[list[dict], int]:
    """The clusters at ``zoom`` (1 = the whole world) and how many markers could not be placed.

    Each cluster: ``key`` (``country:ML`` or ``grid:<column>:<row>``), ``by``
    (``country`` or ``point``), ``country`` (its code for a country cluster, else the country of
    its points when they all share one, else ""), ``coordinates`` ([longitude, latitude], the mean
    of its points; None for a country cluster, which the browser places on the country's shape),
    ``count``, ``stakeholders``, ``engagements`` and ``members`` (the markers' keys, in the order
    given). Sorted by key, so the same markers always give the same answer.
    """
    by_points = zoom >= COUNTRY_ZOOM_BELOW
    size = cell_degrees(zoom)
    groups: dict[str, list[Marker]] = {}
    unplaced = 0
    for marker in markers:
        if by_points and marker.located:
            assert marker.longitude is not None and marker.latitude is not None
            column = math.floor((marker.longitude + 180.0) / size)
            row = math.floor((marker.latitude + 90.0) / size)
            key = f"grid:{column}:{row}"
        elif marker.country:
            key = f"country:{marker.country}"
        else:
            unplaced += 1
            continue
        groups.setdefault(key, []).append(marker)
    clusters = []
    for key in sorted(groups):
        members = groups[key]
        is_country = key.startswith("country:")
        countries = {m.country for m in members}
        coordinates = None
        if not is_country:
            coordinates = [
                round(sum(m.longitude or 0.0 for m in members) / len(members), 6),
                round(sum(m.latitude or 0.0 for m in members) / len(members), 6),
            ]
        clusters.append(
            {
                "key": key,
                "by": "country" if is_country else "point",
                "country": members[0].country if len(countries) == 1 else "",
                "coordinates": coordinates,
                "count": len(members),
                "stakeholders": sum(1 for m in members if m.layer == "stakeholder"),
                "engagements": sum(1 for m in members if m.layer == "engagement"),
                "members": [m.key for m in members],
            }
        )
    return clusters, unplaced
