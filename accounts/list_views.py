"""Saving and removing a list's views (the lists themselves live in their apps)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from smartdiplomacy.redirects import safe_next_url

from .list_tools import saved_view_create, saved_view_delete


def _back(request) -> str:
    return safe_next_url(request, "/")


@login_required
@require_POST
def saved_view_save(request):
    back = _back(request)
    try:
        view = saved_view_create(
            user=request.user,
            list_key=request.POST.get("list_key", ""),
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            label = {"name": "View name", "query": "Filters", "list_key": "List"}.get(field, field)
            for problem in problems:
                messages.error(request, f"{label}: {problem}")
        return redirect(back)
    messages.success(request, f"Saved the view “{view.name}”.")
    path = back.split("?", 1)[0]
    return redirect(f"{path}?{view.query}")


@login_required
@require_POST
def saved_view_remove(request, pk: int):
    saved_view_delete(user=request.user, pk=pk)
    messages.success(request, "Removed the saved view.")
    return redirect(_back(request))
