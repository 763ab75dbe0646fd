"""Cross-cutting glue of the REST API: one error shape, pagination, permissions, throttles, audit.

Every API view of every app gets these through ``REST_FRAMEWORK`` in the settings, or by naming
them: an app's ``api/views.py`` only says which selector, FilterSet, serializer and services its
resources use.
"""

import base64
import binascii
import functools
import json
import logging
import math
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core import signals
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.http import Http404, JsonResponse
from django.utils.encoding import force_str
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions, permissions, renderers, status, throttling
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils import encoders
from rest_framework.utils.urls import remove_query_param, replace_query_param

from smartdiplomacy.cache import incr_window
from smartdiplomacy.exceptions import ApplicationError

logger = logging.getLogger("smartdiplomacy.api")

# --- One error shape ------------------------------------------------------------------------------
#
#   {"error": {"status": 400, "code": "invalid", "message": "interest: Ensure this value is ...",
#              "fields": {"interest": ["Ensure this value is less than or equal to 1."]}}}
#
# ``fields`` is present for validation errors only and maps a field (dotted for nested input:
# ``external_ids.0.scheme``) to its messages; ``retry_after`` (seconds) comes with 429.

NON_FIELD_KEY = "non_field_errors"

# The largest id a database key holds (BIGINT on PostgreSQL, INTEGER on SQLite). Id fields in
# requests say so, so that a larger number is a 400 naming the field, not a database error.
ID_MAX = 2**63 - 1


