"""The one error shape, documented on every operation of the OpenAPI schema."""

from .errors import error_body

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
