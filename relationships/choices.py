from django.db import models


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    EVENT = "event", "Event"
    VISIT = "visit", "Visit"


class Sentiment(models.IntegerChoices):
    """How the contact went, as the person who logs it judged it, on a five-point scale:

    * −2 very negative: hostile, or a setback;
    * −1 negative: reluctant, concerns raised;
    * 0 neutral: informational, no lean either way;
    * +1 positive: interested, open to working together;
    * +2 very positive: committed, ready to act.

    Left empty when nobody judged it (never read as neutral)."""

    VERY_NEGATIVE = -2, "−2 very negative"
    NEGATIVE = -1, "−1 negative"
    NEUTRAL = 0, "0 neutral"
    POSITIVE = 1, "+1 positive"
    VERY_POSITIVE = 2, "+2 very positive"


SENTIMENT_MIN, SENTIMENT_MAX = -2, 2
