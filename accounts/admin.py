from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Organisation", {"fields": ("organisation",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "organisation", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
