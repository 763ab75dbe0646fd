from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from .choices import CAPABILITY_LABELS, Capability
from .models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie
from .selectors import stake_visible_to, stakeholder_visible_to, tie_visible_to


class CapabilityFilter(admin.SimpleListFilter):
    title = "capability"
    parameter_name = "capability"
    field = "capabilities"

    def lookups(self, request, model_admin):
        return [(member.name.lower(), CAPABILITY_LABELS[member]) for member in Capability]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.field}__has": Capability[self.value().upper()]})
        return queryset


class NeededCapabilityFilter(CapabilityFilter):
    title = "needed capability"
    parameter_name = "needs"
    field = "needed_capabilities"


class VisibleStakeholderChoicesMixin:
    """Foreign keys to stakeholders offer (and accept) only stakeholders the user may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Stakeholder:
            kwargs["queryset"] = stakeholder_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ExternalIdentifierInline(admin.TabularInline):
    model = ExternalIdentifier
    extra = 0


class StakeInline(admin.TabularInline):
    model = Stake
    extra = 0
    autocomplete_fields = ("outcome",)
    fields = ("outcome", "interest", "influence", "position", "source")


@admin.register(Sector)
class SectorAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Stakeholder)
class StakeholderAdmin(VisibleStakeholderChoicesMixin, SimpleHistoryAdmin):
    # A website typed without a scheme is read as https://, as on the app's own form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "name",
        "acronym",
        "kind",
        "country",
        "scope",
        "women_led",
        "sensitivity",
        "capability_list",
        "updated_at",
    )
    list_filter = (
        "kind",
        "sensitivity",
        "scope",
        "women_led",
        "digital_presence",
        CapabilityFilter,
        "country",
        "sectors",
    )
    search_fields = ("name", "acronym", "description", "external_ids__value")
    autocomplete_fields = ("parent",)
    filter_horizontal = ("sectors",)
    inlines = (ExternalIdentifierInline, StakeInline)
    list_per_page = 50

    @admin.display(description="capabilities")
    def capability_list(self, obj):
        return ", ".join(Capability(obj.capabilities).labels())

    def get_queryset(self, request):
        # The admin obeys the same restriction as every other read.
        return stakeholder_visible_to(request.user)


@admin.register(Outcome)
class OutcomeAdmin(SimpleHistoryAdmin):
    list_display = ("title", "theme", "geography", "needed_list")
    list_filter = ("theme", NeededCapabilityFilter)
    search_fields = ("title", "description", "geography")

    @admin.display(description="needed capabilities")
    def needed_list(self, obj):
        return ", ".join(Capability(obj.needed_capabilities).labels())


@admin.register(Stake)
class StakeAdmin(VisibleStakeholderChoicesMixin, SimpleHistoryAdmin):
    list_display = ("stakeholder", "outcome", "interest", "influence", "position")
    list_filter = ("position", "outcome__theme", "stakeholder__kind")
    search_fields = ("stakeholder__name", "outcome__title")
    autocomplete_fields = ("stakeholder", "outcome")
    list_select_related = ("stakeholder", "outcome")

    def get_queryset(self, request):
        return stake_visible_to(request.user)


@admin.register(Tie)
class TieAdmin(VisibleStakeholderChoicesMixin, SimpleHistoryAdmin):
    list_display = ("from_stakeholder", "kind", "to_stakeholder", "strength", "start_date")
    list_filter = ("kind",)
    search_fields = ("from_stakeholder__name", "to_stakeholder__name", "source")
    autocomplete_fields = ("from_stakeholder", "to_stakeholder")
    list_select_related = ("from_stakeholder", "to_stakeholder")

    def get_queryset(self, request):
        return tie_visible_to(request.user)
