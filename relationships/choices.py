from django.db import models


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    EVENT = "event", "Event"
    VISIT = "visit", "Visit"


class Sentiment(models.IntegerChoices):
    """How the contact went, as the person who logs it judged it: a five-point scale from -2 to
    +2, 0 neutral. Left empty when nobody judged it (never read as neutral)."""

    VERY_NEGATIVE = -2, "Very negative (−2): hostile, or a setback"
    NEGATIVE = -1, "Negative (−1): reluctant, concerns raised"
    NEUTRAL = 0, "Neutral (0): informational, no lean either way"
    POSITIVE = 1, "Positive (+1): interested, open to working together"
    VERY_POSITIVE = 2, "Very positive (+2): committed, ready to act"


SENTIMENT_MIN, SENTIMENT_MAX = -2, 2
