from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.roles import user_roles
from ops.selectors import worker_status
from stakeholders.selectors import (
    describe_change,
    outcome_list_by_stakes,
    registry_recent_changes,
    stakeholder_counts_by_kind,
    user_is_cleared,
)


@login_required
def home(request):
    counts = stakeholder_counts_by_kind(user=request.user)
    return render(
        request,
        "home.html",
        {
            "counts_by_kind": counts,
            "stakeholder_total": sum(row["count"] for row in counts),
            "top_outcomes": outcome_list_by_stakes(user=request.user, limit=10),
            "recent_changes": [
                describe_change(record)
                for record in registry_recent_changes(user=request.user, limit=12)
            ],
            "is_cleared": user_is_cleared(request.user),
            "roles": sorted(user_roles(request.user)),
            "workers": worker_status(),
        },
    )
