"""Generic create/update/delete page views, and the one adapter from service errors to forms.

After NetBox's ``generic/object_views.py``: a page view says which form, which service call, which
template and where to go next; what every such page does alike — a valid POST calls the service,
a refusal from it is shown on the form beside the field it names (or on top), success is said in
a message and redirects — lives here once.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smartdiplomacy.exceptions import ApplicationError


def form_service_error(form, error: ValidationError) -> None:
    """Show on ``form`` a ValidationError (``ApplicationError`` included) raised by a service.

    Errors naming a field go beside it; a field the form does not show goes where the form says
    (its ``error_target(name)``, if it has one) or else on top, as does an error naming none.
    """
    if not hasattr(error, "error_dict"):
        error = ValidationError({NON_FIELD_ERRORS: error.messages})
    target = getattr(form, "error_target", None) or (
        lambda name: name if name in form.fields else NON_FIELD_ERRORS
    )
    grouped: dict[str, list] = {}
    for name, errors in error.error_dict.items():
        grouped.setdefault(target(name), []).extend(errors)
    form.add_error(None, ValidationError(grouped))


def object_form_view(
    request: HttpRequest,
    *,
    form,
    save: Callable[[Any], Any],
    template: str,
    context: dict,
    message: Callable[[Any], str],
    success_url: Callable[[Any], str],
) -> HttpResponse:
    """A create or update page: on a valid POST ``save(form)`` (a service call returning the
    object); its ValidationError goes onto the form, success is said (``message(obj)``) and
    redirects to ``success_url(obj)``; otherwise the form is rendered with ``context``."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form)
        except ValidationError as error:
            form_service_error(form, error)
        else:
            messages.success(request, message(obj))
            return redirect(success_url(obj))
    return render(request, template, {"form": form, **context})


def object_delete_view(
    request: HttpRequest,
    *,
    delete: Callable[[], Any],
    template: str,
    context: dict,
    message: str,
    success_url: str,
) -> HttpResponse:
    """A confirm-then-delete page: GET asks, POST calls ``delete()``; an ``ApplicationError``
    (the service refusing) is shown on the page with 400, success is said and redirects."""
    error = None
    if request.method == "POST":
        try:
            delete()
        except ApplicationError as refused:
            error = str(refused)
        else:
            messages.success(request, message)
            return redirect(success_url)
    return render(request, template, {**context, "error": error}, status=400 if error else 200)
