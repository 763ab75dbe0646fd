from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        from smartdiplomacy.jobs.registry import administrator_register

        from . import signals  # noqa: F401  (connects the receivers)
        from .roles import Role, user_has_role

        # The Jobs page (project core) asks who is an administrator: they may cancel any job.
        administrator_register(lambda user: user_has_role(user, Role.ADMINISTRATOR))


class SmartDiplomacyAdminConfig(admin_apps.AdminConfig):
    """Django's admin on a site whose login asks for the second factor (accounts.admin_site)."""

    default = False  # named in INSTALLED_APPS; accounts' own config stays the default
    default_site = "accounts.admin_site.SecondFactorAdminSite"
