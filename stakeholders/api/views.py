"""The registry's REST API: the same selectors and FilterSets as the pages, the same services.

Every queryset starts from the restriction selectors, so restricted and confidential stakeholders
(and their stakes and ties) are absent for people not cleared and for partner tokens: not listed,
404 on detail, unmatched by search and filters, and not accepted as ids in input.
"""

from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, viewsets

from accounts.models import TokenScope
from smartdiplomacy.api.audit import RestrictedReadAuditMixin
from smartdiplomacy.api.errors import service_errors_on_fields
from smartdiplomacy.api.pagination import ApiPageNumberPagination, KeysetCursorPagination
from smartdiplomacy.api.permissions import ApiModelPermissions, HasTokenScope

from .. import services
from ..choices import IdentifierScheme, Sensitivity
from ..filtersets import OutcomeFilterSet, StakeFilterSet, StakeholderFilterSet, TieFilterSet
from ..models import Outcome
from ..selectors import (
    stake_visible_to,
    stakeholder_dates_as_seen,
    stakeholder_visible_to,
    tie_visible_to,
)
from .serializers import OutcomeSerializer, StakeholderSerializer, StakeSerializer, TieSerializer

RESTRICTION_NOTE = (
    "Restricted and confidential stakeholders, and their stakes and ties, exist here only for "
    "people cleared for them: for everyone else, and always for partner tokens, they are not "
    "listed, not found (404), not matched by any filter, and their ids are refused in input "
    "like ids that do not exist."
)
CURSOR_NOTE = (
    "Cursor pagination: follow `next` until it is null. The default order is by `id`; "
    "`ordering` changes it and the cursor keeps to it (ties broken by `id`)."
)


def _describe(resource: str, *, cursor: bool, restricted: bool = True):
    list_description = " ".join(
        part
        for part in (
            f"List {resource} with the same filters, search (`q`) and ordering as the pages.",
            CURSOR_NOTE if cursor else "Numbered pages (`page`, `page_size`).",
            RESTRICTION_NOTE if restricted else "",
        )
        if part
    )
    write = "Program officers and administrators only; partner tokens are read-only."
    return {
        "list": extend_schema(summary=f"List {resource}", description=list_description),
        "retrieve": extend_schema(
            summary=f"One of the {resource}",
            description=RESTRICTION_NOTE if restricted else "",
        ),
        "create": extend_schema(summary=f"Record one of the {resource}", description=write),
        "update": extend_schema(summary=f"Replace one of the {resource}", description=write),
        "partial_update": extend_schema(
            summary=f"Change some fields of one of the {resource}", description=write
        ),
        "destroy": extend_schema(
            summary=f"Delete one of the {resource}",
            description=write,
            responses={204: OpenApiResponse(description="Deleted.")},
        ),
    }


class RegistryViewSet(viewsets.ModelViewSet):
    """What the registry's viewsets share: permissions, scopes, filters through the FilterSet."""

    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    required_scopes = (TokenScope.REGISTRY_READ,)
    filter_backends = [DjangoFilterBackend]
    pagination_class = KeysetCursorPagination


