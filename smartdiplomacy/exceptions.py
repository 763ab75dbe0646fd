"""The one application error type.

Services raise ``ApplicationError`` when a request cannot be carried out for a reason the person can
act on ("This token was already revoked."). It names the field when there is one, so that a form
can show it beside that field and the API can put it under ``fields`` in its one error shape
(see ``smartdiplomacy.api.errors.api_exception_handler``).

It is a Django ``ValidationError``, so code that already catches validation errors from services
(``full_clean`` inside them raises those) catches it too, and ``form.add_error(None, error)``
understands it.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ApplicationError(ValidationError):
    """A request the application refuses, with a message for people and, if any, the field."""

    def __init__(self, message: str, field: str | None = None, *, code: str = "invalid"):
        self.message_text = message
        self.field = field
        self.error_code = code
        super().__init__({field or NON_FIELD_ERRORS: [ValidationError(message, code=code)]})

    def __str__(self) -> str:
        return self.message_text

    def add_to_form(self, form) -> None:
        """Show the error on ``form``: beside its field when the form has it, on top otherwise."""
        field = self.field if self.field in form.fields else None
        form.add_error(field, self.message_text)
