"""The power–interest grid's geometry: quadrants, positions inside the plot, no hidden overlaps."""

import json
import math

import pytest

from stakeholders.power_interest import (
    COLLISION_DISTANCE,
    Frame,
    grid_definition,
    place_points,
    quadrant_boxes,
    quadrant_of,
)


@pytest.mark.parametrize(
    ("interest", "influence", "quadrant"),
    [
        (0.9, 0.9, "manage_closely"),
        (0.1, 0.9, "keep_satisfied"),
        (0.9, 0.1, "keep_informed"),
        (0.1, 0.1, "monitor"),
        (0.5, 0.5, "manage_closely"),  # the split counts as high
        (0.49, 0.5, "keep_satisfied"),
        (0.5, 0.49, "keep_informed"),
    ],
)
def test_quadrant_of(interest, influence, quadrant):
    assert quadrant_of(interest=interest, influence=influence).key == quadrant


def test_interest_runs_right_and_influence_up_inside_the_plot():
    frame = Frame()
    assert frame.x(0) < frame.x(0.5) < frame.x(1)
    assert frame.y(0) > frame.y(0.5) > frame.y(1)
    # Points at the extremes keep clear of the axes (and their labels outside the plot).
    assert frame.x(0) - frame.left == frame.inset
    assert frame.plot_bottom - frame.y(0) == frame.inset
    assert frame.mid_x == pytest.approx(frame.left + frame.plot_width / 2)
    assert frame.mid_y == pytest.approx(frame.top + frame.plot_height / 2)


def test_points_with_the_same_scores_are_nudged_apart_but_stay_inside():
    frame = Frame()
    values = [(1.0, 1.0)] * 12 + [(0.3, 0.6)]
    centres = place_points(values, frame)
    assert len(centres) == 13
    for index, centre in enumerate(centres[:12]):
        for other in centres[:index]:
            assert math.dist(centre, other) >= COLLISION_DISTANCE - 0.2
        assert frame.left < centre[0] < frame.plot_right
        assert frame.top < centre[1] < frame.plot_bottom
    # A point with room keeps its exact place.
    assert centres[12] == (round(frame.x(0.3), 1), round(frame.y(0.6), 1))


def test_quadrant_boxes_tile_the_plot():
    frame = Frame()
    boxes = {box["quadrant"].key: box for box in quadrant_boxes(frame)}
    area = sum(box["width"] * box["height"] for box in boxes.values())
    assert area == pytest.approx(frame.plot_width * frame.plot_height, rel=1e-3)
    assert boxes["manage_closely"]["x"] == pytest.approx(frame.mid_x, abs=0.1)
    assert boxes["manage_closely"]["y"] == frame.top
    assert boxes["monitor"]["anchor"] == "start" and boxes["keep_informed"]["anchor"] == "end"


def test_the_one_definition_puts_interest_across_and_influence_up():
    """The graph's outcome view drew influence across and interest up (issue 13): any drawing of
    the grid reads this definition, whose columns follow interest and rows follow influence."""
    definition = grid_definition()
    assert (definition["x"], definition["y"], definition["split"]) == ("interest", "influence", 0.5)
    where = {q["key"]: (q["column"], q["row"]) for q in definition["quadrants"]}
    assert where == {
        "keep_satisfied": (0, 0),  # low interest (left), high influence (top)
        "manage_closely": (1, 0),
        "monitor": (0, 1),
        "keep_informed": (1, 1),  # high interest (right), low influence (bottom)
    }
    for q in definition["quadrants"]:
        assert q["column"] == int(q["high_interest"]) and q["row"] == int(not q["high_influence"])
    json.dumps(definition)  # plain data, ready for json_script


@pytest.mark.parametrize(
    ("interest", "influence"), [(0.1, 0.9), (0.9, 0.9), (0.1, 0.1), (0.9, 0.1)]
)
def test_a_point_lands_in_the_box_of_its_own_quadrant(interest, influence):
    frame = Frame()
    ((x, y),) = place_points([(interest, influence)], frame)
    key = quadrant_of(interest=interest, influence=influence).key
    (box,) = [box for box in quadrant_boxes(frame) if box["quadrant"].key == key]
    assert box["x"] <= x <= box["x"] + box["width"]
    assert box["y"] <= y <= box["y"] + box["height"]