def _error_lists(detail, prefix: str = "") -> Iterable[tuple[str, list[str]]]:
    """DRF's nested error detail as flat ``(field path, [messages])`` pairs."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = NON_FIELD_KEY if key in (NON_FIELD_ERRORS, NON_FIELD_KEY) and not prefix else key
            yield from _error_lists(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            yield prefix or NON_FIELD_KEY, [force_str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from _error_lists(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or NON_FIELD_KEY, [force_str(detail)]


def error_fields(detail) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, messages in _error_lists(detail):
        fields.setdefault(name, []).extend(messages)
    return fields


def fields_message(fields: dict[str, list[str]]) -> str:
    parts = [
        messages[0] if name == NON_FIELD_KEY else f"{name}: {messages[0]}"
        for name, messages in fields.items()
        if messages
    ]
    return " ".join(parts) or "Invalid input."


def error_body(*, status_code: int, code: str, message: str, **extra) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, **extra}}


def _django_validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD_KEY: error.messages}


def api_exception_handler(exc, context):
    """Render every API error, whatever raised it, in the one error shape."""
    # Imported here: rest_framework.views loads the permission classes of this module at import.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, ApplicationError):
        set_rollback()
        fields = {exc.field: [exc.message_text]} if exc.field else None
        body = error_body(
            status_code=400,
            code=exc.error_code,
            message=exc.message_text,
            **({"fields": fields} if fields else {}),
        )
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        # Services validate with full_clean(); their errors are the client's to fix.
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # Django's message names the model; "Not found." is enough
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    response = drf_exception_handler(exc, context)
    if response is None:
        if settings.DEBUG:
            return None  # Django's debug page says more than we could.
        request = context.get("request")
        logger.exception("Unhandled error in %s", getattr(request, "path", "the API"))
        # Lets the test client re-raise it, and error reporters see it.
        signals.got_request_exception.send(sender=None, request=getattr(request, "_request", None))
        set_rollback()
        return Response(
            error_body(
                status_code=500,
                code="server_error",
                message="Something went wrong on our side. It has been logged.",
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = error_fields(exc.detail)
        response.data = error_body(
            status_code=response.status_code,
            code="invalid",
            message=fields_message(fields),
            fields=fields,
        )
        return response

    code = getattr(exc, "default_code", "error")
    if isinstance(getattr(exc, "detail", None), exceptions.ErrorDetail):
        code = exc.detail.code or code
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        # Rounded up, and the same in the body as in the header: retrying then will succeed.
        extra["retry_after"] = max(1, math.ceil(exc.wait))
        response.headers["Retry-After"] = str(extra["retry_after"])
    response.data = error_body(
        status_code=response.status_code,
        code=code,
        message=force_str(getattr(exc, "detail", exc)),
        **extra,
    )
    return response


@contextmanager
def service_errors_on_fields(serializer):
    """Re-raise a service's validation error on the serializer's fields.

    Keys the serializer has stay; others go to ``error_field_aliases`` or ``stray_errors_field``
    (both declared by the serializer), so the error names the input to change; an
    ``ApplicationError`` passes through untouched.
    """
    try:
        yield
    except ApplicationError:
        raise
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            raise exceptions.ValidationError({NON_FIELD_KEY: error.messages}) from error
        aliases = getattr(serializer, "error_field_aliases", {})
        stray = getattr(serializer, "stray_errors_field", None)
        detail: dict[str, list[str]] = {}
        for key, messages in error.message_dict.items():
            if key in serializer.fields and not serializer.fields[key].read_only:
                target = key
            elif key in aliases:
                target = aliases[key]
                messages = [f"{key}: {message}" for message in messages]
            elif stray in serializer.fields:
                target = stray
            else:
                target = NON_FIELD_KEY
            bucket = detail.setdefault(target, [])
            for message in messages:
                if message not in bucket:
                    bucket.append(message)
        raise exceptions.ValidationError(detail) from error


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of the API has this shape.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "code": {
                    "type": "string",
                    "description": "Stable machine-readable reason: invalid, not_authenticated, "
                    "authentication_failed, permission_denied, not_found, method_not_allowed, "
                    "parse_error, unsupported_media_type, not_acceptable, throttled, server_error.",
                },
                "message": {"type": "string", "description": "What went wrong, for people."},
                "fields": {
                    "type": "object",
                    "description": "Validation errors by field (dotted for nested input); "
                    "`non_field_errors` for errors of the whole input.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "retry_after": {
                    "type": "integer",
                    "description": "With 429: seconds until the next request is allowed.",
                },
            },
        }
    },
}

ERROR_RESPONSES = {
    "400": (
        "The input (body, filters or cursor) is not valid; `fields` says which and why.",
        error_body(
            status_code=400,
            code="invalid",
            message="interest: Ensure this value is less than or equal to 1.",
            fields={"interest": ["Ensure this value is less than or equal to 1."]},
        ),
    ),
    "401": (
        "No credentials, or a token that is unknown, expired or revoked.",
        error_body(
            status_code=401, code="authentication_failed", message="This token has expired."
        ),
    ),
    "403": (
        "Signed in, but not allowed: e.g. a write with a read-only partner token.",
        error_body(
            status_code=403, code="permission_denied", message="Partner tokens are read-only."
        ),
    ),
    "404": (
        "No such object, or not one you may see.",
        error_body(status_code=404, code="not_found", message="No such object."),
    ),
    "429": (
        "Too many requests for this token or user; retry after `retry_after` seconds.",
        error_body(
            status_code=429,
            code="throttled",
            message="Request was throttled. Expected available in 30 seconds.",
            retry_after=30,
        ),
    ),
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the one error shape on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method.startswith("x-") or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code, (description, example) in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Error"},
                                "example": example,
                            }
                        },
                    },
                )
    return result


# --- What the machinery asks of accounts ------------------------------------------------------
# accounts sits above this core (it raises the core's error type), so the core names what it needs
# from it in the settings (``API_ACCOUNT_HOOKS``, dotted paths, like django-axes' callables) and
# loads it at the first request instead of importing it.


@functools.cache
def _account_hook(name: str):
    return import_string(settings.API_ACCOUNT_HOOKS[name])


def request_token(request):
    """The partner token that authenticated this request, or None (``accounts.tokens``)."""
    return _account_hook("request_token")(request)


def two_factor_outstanding(user) -> bool:
    """Does this person still owe the second factor this session (``accounts.selectors``)?"""
    return _account_hook("two_factor_outstanding")(user)


def restricted_read_record(**kwargs) -> None:
    """Record a cleared person's read of restricted stakeholders (``accounts.services``)."""
    _account_hook("restricted_read_record")(**kwargs)


