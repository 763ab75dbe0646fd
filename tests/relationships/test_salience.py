"""The salience rule (relationships/salience.py), checked by hand against Mitchell, Agle & Wood's
table: which attributes are present (≥ 2 on the 0–3 scale) decides the class."""

import math

import pytest

from relationships import salience
from relationships.salience import class_counts, salience_class


@pytest.mark.parametrize(
    ("power", "legitimacy", "urgency", "expected", "group"),
    [
        (3, 0, 0, "dormant", "latent"),
        (0, 2, 1, "discretionary", "latent"),
        (1, 1, 3, "demanding", "latent"),
        (2, 2, 0, "dominant", "expectant"),
        (3, 1, 2, "dangerous", "expectant"),
        (0, 3, 3, "dependent", "expectant"),
        (2, 2, 2, "definitive", "definitive"),
        (1, 1, 1, "none", "none"),
        (0, 0, 0, "none", "none"),
    ],
)
def test_the_class_follows_from_the_attributes_present(power, legitimacy, urgency, expected, group):
    cls = salience_class(power=power, legitimacy=legitimacy, urgency=urgency)
    assert (cls.key, cls.group) == (expected, group)


def test_present_starts_at_moderate():
    assert [salience.is_present(v) for v in range(4)] == [False, False, True, True]
    assert salience.PRESENT_AT == 2


@pytest.mark.parametrize("value", [-1, 4, 2.5, True, "2", None])
def test_a_reading_off_the_scale_is_refused_naming_the_range(value):
    with pytest.raises(ValueError, match="0|whole number"):
        salience_class(power=value, legitimacy=0, urgency=0)


def test_the_eight_classes_cover_every_combination_once():
    keys = {
        salience_class(power=p, legitimacy=lg, urgency=u).key
        for p in (0, 3)
        for lg in (0, 3)
        for u in (0, 3)
    }
    assert keys == set(salience.BY_KEY) and len(salience.CLASSES) == 8


def test_class_counts_keep_zero_classes_in_a_fixed_order():
    counts = class_counts(["dominant", "dominant", "none"])
    assert [cls.key for cls, _ in counts] == [cls.key for cls in salience.CLASSES]
    assert dict((cls.key, n) for cls, n in counts)["dominant"] == 2
    assert sum(n for _, n in counts) == 3


def test_each_count_of_the_venn_sits_in_exactly_its_circles():
    for cls in salience.CLASSES:
        x, y = salience.VENN_SPOTS[cls.key]
        inside = {
            key
            for key, _label, cx, cy in salience.VENN_CIRCLES
            if math.dist((x, y), (cx, cy)) < salience.VENN_RADIUS - 10
        }
        outside = {
            key
            for key, _label, cx, cy in salience.VENN_CIRCLES
            if math.dist((x, y), (cx, cy)) > salience.VENN_RADIUS + 10
        }
        assert inside == set(cls.attributes), cls.key
        assert inside | outside == set(salience.ATTRIBUTES), cls.key
