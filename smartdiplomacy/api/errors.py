"""The API's one error shape: the exception handler, and service errors put on serializer fields."""

import logging
import math
from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.core import signals
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.encoding import force_str
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

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
    wait = getattr(exc, "wait", None)  # Throttled's; the stubs do not declare it
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        # Rounded up, and the same in the body as in the header: retrying then will succeed.
        extra["retry_after"] = max(1, math.ceil(wait))
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
                target = str(stray)  # a field's name, then
            else:
                target = NON_FIELD_KEY
            bucket = detail.setdefault(target, [])
            for message in messages:
                if message not in bucket:
                    bucket.append(message)
        raise exceptions.ValidationError(detail) from error


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