# --- Authentication -----------------------------------------------------------------------------


class TwoFactorRequired(exceptions.PermissionDenied):
    default_detail = (
        "Finish signing in first: this account needs the code from its authenticator app "
        "(at /accounts/two-factor/) before the API answers its session."
    )
    default_code = "two_factor_required"


class VerifiedSessionAuthentication(SessionAuthentication):
    """The browser's session, refused (403, ``two_factor_required``) while the person still
    owes the second factor this session: with a password alone, an account that is cleared or
    administers others gets nothing from the API."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and two_factor_outstanding(result[0]):
            raise TwoFactorRequired()
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session: the same cookie as DRF's."""

    target_class = "smartdiplomacy.api.VerifiedSessionAuthentication"


# --- Permissions ------------------------------------------------------------------------------


class HasTokenScope(permissions.BasePermission):
    """What a partner token may do: read, where the view's ``required_scopes`` are all granted.

    A view without ``required_scopes`` is closed to tokens (default deny); ``required_scopes = ()``
    opens it to any valid token. Requests without a token are not this class's business.
    """

    message = "Partner tokens cannot use this endpoint."

    def has_permission(self, request, view) -> bool:
        token = request_token(request)
        if token is None:
            return True
        if request.method not in permissions.SAFE_METHODS:
            self.message = "Partner tokens are read-only."
            return False
        required = getattr(view, "required_scopes", None)
        if required is None:
            return False
        missing = [scope for scope in required if scope not in token.scopes]
        if missing:
            self.message = f"This token lacks the scope {missing[0]}."
            return False
        return True


