"""Conditional requests on the scores API: ``ETag`` / ``Last-Modified`` and ``304 Not Modified``.

The validators come from one aggregate query over exactly the rows a response would show (the
page's window of ``page_size + 1`` rows for a list, the filtered set for the summary, one score
for a detail): how many, which (sum of ids), when last computed and when their engagements were
last edited, plus the newest audit-history row of engagements, methodologies, partnerships and
outcomes, which moves on every edit and every delete (a deleted engagement's scores leave no row
behind to date the change). The ETag also folds in what else changes the body: the path and its
query (filters, cursor, page size, ``format``), the negotiated media type and whether the caller
is cleared (or, for the summary, who the caller is, since partnerships are listed per caller).
Nothing is rendered to answer 304.
"""

import contextlib
import datetime
import functools
import hashlib
import json
import threading
import time

import cachetools
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, DateTimeField, Max, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from partnerships.models import Partnership
from stakeholders.models import Outcome

from ..generation import data_generation, scores_changed  # noqa: F401  (re-exported)
from ..models import Engagement, Methodology

# Bump when the body of a response changes shape, so that clients' cached copies are not reused.
BODY_VERSION = "scores-v1"
VARY = ("Accept", "Authorization", "Cookie")
# Rendered bodies are kept this long under their ETag (see ``Validators.cached_response``).
BODY_CACHE_SECONDS = 300
# A request's validators, once computed, answer the same request again without a query for
# ``settings.SCORES_API_ANSWER_SECONDS``, or until the data generation moves (index.generation).


def request_fingerprint(request, *, audience: str) -> str:
    """What, besides the data, decides the body: host, path, query, media type, audience."""
    material = [
        BODY_VERSION,
        request.scheme,
        request.get_host(),  # the body's next / previous links are absolute URLs
        request.path,
        sorted(request.query_params.lists()),
        getattr(request, "accepted_media_type", ""),
        audience,
    ]
    return hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()[:32]


def answer_key(*, fingerprint: str, generation: str) -> str:
    # "answer2": an answer is (ETag, Last-Modified, expiry) since 2026-11-26, no longer a pair.
    return f"index:scores-api:answer2:{generation}:{fingerprint}"


# --- what each process keeps itself, in front of the shared cache ----------------------------
#
# Both are keyed by what decides them, so a copy kept in the process is as right as the shared
# one: a body by its ETag (the ETag changes whenever the body would), a remembered answer by the
# data generation it was given under (read from the shared cache at every request) and only until
# the moment it expires in the shared cache. Reading a 100-row page (some 270 KB) back from Redis
# was a quarter of a polled page's cost. Bounded: bodies to ``SCORES_API_LOCAL_CACHE_MB`` per
# process, and as long as the shared cache keeps them (``BODY_CACHE_SECONDS``).

_local_lock = threading.Lock()


@functools.cache
def _local_bodies() -> cachetools.TTLCache:
    return cachetools.TTLCache(
        maxsize=settings.SCORES_API_LOCAL_CACHE_MB * 2**20,
        ttl=BODY_CACHE_SECONDS,
        getsizeof=lambda stored: len(stored[0]) + 512,
    )


@functools.cache
def _local_answers() -> cachetools.TLRUCache:
    return cachetools.TLRUCache(
        maxsize=10_000, ttu=lambda _key, stored, _now: stored[2], timer=time.time
    )


def _recall(store: cachetools.Cache, key: str):
    """What is kept under ``key``: this process's copy, else the shared cache's (then kept here)."""
    with _local_lock:
        stored = store.get(key)
    if stored is None:
        stored = cache.get(key)
        if stored is not None:
            _keep_here(store, key, stored)
    return stored


def _keep(store: cachetools.Cache, key: str, value, seconds: int) -> None:
    """Keep ``value`` under ``key`` in the shared cache and in this process."""
    cache.set(key, value, seconds)
    _keep_here(store, key, value)


def _keep_here(store: cachetools.Cache, key: str, value) -> None:
    with _local_lock, contextlib.suppress(ValueError):  # larger than the whole store: not kept
        store[key] = value


def local_clear() -> None:
    """Forget what this process keeps, and size it from the settings again (tests)."""
    with _local_lock:
        _local_bodies.cache_clear()
        _local_answers.cache_clear()


def answer_recall(key: str) -> tuple | None:
    """The answer remembered under ``key`` (see ``Validators.remember_answer``), if any."""
    stored = _recall(_local_answers(), key)
    if stored is None or stored[2] <= time.time():
        return None
    return stored


