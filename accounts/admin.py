from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from simple_history.admin import SimpleHistoryAdmin

from smartdiplomacy.exceptions import ApplicationError

from .models import PartnerToken, RestrictedReadLog, User
from .selectors import (
    group_grantable_by,
    group_holds_powers,
    permission_grantable_by,
    user_holds_powers,
)
from .services import two_factor_reset

# Superuser and staff status and direct permissions are set by superusers only.
POWER_FIELDS = ("is_superuser", "is_staff", "user_permissions")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Administrators manage accounts, but only superusers hand out powers.

    A staff member who is not a superuser sees superuser and staff status and direct permissions
    read-only, is offered only the groups that carry no power (accounts.selectors), and may not
    change (nor set the password of) an account that holds a power, except their own name and
    contact details.
    """

    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Organisation", {"fields": ("organisation",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "organisation", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    actions = ["unlock_sign_in", "reset_two_factor"]

    @admin.action(
        description="Unlock sign-in (after too many failed attempts)", permissions=["change"]
    )
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            axes_reset(username=user.username)
            self.message_user(request, f"{user.username} can sign in again.")

    @admin.action(
        description="Reset two-factor authentication (they set it up again)",
        permissions=["reset_two_factor"],
    )
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            try:
                two_factor_reset(user=user, by=request.user)
            except ApplicationError as error:
                self.message_user(request, str(error), level=messages.ERROR)
                return
            self.message_user(
                request,
                f"{user.username}'s two-factor authentication is reset: they set it up again "
                "at their next sign-in.",
            )

    def has_reset_two_factor_permission(self, request) -> bool:
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += POWER_FIELDS
            if obj is not None and user_holds_powers(obj):
                fields.append("groups")  # their own account: keeps the groups it has
        return fields

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = group_grantable_by(request.user)
        elif db_field.name == "user_permissions":
            kwargs["queryset"] = permission_grantable_by(request.user)
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    def _may_touch(self, request, obj) -> bool:
        return (
            obj is None
            or request.user.is_superuser
            or obj.pk == request.user.pk
            or not user_holds_powers(obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_touch(request, obj)

    def has_delete_permission(self, request, obj=None):
        deletable = obj is None or obj.pk != request.user.pk or request.user.is_superuser
        return (
            super().has_delete_permission(request, obj)
            and self._may_touch(request, obj)
            and deletable
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Only superusers add a power (clearance, user or group management) to a group, or change a
    group that carries one; others are offered the other permissions only."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = permission_grantable_by(request.user)
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    def _may_touch(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or not group_holds_powers(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_touch(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_touch(request, obj)


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