class ApiModelPermissions(permissions.DjangoModelPermissions):
    """Reads for anyone signed in; writes need the model permission (add, change, delete).

    Partner tokens hold no permission at all, so they never write through this check either.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)


# --- Rendering ------------------------------------------------------------------------------------


class FastJSONRenderer(renderers.JSONRenderer):
    """DRF's compact UTF-8 JSON, encoded by orjson: a 100-row page of scores took 4 ms in Python's
    encoder, a tenth of that here.

    What orjson does not know itself (Decimal, lazy translations, querysets) and datetimes (DRF
    writes UTC as ``Z``) go through DRF's own encoder, so the values are DRF's;
    an indented answer (``Accept: application/json; indent=2``) is left to DRF altogether.
    """

    OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    _fallback = encoders.JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        body = orjson.dumps(data, default=self._fallback, option=self.OPTIONS)
        # Like DRF: U+2028 and U+2029 escaped, so that the JSON is also valid JavaScript.
        return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


# --- Throttles --------------------------------------------------------------------------------


class SettingsRateThrottle(throttling.SimpleRateThrottle):
    """A fixed-window counter per caller, its rate read from the settings at each request.

    DRF's ``SimpleRateThrottle`` keeps every request's time in a list that it reads, edits and
    writes back on each request: at partner polling rates that is thousands of floats pickled
    to and from Redis per request. Here each window (the rate's period, aligned to the clock) has
    one counter, incremented atomically; the price is that a caller may spend one window's
    allowance at its end and the next one's at its start.
    """

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        return incr_window(self.cache, key, self.duration + 1) <= self.num_requests

    def wait(self):
        return max(1, math.ceil(self.window_end - self.now))


class PartnerTokenThrottle(SettingsRateThrottle):
    """Per partner token (``partner`` rate), whoever sends it from wherever."""

    scope = "partner"

    def get_cache_key(self, request, view):
        token = request_token(request)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class SignedInUserThrottle(SettingsRateThrottle):
    """Per signed-in person (``user`` rate)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request_token(request) is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


# --- Pagination -------------------------------------------------------------------------------


class ApiPageNumberPagination(PageNumberPagination):
    """Numbered pages with a count, for small collections (outcomes)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool
    nullable: bool

    @property
    def term(self) -> str:
        return f"-{self.field}" if self.descending else self.field

    def reversed(self) -> "SortKey":
        return SortKey(self.field, not self.descending, self.nullable)

    def order_by(self):
        # A column that cannot be NULL sorts plainly, so that a B-tree index serves the page
        # (PostgreSQL cannot read ``ASC NULLS FIRST`` from a default index and would sort every
        # row for every page). A nullable one puts NULL as the smallest value in both directions
        # and on every database, so that the keyset conditions below can say where NULLs are.
        if not self.nullable:
            return F(self.field).desc() if self.descending else F(self.field).asc()
        if self.descending:
            return F(self.field).desc(nulls_last=True)
        return F(self.field).asc(nulls_first=True)

    def beyond(self, value) -> Q:
        """Rows strictly after ``value`` on this key alone."""
        never = Q(pk__in=[])
        if self.descending:
            if value is None:
                return never
            condition = Q(**{f"{self.field}__lt": value})
            return condition | Q(**{f"{self.field}__isnull": True}) if self.nullable else condition
        if value is None:
            return Q(**{f"{self.field}__isnull": False})
        return Q(**{f"{self.field}__gt": value})

    def equals(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.field}__isnull": True})
        return Q(**{self.field: value})


def keyset_after(keys: list[SortKey], values: list) -> Q:
    """Rows that come strictly after the row whose sort values are ``values``, in ``keys`` order.

    The last key must be unique (the primary key), which makes the order total: no row is seen
    twice and none is skipped while paging, even among equal names or amid inserts and deletes.
    """
    condition = Q(pk__in=[])
    same_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= same_so_far & key.beyond(value)
        same_so_far &= key.equals(value)
    return condition


class KeysetCursorPagination(BasePagination):
    """Cursor pagination for the large collections, in any order the FilterSet allows.

    The order comes from the queryset: the FilterSet's ``ordering`` filter has already applied it
    (``?ordering=-name``), and the primary key is appended as the tie-breaker (the default order is
    the primary key alone, which is stable). The cursor is an opaque token holding the position
    of the last (or first) row of a page; the next page is the rows strictly after it, so a
    partner can walk the whole collection page by page with no gaps and no duplicates.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 200
    invalid_cursor_message = "This cursor is not valid here; start again from the first page."

    def window(self, queryset, request):
        """The page's rows plus one (which decides ``next``), as a queryset not yet run: views
        may ask the database about exactly these rows (e.g. conditional requests) first."""
        self.model = queryset.model
        self.limit = self.get_page_size(request)
        self.keys = self.sort_keys(queryset)
        values, backwards = self.decode_cursor(request)
        self.cursor_values, self.backwards = values, backwards
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        rows = queryset.order_by(*(key.order_by() for key in keys))
        if values is not None:
            rows = rows.filter(keyset_after(keys, values))
        return rows[: self.limit + 1]

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        rows = list(self.window(queryset, request))
        values, backwards = self.cursor_values, self.backwards
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        if backwards:
            rows.reverse()
            has_previous, has_next = more, True
        else:
            has_previous, has_next = values is not None, more
        self.next_link = self.link(rows[-1], backwards=False) if has_next and rows else None
        self.previous_link = self.link(rows[0], backwards=True) if has_previous and rows else None
        if backwards and not rows:
            self.next_link = remove_query_param(request.build_absolute_uri(), "cursor")
        return rows

    def get_page_size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            return self.page_size
        return min(max(size, 1), self.max_page_size)

    def sort_keys(self, queryset) -> list[SortKey]:
        meta = queryset.model._meta
        keys: list[SortKey] = []
        for term in queryset.query.order_by:
            if not isinstance(term, str) or "__" in term:
                continue
            name = term.lstrip("-")
            try:
                field = meta.pk if name == "pk" else meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.concrete or field.is_relation:
                continue
            keys.append(SortKey(field.name, term.startswith("-"), field.null))
            if field.primary_key:
                return keys
        return [*keys, SortKey(meta.pk.name, False, False)]

    def key_values(self, row) -> list:
        meta = self.model._meta
        values = []
        for key in self.keys:
            field = meta.get_field(key.field)
            value = field.value_from_object(row)
            values.append(None if value is None else field.value_to_string(row))
        return values

    def link(self, row, *, backwards: bool) -> str:
        payload = {"o": [key.term for key in self.keys], "v": self.key_values(row)}
        if backwards:
            payload["b"] = 1
        token = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, token.decode().rstrip("=")
        )

    def decode_cursor(self, request) -> tuple[list | None, bool]:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None, False
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            payload = json.loads(raw)
            if payload["o"] != [key.term for key in self.keys]:
                raise ValueError("another ordering")
            if not isinstance(payload["v"], list) or len(payload["v"]) != len(self.keys):
                raise ValueError("wrong length")
            meta = self.model._meta
            values = [
                None if value is None else meta.get_field(key.field).to_python(str(value))
                for key, value in zip(self.keys, payload["v"], strict=True)
            ]
            pairs = zip(self.keys, values, strict=True)
            if any(value is None and not key.nullable for key, value in pairs):
                raise ValueError("null position")
        except (
            ValueError,
            TypeError,
            KeyError,
            binascii.Error,
            UnicodeDecodeError,
            DjangoValidationError,
            OverflowError,
        ):
            raise exceptions.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        return values, bool(payload.get("b"))

    def get_paginated_response(self, data):
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last page.",
                    "example": "https://example.org/api/v1/stakeholders/?cursor=eyJvIjpbImlkIl0",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page, or null on the first page.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page to fetch: copy it from `next` or `previous` of a "
                "response with the same filters and ordering. Omit it for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# --- Audit of restricted reads ----------------------------------------------------------------


