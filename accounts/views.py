"""The administrators' page for partner tokens: list, issue (plaintext shown once), revoke."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from smartdiplomacy.exceptions import ApplicationError

from .forms import TokenIssueForm
from .roles import Role, user_has_role
from .selectors import token_list as select_tokens
from .services import token_issue as issue_token
from .services import token_revoke as revoke_token

# The list grows by one per partner and per reissue, so it is paged like any other.
PAGE_SIZE = 25


def administrators_only(view):
    """Sign in first; then administrators (and superusers) only, everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, Role.ADMINISTRATOR):
            raise PermissionDenied("Only administrators manage partner tokens.")
        return view(request, *args, **kwargs)

    return wrapper


@administrators_only
def token_list(request):
    page = Paginator(select_tokens(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/token_list.html",
        {"tokens": page.object_list, "page_obj": page, "token_count": page.paginator.count},
    )


@administrators_only
@require_http_methods(["GET", "POST"])
def token_issue(request):
    form = TokenIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = issue_token(
                partner=form.cleaned_data["partner"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at,
                created_by=request.user,
            )
        except ApplicationError as error:
            error.add_to_form(form)
        else:
            # The plaintext is in this response only: not stored, not cached, not redirected to.
            response = render(request, "accounts/token_issued.html", {"issued": issued})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/token_issue.html", {"form": form})


@administrators_only
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk: int):
    token = get_object_or_404(select_tokens(), pk=pk)
    if request.method == "POST":
        try:
            revoke_token(token=token, revoked_by=request.user)
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"Token {token.prefix} for {token.partner} is revoked; it no longer works."
            )
        return redirect("accounts:token_list")
    return render(request, "accounts/token_revoke.html", {"token": token})
