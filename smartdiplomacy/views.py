from datetime import UTC

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.roles import user_roles

from .home import CHANGE_KINDS, home_context, recent_activity


@login_required
def home(request):
    return render(
        request,
        "home.html",
        {**home_context(request.user), "roles": sorted(user_roles(request.user))},
    )


CHANGE_LOG_PAGE = 50
CHANGE_KIND_LABELS = {
    "stakeholder": "Stakeholders",
    "outcome": "Outcomes",
    "stake": "Stakes",
    "tie": "Ties",
    "partnership": "Partnership decisions",
}


@login_required
def change_log(request):
    """Every change this person may see — registry records, stakes, ties and partnership
    steps — newest first, filtered by kind of record, fifty at a time (older ones by link)."""
    kinds = [k for k in request.GET.getlist("what") if k in CHANGE_KINDS] or list(CHANGE_KINDS)
    before, error = None, ""
    if raw := request.GET.get("before", ""):
        before = parse_datetime(raw)
        if before is None:
            error = f"“{raw}” is not a date and time (YYYY-MM-DDTHH:MM:SS)."
        elif timezone.is_naive(before):
            before = timezone.make_aware(before, UTC)
    changes = recent_activity(request.user, limit=CHANGE_LOG_PAGE + 1, before=before, kinds=kinds)
    older = None
    if len(changes) > CHANGE_LOG_PAGE:
        changes = changes[:CHANGE_LOG_PAGE]
        params = request.GET.copy()
        params["before"] = changes[-1]["when"].isoformat()
        older = params.urlencode()
    return render(
        request,
        "change_log.html",
        {
            "changes": changes,
            "older": older,
            "kinds": [(k, CHANGE_KIND_LABELS[k], k in kinds) for k in CHANGE_KINDS],
            "before": before if not error else None,
            "error": error,
        },
        status=400 if error else 200,
    )
