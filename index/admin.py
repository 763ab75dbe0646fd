"""Admin of the index: methodology versions with their history, scores and rescoring runs (read
only; engagements are kept through their pages, which apply the restriction rule)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Methodology, RescoreRun, Score
from .selectors import score_visible_to


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Methodology)
class MethodologyAdmin(SimpleHistoryAdmin):
    """Versions are made, edited and published on /index/methodology/versions/ (through the
    services); the admin shows them and their history."""

    list_display = ["name", "version", "published", "published_at", "aggregation"]
    list_filter = ["published", "aggregation"]
    search_fields = ["name", "description"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ["engagement", "methodology", "composite", "completeness", "computed_at"]
    list_filter = ["methodology"]
    list_select_related = ["engagement", "methodology"]
    search_fields = ["engagement__title"]
    exclude = ["inputs", "indicators"]

    def get_queryset(self, request):
        # The scores this person reads, as everywhere: the public ones unless cleared.
        return score_visible_to(request.user).select_related("engagement", "methodology")


@admin.register(RescoreRun)
class RescoreRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "methodology", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["methodology"]
