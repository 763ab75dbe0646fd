"""Stakeholder salience (Mitchell, Agle & Wood 1997, "Toward a theory of stakeholder
identification and salience"): pure rules, no Django.

Each of the three attributes is assessed per stakeholder and outcome on one scale:

* **power** — can the actor impose its will on the outcome (coercive, utilitarian or normative
  means)?
* **legitimacy** — is its claim or its action seen as proper, desirable, appropriate?
* **urgency** — is its claim time-sensitive and critical to it?

Scale (``SCALE``): 0 none, 1 low, 2 moderate, 3 high. An attribute is **present** at
``PRESENT_AT`` = 2 or more (moderate or high): the theory's attributes are binary, and a "low"
reading is recorded (it tells a later assessor something) without making the actor salient.

The class follows from which attributes are present (``salience_class``):

========================  ========  ==================================================
present                   class     group
========================  ========  ==================================================
power                     dormant   latent (one attribute)
legitimacy                discretionary  latent
urgency                   demanding latent
power + legitimacy        dominant  expectant (two attributes)
power + urgency           dangerous expectant
legitimacy + urgency      dependent expectant
all three                 definitive  definitive
none                      not a stakeholder  —
========================  ========  ==================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCALE_MIN, SCALE_MAX = 0, 3
SCALE = ((0, "0 none"), (1, "1 low"), (2, "2 moderate"), (3, "3 high"))
PRESENT_AT = 2
ATTRIBUTES = ("power", "legitimacy", "urgency")


@dataclass(frozen=True)
class SalienceClass:
    key: str
    label: str
    group: str  # latent, expectant, definitive, none
    attributes: tuple[str, ...]  # the attributes present
    advice: str


CLASSES: tuple[SalienceClass, ...] = (
    SalienceClass("definitive", "Definitive", "definitive", ("power", "legitimacy", "urgency"),
                  "Power, legitimacy and urgency: give their claims immediate priority."),
    SalienceClass("dominant", "Dominant", "expectant", ("power", "legitimacy"),
                  "Power and legitimacy: their expectations matter; keep them formally engaged."),
    SalienceClass("dangerous", "Dangerous", "expectant", ("power", "urgency"),
                  "Power and urgency without legitimacy: may act coercively; watch closely."),
    SalienceClass("dependent", "Dependent", "expectant", ("legitimacy", "urgency"),
                  "Legitimacy and urgency without power: depend on others to press their claim."),
    SalienceClass("dormant", "Dormant", "latent", ("power",),
                  "Power only: little contact today, but could gain urgency or legitimacy."),
    SalienceClass("discretionary", "Discretionary", "latent", ("legitimacy",),
                  "Legitimacy only: no pressure to engage; natural partners for goodwill."),
    SalienceClass("demanding", "Demanding", "latent", ("urgency",),
                  "Urgency only: insistent but without power or legitimacy."),
    SalienceClass("none", "Not a stakeholder", "none", (),
                  "No attribute present (each below 2 on the scale)."),
)  # fmt: skip
BY_KEY = {cls.key: cls for cls in CLASSES}
_BY_ATTRIBUTES = {frozenset(cls.attributes): cls for cls in CLASSES}


def is_present(value: int) -> bool:
    """Whether a reading on the 0–3 scale counts as the attribute being present."""
    return value >= PRESENT_AT


def check_scale(value: object) -> int:
    """``value`` as an int on the scale; ValueError naming the range otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number from {SCALE_MIN} to {SCALE_MAX}")
    if not SCALE_MIN <= value <= SCALE_MAX:
        raise ValueError(f"must be from {SCALE_MIN} (none) to {SCALE_MAX} (high), not {value}")
    return value


def salience_class(*, power: int, legitimacy: int, urgency: int) -> SalienceClass:
    """The Mitchell–Agle–Wood class of one assessment (each attribute 0–3, present at ≥ 2)."""
    readings = {"power": power, "legitimacy": legitimacy, "urgency": urgency}
    present = frozenset(name for name, value in readings.items() if is_present(check_scale(value)))
    return _BY_ATTRIBUTES[present]


def class_counts(keys: Iterable[str]) -> list[tuple[SalienceClass, int]]:
    """How many of ``keys`` (class keys, one per actor) fall in each class, in ``CLASSES``
    order, zeros included."""
    counts = dict.fromkeys(BY_KEY, 0)
    for key in keys:
        counts[key] += 1
    return [(cls, counts[cls.key]) for cls in CLASSES]


# Where each class's count sits in the three-circle (Venn) drawing of the outcome page: power
# top left, legitimacy top right, urgency below; "none" outside the circles.
VENN_WIDTH, VENN_HEIGHT = 300, 270
VENN_CIRCLES = (
    ("power", "Power", 112, 100),
    ("legitimacy", "Legitimacy", 188, 100),
    ("urgency", "Urgency", 150, 166),
)
VENN_RADIUS = 72
VENN_SPOTS = {
    "dormant": (84, 80),
    "discretionary": (216, 80),
    "demanding": (150, 204),
    "dominant": (150, 72),
    "dangerous": (112, 150),
    "dependent": (188, 150),
    "definitive": (150, 122),
    "none": (268, 250),
}
