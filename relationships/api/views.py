"""/api/v1/interactions/ and /api/v1/follow-ups/: for people only (partner tokens are refused),
through the same selectors, FilterSets and services as the pages.

An interaction involving any stakeholder hidden from the caller is itself hidden: not listed, not
counted, 404 on detail; a follow-up on a hidden stakeholder or from a hidden interaction likewise.
"""

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, viewsets
from rest_framework.response import Response

from smartdiplomacy.api.pagination import KeysetCursorPagination
from smartdiplomacy.api.permissions import ApiModelPermissions, HasTokenScope
from stakeholders.models import Outcome

from .. import services
from ..filtersets import FollowUpFilterSet, InteractionFilterSet, SalienceFilterSet
from ..models import SalienceAssessment
from ..selectors import follow_up_list, interaction_list, outcome_positions, salience_list
from .serializers import (
    FollowUpSerializer,
    InteractionSerializer,
    OutcomePositionsSerializer,
    SalienceSerializer,
)

RULE = (
    "People only (partner tokens cannot use it). An interaction involving any restricted or "
    "confidential stakeholder the caller is not cleared for is hidden from them: not listed, "
    "not counted, not found (404); such ids are refused in input like ids that do not exist."
)


def _describe(resource: str):
    write = "Program officers and administrators; validated by the services."
    return {
        "list": extend_schema(
            summary=f"List {resource}",
            description=f"Same filters as the page. Cursor pagination. {RULE}",
        ),
        "retrieve": extend_schema(summary=f"One of the {resource}", description=RULE),
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


class _Base(viewsets.ModelViewSet):
    # No ``required_scopes``: HasTokenScope closes these to partner tokens.
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    filter_backends = [DjangoFilterBackend]
    pagination_class = KeysetCursorPagination


@extend_schema_view(**_describe("interactions"))
class InteractionViewSet(_Base):
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet

    def get_queryset(self):
        return interaction_list(user=self.request.user).order_by()

    def perform_create(self, serializer):
        serializer.instance = services.interaction_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.interaction_update(
            interaction=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.interaction_delete(interaction=instance, user=self.request.user)


@extend_schema_view(**_describe("follow-ups"))
class FollowUpViewSet(_Base):
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilterSet

    def get_queryset(self):
        return follow_up_list(user=self.request.user).order_by()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("done", None)
        serializer.instance = services.follow_up_create(user=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        user = self.request.user
        follow_up = serializer.instance
        done = data.pop("done", None)
        changes = {k: data[k] for k in ("title", "due_date", "owner") if k in data}
        if changes:
            follow_up = services.follow_up_update(follow_up=follow_up, user=user, **changes)
        if done is True:
            follow_up = services.follow_up_complete(follow_up=follow_up, user=user)
        elif done is False:
            follow_up = services.follow_up_reopen(follow_up=follow_up, user=user)
        serializer.instance = follow_up

    def perform_destroy(self, instance):
        services.follow_up_delete(follow_up=instance, user=self.request.user)


SALIENCE_RULE = (
    "People only (partner tokens cannot use it). Assessments of a restricted or confidential "
    "stakeholder the caller is not cleared for, or recorded while it was, are not listed, not "
    "counted, not found (404); such ids are refused in input like ids that do not exist."
)


@extend_schema_view(
    list=extend_schema(
        summary="List salience assessments",
        description="Every assessment kept (re-assessments are new ones), newest first; "
        f"filters `stakeholder`, `outcome`. Cursor pagination. {SALIENCE_RULE}",
    ),
    retrieve=extend_schema(summary="One salience assessment", description=SALIENCE_RULE),
    create=extend_schema(
        summary="Record a salience assessment",
        description="Program officers and administrators. Power, legitimacy and urgency 0–3 "
        "(present from 2); `assessed_on` not in the future (today if left out); the assessor "
        "is the caller.",
    ),
)
class SalienceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    filter_backends = [DjangoFilterBackend]
    pagination_class = KeysetCursorPagination
    serializer_class = SalienceSerializer
    filterset_class = SalienceFilterSet

    def get_queryset(self):
        return salience_list(user=self.request.user).order_by()

    def perform_create(self, serializer):
        serializer.instance = services.salience_assess(
            user=self.request.user, **serializer.validated_data
        )


class OutcomePositionsView(generics.GenericAPIView):
    """How support and opposition in one outcome moved over the last twelve months."""

    # Read by everyone who may read salience (no ``required_scopes``: not partner tokens).
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    serializer_class = OutcomePositionsSerializer
    queryset = SalienceAssessment.objects.none()  # the permission's model: view_salienceassessment
    pagination_class = None

    @extend_schema(
        summary="An outcome's support and opposition by month, and who moved",
        description="From the dated stake assessments (each version of a stake, by its "
        "`assessed_on`): per month the number of visible supporters, neutrals and opponents "
        "and their weight (sum of influence), and the actors whose position changed in the "
        "period, from → to. People only; actors hidden from the caller, and versions from a "
        "time they were hidden, are left out as if they had never existed.",
    )
    def get(self, request, pk: int):
        outcome = get_object_or_404(Outcome.objects.all(), pk=pk)
        data = outcome_positions(outcome=outcome, user=request.user)
        return Response(self.get_serializer({**data, "outcome": outcome.pk}).data)
