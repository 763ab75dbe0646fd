"""The scores API's data generation: answers already given stand until anything they read changes.

A request's validators, once computed, answer the same request again without a query for
``settings.SCORES_API_ANSWER_SECONDS`` (10 with a shared cache, none without: a per-process cache
cannot hear another process's writes), or until anything they are made of changes
(``scores_changed``), whichever comes first. The time limit also bounds what a write outside the
ORM's signals and the bulk paths could leave stale.

Every write that can change what the scores API shows (a score, an engagement, its participants
or outcomes, a methodology, a partnership, an outcome, a stakeholder's visibility) calls
``scores_changed`` — through model signals (``index.signals``) or, for bulk writes that send no
signal, explicitly. It moves the generation at once and again when the transaction commits, so
an answer computed from the data before the commit is never reused after it. It lives outside
``index.api`` so that services, signals and imports can call it without importing the API layer.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "index:scores-api:generation"


def data_generation(*, read: dict | None = None) -> str:
    """The current generation; ``read``: what was already read of the cache (the scores API
    reads it with the throttle's counter), to spare a round trip when it holds the key."""
    value = read.get(GENERATION_KEY) if read else None
    if value is None:
        value = cache.get(GENERATION_KEY)
    if value is None:
        value = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, value, None):
            value = cache.get(GENERATION_KEY) or value
    return value


def _generation_move() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def scores_changed(*, using: str | None = None) -> None:
    """Retire every remembered answer of the scores API (now, and once the transaction commits)."""
    _generation_move()
    transaction.on_commit(_generation_move, using=using)
