"""The power–interest grid of one outcome, as plain geometry (no Django, no database).

The ONE definition of the grid: interest runs along x (right = more) and influence up y (up =
more), both 0–1, split at 0.5 into Mendelow's four quadrants. The outcome page draws it as inline
SVG from here; any other drawing of the grid (the graph's outcome view) reads ``grid_definition()``
rather than keeping its own list, so that the two cannot disagree about which axis is which.
Everything here is a pure function of the stakes' numbers, so it is tested exactly and costs no
queries.
"""

import math
from dataclasses import dataclass

SPLIT = 0.5
X_AXIS = "interest"  # across, low on the left
Y_AXIS = "influence"  # up, low at the bottom


@dataclass(frozen=True)
class Quadrant:
    key: str
    label: str
    advice: str
    high_influence: bool
    high_interest: bool

    @property
    def column(self) -> int:
        """0 = left half (low interest), 1 = right half."""
        return int(self.high_interest)

    @property
    def row(self) -> int:
        """0 = top half (high influence), 1 = bottom half, as screens count rows."""
        return int(not self.high_influence)


QUADRANTS = (
    Quadrant("keep_satisfied", "Keep satisfied", "High influence, low interest", True, False),
    Quadrant("manage_closely", "Manage closely", "High influence, high interest", True, True),
    Quadrant("monitor", "Monitor", "Low influence, low interest", False, False),
    Quadrant("keep_informed", "Keep informed", "Low influence, high interest", False, True),
)
QUADRANT_BY_KEY = {quadrant.key: quadrant for quadrant in QUADRANTS}


def grid_definition() -> dict:
    """The grid as JSON-ready data for a client that draws it (e.g. the graph's outcome view).

    A stake sits at ``x = interest``, ``y = influence`` (up); quadrant ``column`` 0/1 is the
    left/right half, ``row`` 0/1 the top/bottom half.
    """
    return {
        "x": X_AXIS,
        "y": Y_AXIS,
        "split": SPLIT,
        "quadrants": [
            {
                "key": quadrant.key,
                "label": quadrant.label,
                "advice": quadrant.advice,
                "high_influence": quadrant.high_influence,
                "high_interest": quadrant.high_interest,
                "column": quadrant.column,
                "row": quadrant.row,
            }
            for quadrant in QUADRANTS
        ],
    }


def quadrant_of(*, interest: float, influence: float) -> Quadrant:
    """The quadrant of a stake; exactly 0.5 counts as high."""
    for quadrant in QUADRANTS:
        if quadrant.high_influence == (influence >= SPLIT) and quadrant.high_interest == (
            interest >= SPLIT
        ):
            return quadrant
    raise AssertionError("unreachable: the four quadrants cover every case")


@dataclass(frozen=True)
class Frame:
    """The chart's canvas in SVG units: the plot area sits inside margins that hold the axes."""

    width: int = 640
    height: int = 500
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 58
    # Points keep this far inside the plot area, so a stake at 0 or 1 never sits on an axis.
    inset: int = 14

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    def x(self, interest: float) -> float:
        usable = self.plot_width - 2 * self.inset
        return self.left + self.inset + _clamp(interest) * usable

    def y(self, influence: float) -> float:
        usable = self.plot_height - 2 * self.inset
        return self.top + self.inset + (1 - _clamp(influence)) * usable

    @property
    def mid_x(self) -> float:
        return self.x(SPLIT)

    @property
    def mid_y(self) -> float:
        return self.y(SPLIT)

    @property
    def plot_right(self) -> int:
        return self.left + self.plot_width

    @property
    def plot_bottom(self) -> int:
        return self.top + self.plot_height


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


# Points closer than this (SVG units) to an earlier one are nudged around it, so that two actors
# with the same scores both stay visible and hoverable.
COLLISION_DISTANCE = 10.0
NUDGE_STEP = 7.5
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def place_points(values: list[tuple[float, float]], frame: Frame) -> list[tuple[float, float]]:
    """SVG centres for (interest, influence) pairs, in the same order.

    Exact positions, except that a point landing on top of an earlier one is moved outwards on a
    sunflower spiral until it is clear, and never outside the plot area.
    """
    placed: list[tuple[float, float]] = []
    for interest, influence in values:
        base_x, base_y = frame.x(interest), frame.y(influence)
        x, y = base_x, base_y
        step = 0
        while any(math.dist((x, y), other) < COLLISION_DISTANCE for other in placed) and step < 60:
            step += 1
            radius = NUDGE_STEP * math.sqrt(step)
            angle = step * GOLDEN_ANGLE
            x = _within(base_x + radius * math.cos(angle), frame.left + 6, frame.plot_right - 6)
            y = _within(base_y + radius * math.sin(angle), frame.top + 6, frame.plot_bottom - 6)
        placed.append((round(x, 1), round(y, 1)))
    return placed


def _within(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def quadrant_boxes(frame: Frame) -> list[dict]:
    """Each quadrant's rectangle and the corner where its label goes (outer corners)."""
    left, top = frame.left, frame.top
    right, bottom = frame.plot_right, frame.plot_bottom
    mid_x, mid_y = frame.mid_x, frame.mid_y
    pad = 10
    boxes = []
    for quadrant in QUADRANTS:
        x0, x1 = (mid_x, right) if quadrant.column else (left, mid_x)
        y0, y1 = (mid_y, bottom) if quadrant.row else (top, mid_y)
        boxes.append(
            {
                "quadrant": quadrant,
                "x": round(x0, 1),
                "y": round(y0, 1),
                "width": round(x1 - x0, 1),
                "height": round(y1 - y0, 1),
                "label_x": round(x1 - pad if quadrant.high_interest else x0 + pad, 1),
                "label_y": round(y0 + pad + 12 if quadrant.high_influence else y1 - pad, 1),
                "anchor": "end" if quadrant.high_interest else "start",
            }
        )
    return boxes
