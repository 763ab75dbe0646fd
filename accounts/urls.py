from django.contrib.auth import views as auth_views
from django.urls import path

from . import list_views, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", two_factor_views.two_factor, name="two_factor"),
    path("two-factor/setup/", two_factor_views.two_factor_setup, name="two_factor_setup"),
    path(
        "two-factor/recovery-codes/",
        two_factor_views.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_issue, name="token_issue"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("saved-views/", list_views.saved_view_save, name="saved_view_save"),
    path("saved-views/<int:pk>/remove/", list_views.saved_view_remove, name="saved_view_remove"),
]