@functools.cache
def _history_model(model):
    # ``model.history`` builds a manager class at every access; resolve it once.
    return model.history.model


def _newest_history(model) -> RawSQL:
    # Raw rather than a Subquery: the same SQL, without the ORM's alias bookkeeping per request.
    # MAX of the indexed history_date is read from the end of the index.
    table = connection.ops.quote_name(_history_model(model)._meta.db_table)
    return RawSQL(f"SELECT MAX(history_date) FROM {table}", (), output_field=DateTimeField())


def scores_state(scores: QuerySet) -> dict:
    """What the validators are made of, in one query over ``scores`` (sliced or not)."""
    # A window keeps its order (it decides which rows are in) but needs none of the page's
    # columns: selecting only the key spares computing each row's indicators as text and the
    # partnership shown, which halved this query on a 100-row page (issue 22).
    scores = scores.values("pk") if scores.query.is_sliced else scores.order_by()
    return scores.aggregate(
        n=Count("pk"),
        ids=Sum("pk"),
        computed=Max("computed_at"),
        edited=Max("engagement__updated_at"),
        engagements=Max(_newest_history(Engagement)),
        methodologies=Max(_newest_history(Methodology)),
        partnerships=Max(_newest_history(Partnership)),
        outcomes=Max(_newest_history(Outcome)),
    )


def _as_datetime(value):
    # SQLite hands back the scalar subqueries' MAX as text.
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


class Validators:
    """The ``ETag`` and ``Last-Modified`` of one response."""

    def __init__(self, *, state: dict, request, audience: str):
        stamps = [
            _as_datetime(state[name])
            for name in ("computed", "edited", "engagements", "methodologies", "partnerships")
        ] + [_as_datetime(state["outcomes"])]
        stamps = [stamp for stamp in stamps if stamp is not None]
        self.last_modified = max(stamps) if stamps and state["n"] else None
        material = [
            request_fingerprint(request, audience=audience),
            {key: str(value) for key, value in sorted(state.items())},
        ]
        digest = hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()[:32]
        self.etag = f'"{digest}"'

    @classmethod
    def remembered(cls, stored: tuple) -> "Validators":
        """Validators given before for the same request and data (see ``remember_answer``)."""
        validators = cls.__new__(cls)
        validators.etag, epoch, _expires = stored
        validators.last_modified = (
            None if epoch is None else datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
        )
        return validators

    def remember_answer(self, key: str) -> None:
        seconds = settings.SCORES_API_ANSWER_SECONDS
        if seconds:
            stored = (self.etag, self.last_modified_epoch, time.time() + seconds)
            _keep(_local_answers(), key, stored, seconds)

    @property
    def last_modified_epoch(self) -> int | None:
        return int(self.last_modified.timestamp()) if self.last_modified else None

    def not_modified(self, request) -> bool:
        """RFC 9110: If-None-Match decides when present; If-Modified-Since only otherwise."""
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match:
            tags = parse_etags(if_none_match)
            if "*" in tags:
                return True
            ours = self.etag.removeprefix("W/")
            return any(tag.removeprefix("W/") == ours for tag in tags)
        if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        if if_modified_since is None or self.last_modified_epoch is None:
            return False
        return self.last_modified_epoch <= if_modified_since

    def apply(self, response):
        response["ETag"] = self.etag
        if self.last_modified_epoch is not None:
            response["Last-Modified"] = http_date(self.last_modified_epoch)
        patch_vary_headers(response, VARY)
        return response

    def not_modified_response(self) -> HttpResponseNotModified:
        return self.apply(HttpResponseNotModified())

    # --- the rendered body, kept under its ETag ---------------------------------------------------
    #
    # The ETag changes whenever the body would (that is what makes 304 right), so a body rendered
    # once can be served again to anyone whose request yields the same ETag: same host, path,
    # query, media type and audience, and no change to the rows. Partners poll the same pages;
    # this spares decoding, filtering and encoding a 100-row page each time.

    @property
    def cache_key(self) -> str:
        return f"index:scores-api:body:{self.etag.strip(chr(34))}"

    def cached_response(self) -> HttpResponse | None:
        stored = _recall(_local_bodies(), self.cache_key)
        if stored is None:
            return None
        content, content_type, link = stored
        response = HttpResponse(content, content_type=content_type)
        if link:
            response["Link"] = link
        return response

    def remember(self, response) -> None:
        response.render()
        stored = (response.content, response["Content-Type"], response.get("Link"))
        _keep(_local_bodies(), self.cache_key, stored, BODY_CACHE_SECONDS)