class RestrictedReadAuditMixin:
    """Record each API response in which a cleared person reads restricted stakeholders.

    A viewset says which stakeholders its objects show through ``restricted_stakeholder_ids``
    (using only what its queryset already loaded, so no query is added per row). Partner tokens
    never see restricted data, so there is nothing to record for them.
    """

    def restricted_stakeholder_ids(self, objects) -> Iterable[int]:
        raise NotImplementedError

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.read_objects = page
        return page

    def get_object(self):
        obj = super().get_object()
        self.read_objects = [obj]
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        objects = getattr(self, "read_objects", None)
        if (
            objects
            and request.method in permissions.SAFE_METHODS
            and status.is_success(response.status_code)
            and request_token(request) is None
            and request.user.is_authenticated
        ):
            ids = list(self.restricted_stakeholder_ids(objects))
            if ids:
                restricted_read_record(
                    user=request.user,
                    method=request.method,
                    path=request.get_full_path(),
                    stakeholder_ids=ids,
                )
        return response


# --- Unknown URLs -----------------------------------------------------------------------------


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """404 in the one error shape for any URL under /api/ that names no endpoint.

    Exempt from CSRF: it changes nothing, and a write to an unknown URL must not get Django's
    HTML "CSRF verification failed" page instead of the API's 404 (DRF's own views are exempt
    at this level too, and check CSRF for session callers themselves)."""

    return JsonResponse(
        error_body(
            status_code=404,
            code="not_found",
            message="No such API endpoint. Paths end with a slash, e.g. /api/v1/stakeholders/.",
        ),
        status=404,
    )
