from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)


class SmartDiplomacyAdminConfig(admin_apps.AdminConfig):
    """Django's admin on a site whose login asks for the second factor (accounts.admin_site)."""

    default = False  # named in INSTALLED_APPS; accounts' own config stays the default
    default_site = "accounts.admin_site.SecondFactorAdminSite"
