from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import PartnerToken, RestrictedReadLog, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Organisation", {"fields": ("organisation",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "organisation", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: tokens are issued and revoked on their page, through services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartnerToken)
class PartnerTokenAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("prefix", "partner", "status", "expires_at", "last_used_at", "created_by")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "partner")
    exclude = ("secret_hash",)


@admin.register(RestrictedReadLog)
class RestrictedReadLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "method", "path", "stakeholder_ids")
    list_filter = ("created_at",)
    search_fields = ("user__username", "path")
