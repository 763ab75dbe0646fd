"""The pages people see when something does not work: inside the app's layout, saying what
happened and what to do. (The API answers its own errors in one JSON shape: ``smartdiplomacy.api``.)
"""

from django.shortcuts import render

from accounts.roles import Role, user_roles
from smartdiplomacy.redirects import safe_referer

ROLE_POWERS = {
    Role.ANALYST: "reads the registry, candidates, partnerships, the graph and the index",
    Role.PROGRAM_OFFICER: "also records stakeholders, stakes, ties and engagements, imports "
    "files and proposes partnerships",
    Role.REVIEWER: "reads everything an analyst does and approves, sends back or declines "
    "proposals",
    Role.ADMINISTRATOR: "also manages users, partner tokens, methodology versions and imports",
}


def _page(request, *, code: int, heading: str, explanation: str, **extra):
    context = {"code": code, "heading": heading, "explanation": explanation,
               "back": safe_referer(request), **extra}  # fmt: skip
    return render(request, "errors/base_error.html", context, status=code)


def permission_denied(request, exception=None):
    mine = user_roles(request.user) if request.user.is_authenticated else set()
    detail = str(exception) if exception and str(exception) else ""
    return _page(
        request,
        code=403,
        heading="This is not open to your role",
        explanation="You are signed in, but your role does not allow this page or step."
        if request.user.is_authenticated
        else "Sign in first: this page is for signed-in people.",
        detail=detail,
        roles_help=[
            {"label": label, "may": ROLE_POWERS[value], "mine": value in mine}
            for value, label in Role.choices
        ]
        if request.user.is_authenticated
        else [],
    )


def page_not_found(request, exception=None):
    return _page(
        request,
        code=404,
        heading="There is nothing here",
        explanation="The page you asked for does not exist, or is not one you can open. A link "
        "to a candidate pair that is no longer a candidate, or to a record that was deleted, "
        "ends here too.",
    )


def server_error(request):
    # No context processors or database: whatever failed must not fail again here.
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    return _page(
        request,
        code=403,
        heading="The form had expired",
        explanation="For your safety, forms only work for a while after the page was opened, "
        "and only from this site. Go back, reload the page and send the form again; what you "
        "had typed may need to be typed again.",
    )
