from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.roles import user_roles

from .home import home_context


@login_required
def home(request):
    return render(
        request,
        "home.html",
        {**home_context(request.user), "roles": sorted(user_roles(request.user))},
    )
