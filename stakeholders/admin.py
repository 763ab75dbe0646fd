from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .choices import CAPABILITY_LABELS, Capability
from .models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tag, Tie
from .selectors import (
    relation_history_as_seen,
    sensitivities_visible_to,
    stake_visible_to,
    stakeholder_history,
    stakeholder_ties,
    stakeholder_visible_to,
    tags_visible_to,
    tie_visible_to,
)
from .stake_history import stake_history_seen, stake_recorder


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


class VisibleTagChoicesMixin:
    """The tag widget offers (and accepts) only tags carried by what the user may see: a tag
    only hidden actors carry is never listed to someone not cleared."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Tag:
            kwargs["queryset"] = tags_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class RestrictedHistoryMixin:
    """simple-history's pages under the restriction rule (DESIGN.md, do no harm).

    The history list and a past version open only for an object the person may see now (else
    404, as for one that does not exist), list only the versions the person may see
    (``visible_history``), and diff each against the previous *visible* one, so nothing of a
    hidden time or a hidden relation shows; reverting offers only those versions.
    """

    def visible_history(self, request, records):
        return records

    def _object_or_404(self, request, object_id):
        try:
            return self.get_queryset(request).get(pk=unquote(object_id))
        except (self.model.DoesNotExist, ValueError, TypeError, ValidationError):
            raise Http404 from None

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return self.visible_history(request, records)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._object_or_404(request, object_id)
        records = self.model.history.filter(**{self.model._meta.pk.attname: unquote(object_id)})
        try:
            shown = self.visible_history(request, records).filter(history_id=version_id).exists()
        except (ValueError, TypeError, ValidationError):
            shown = False
        if not shown:
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


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

    def has_delete_permission(self, request, obj=None):
        # Sectors are the DAC purpose codes the registry is tagged with: deleting one would take
        # it off stakeholders the deleting person may not even see.
        return False


@admin.register(Stakeholder)
class StakeholderAdmin(
    RestrictedHistoryMixin,
    VisibleStakeholderChoicesMixin,
    VisibleTagChoicesMixin,
    SimpleHistoryAdmin,
):
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

    def visible_history(self, request, records):
        stakeholder_id = records.values_list("id", flat=True).first()
        stakeholder = Stakeholder.objects.filter(pk=stakeholder_id).first()
        if stakeholder is None:
            return records.none()
        # The versions the stakeholder's page shows this person: visible, each changing
        # something they may see (selectors.stakeholder_history).
        entries = stakeholder_history(stakeholder=stakeholder, user=request.user, limit=None)
        self._first_seen = {e["history_id"] for e in entries if e["verb"] == "created"}
        return records.filter(history_id__in=[entry["history_id"] for entry in entries])

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(
            request, historical_records, foreign_keys_are_objs=foreign_keys_are_objs
        )
        first_seen = getattr(self, "_first_seen", set())
        for record in historical_records:
            if record.history_id in first_seen:
                record.history_type = "+"  # where this person's view of it begins

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "sensitivity":
            allowed = sensitivities_visible_to(request.user)
            kwargs["choices"] = [c for c in db_field.choices if c[0] in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_deleted_objects(self, objs, request):
        """What deleting shows and asks for: only what this person may see, and the reasons it
        may not be deleted (stakeholders.deletion), never the hidden relations it would keep."""
        return _deletion_summary(objs, request)

    def delete_model(self, request, obj):
        services.stakeholder_delete(stakeholder=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for stakeholder in queryset:
            services.stakeholder_delete(stakeholder=stakeholder, user=request.user)


@admin.register(Outcome)
class OutcomeAdmin(RestrictedHistoryMixin, VisibleTagChoicesMixin, SimpleHistoryAdmin):
    list_display = ("title", "theme", "geography", "needed_list")
    list_filter = ("theme", NeededCapabilityFilter)
    search_fields = ("title", "description", "geography")

    @admin.display(description="needed capabilities")
    def needed_list(self, obj):
        return ", ".join(Capability(obj.needed_capabilities).labels())

    def get_deleted_objects(self, objs, request):
        return _deletion_summary(objs, request)

    def delete_model(self, request, obj):
        services.outcome_delete(outcome=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for outcome in queryset:
            services.outcome_delete(outcome=outcome, user=request.user)


@admin.register(Stake)
class StakeAdmin(RestrictedHistoryMixin, VisibleStakeholderChoicesMixin, SimpleHistoryAdmin):
    list_display = ("stakeholder", "outcome", "interest", "influence", "position")
    list_filter = ("position", "outcome__theme", "stakeholder__kind")
    search_fields = ("stakeholder__name", "outcome__title")
    autocomplete_fields = ("stakeholder", "outcome")
    list_select_related = ("stakeholder", "outcome")

    def get_queryset(self, request):
        return stake_visible_to(request.user)

    def visible_history(self, request, records):
        # A stake that existed when its actor was made public to the reader begins, for them,
        # then: the version that held, read as created then by whoever made it public.
        seen = stake_history_seen(records, allowed=sensitivities_visible_to(request.user))
        return seen.order_by("-seen_at", "-history_id")

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(
            request, historical_records, foreign_keys_are_objs=foreign_keys_are_objs
        )
        for record in historical_records:
            if record.seen_first:
                record.history_type = "+"
            record.history_date = record.seen_at
            record.history_user = stake_recorder(record)


@admin.register(Tie)
class TieAdmin(RestrictedHistoryMixin, VisibleStakeholderChoicesMixin, SimpleHistoryAdmin):
    list_display = ("from_stakeholder", "kind", "to_stakeholder", "strength", "start_date")
    list_filter = ("kind",)
    search_fields = ("from_stakeholder__name", "to_stakeholder__name", "source")
    autocomplete_fields = ("from_stakeholder", "to_stakeholder")
    list_select_related = ("from_stakeholder", "to_stakeholder")

    def get_queryset(self, request):
        return tie_visible_to(request.user)

    def visible_history(self, request, records):
        return relation_history_as_seen(
            records, user=request.user, ends=("from_stakeholder_id", "to_stakeholder_id")
        )


def _deletion_summary(objs, request):
    """``ModelAdmin.get_deleted_objects`` for stakeholders and outcomes: the object and what
    goes with it that this person may see; the reasons a stakeholder may not go as "protected".
    """
    from .deletion import deletion_blockers

    user = request.user
    listed, counts, protected = [], {}, []
    for obj in objs:
        if isinstance(obj, Stakeholder):
            stakes = stake_visible_to(user).filter(stakeholder=obj).select_related("outcome")
            ties = stakeholder_ties(stakeholder=obj, user=user)
            protected += deletion_blockers(stakeholder=obj, user=user)
        else:
            stakes = stake_visible_to(user).filter(outcome=obj).select_related("stakeholder")
            ties = []
        related = [f"Stake: {stake}" for stake in stakes] + [f"Tie: {tie}" for tie in ties]
        listed += [f"{obj._meta.verbose_name.capitalize()}: {obj}", related]
        label = obj._meta.verbose_name_plural
        counts[label] = counts.get(label, 0) + 1
        if stakes:
            counts["stakes"] = counts.get("stakes", 0) + len(stakes)
        if ties:
            counts["ties"] = counts.get("ties", 0) + len(ties)
    return listed, counts, set(), protected