@extend_schema_view(**_describe("stakeholders", cursor=True))
class StakeholderViewSet(RestrictedReadAuditMixin, RegistryViewSet):
    serializer_class = StakeholderSerializer
    filterset_class = StakeholderFilterSet

    def get_queryset(self):
        return stakeholder_dates_as_seen(
            stakeholder_visible_to(self.request.user)
            .select_related("parent")
            .prefetch_related("sectors", "external_ids", "tags"),
            user=self.request.user,
        )

    def restricted_stakeholder_ids(self, objects):
        return [obj.pk for obj in objects if obj.sensitivity != Sensitivity.PUBLIC]

    @staticmethod
    def _identifiers(external_ids) -> dict[str, str]:
        # The list replaces the identifiers: schemes left out are removed.
        given = {item["scheme"]: item["value"] for item in external_ids}
        return {scheme: given.get(scheme, "") for scheme in IdentifierScheme.values}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        external_ids = data.pop("external_ids", None)
        with service_errors_on_fields(serializer), transaction.atomic():
            stakeholder = services.stakeholder_create(**data)
            if external_ids:
                services.stakeholder_external_ids_set(
                    stakeholder=stakeholder,
                    external_ids=self._identifiers(external_ids),
                    user=self.request.user,
                )
        serializer.instance = self._reloaded(stakeholder)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        external_ids = data.pop("external_ids", None)
        with service_errors_on_fields(serializer), transaction.atomic():
            stakeholder = services.stakeholder_update(stakeholder=serializer.instance, **data)
            if external_ids is not None:
                services.stakeholder_external_ids_set(
                    stakeholder=stakeholder,
                    external_ids=self._identifiers(external_ids),
                    user=self.request.user,
                )
        serializer.instance = self._reloaded(stakeholder)

    def _reloaded(self, stakeholder):
        # Prefetched sectors and identifiers of the old state must not be shown as the new one.
        return self.get_queryset().get(pk=stakeholder.pk)

    def perform_destroy(self, instance):
        services.stakeholder_delete(stakeholder=instance, user=self.request.user)


@extend_schema_view(**_describe("outcomes", cursor=False, restricted=False))
class OutcomeViewSet(RegistryViewSet):
    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilterSet
    pagination_class = ApiPageNumberPagination

    def get_queryset(self):
        # Outcomes are not restricted themselves; what hangs off them (stakes) is, and is not
        # shown here.
        return Outcome.objects.prefetch_related("tags").order_by("title", "id")

    def filter_queryset(self, queryset):
        # The list leaves machine-made outcomes out by default (``listing``); one asked for by
        # id is found whatever the list shows.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        with service_errors_on_fields(serializer):
            serializer.instance = services.outcome_create(**serializer.validated_data)

    def perform_update(self, serializer):
        with service_errors_on_fields(serializer):
            services.outcome_update(outcome=serializer.instance, **serializer.validated_data)
        # Prefetched tags of the old state must not be shown as the new one.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.outcome_delete(outcome=instance, user=self.request.user)


@extend_schema_view(**_describe("stakes", cursor=True))
class StakeViewSet(RestrictedReadAuditMixin, RegistryViewSet):
    serializer_class = StakeSerializer
    filterset_class = StakeFilterSet

    def get_queryset(self):
        return stake_visible_to(self.request.user).select_related("stakeholder", "outcome")

    def restricted_stakeholder_ids(self, objects):
        return [
            stake.stakeholder_id
            for stake in objects
            if stake.stakeholder.sensitivity != Sensitivity.PUBLIC
        ]

    def perform_create(self, serializer):
        with service_errors_on_fields(serializer):
            serializer.instance = services.stake_create(**serializer.validated_data)

    def perform_update(self, serializer):
        with service_errors_on_fields(serializer):
            services.stake_update(stake=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.stake_delete(stake=instance)


@extend_schema_view(**_describe("ties", cursor=True))
class TieViewSet(RestrictedReadAuditMixin, RegistryViewSet):
    serializer_class = TieSerializer
    filterset_class = TieFilterSet

    def get_queryset(self):
        return tie_visible_to(self.request.user).select_related(
            "from_stakeholder", "to_stakeholder"
        )

    def restricted_stakeholder_ids(self, objects):
        for tie in objects:
            for end in (tie.from_stakeholder, tie.to_stakeholder):
                if end.sensitivity != Sensitivity.PUBLIC:
                    yield end.pk

    def perform_create(self, serializer):
        with service_errors_on_fields(serializer):
            serializer.instance = services.tie_create(**serializer.validated_data)

    def perform_update(self, serializer):
        with service_errors_on_fields(serializer):
            services.tie_update(tie=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.tie_delete(tie=instance)
