"""/api/v1/coalitions/: the same selectors, FilterSet and services as the Coalitions pages.

Coalitions are for signed-in people only: partner tokens are refused (no ``required_scopes``),
and each person reads the coalitions of their audience (see ``selectors``).
"""

from django.core.exceptions import PermissionDenied
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import decorators, permissions, serializers, status, viewsets
from rest_framework.response import Response

from smartdiplomacy.api.audit import RestrictedReadAuditMixin
from smartdiplomacy.api.pagination import ApiPageNumberPagination
from smartdiplomacy.api.permissions import HasTokenScope
from stakeholders.choices import Capability, Sensitivity
from stakeholders.models import Outcome

from .. import workflow
from . import proposing, services
from .filtersets import CoalitionFilterSet
from .selectors import coalition_visible_to

COALITIONS_NOTE = (
    "Coalitions of three to five actors proposed for an outcome, best first: one member of each "
    "kind, an inclusive member (women's group, grassroots movement or local actor), no two "
    "opposing each other; `value` = 0.5 × `coverage` + 0.3 × `stake` + 0.2 × `trust` (see "
    "/candidates/methodology/#coalitions). People cleared for restricted actors get coalitions "
    "computed from every actor; everyone else gets coalitions computed from public actors only, "
    "exactly as if the others did not exist. Filters as on the Coalitions page: `outcome`, "
    "`member`, `member_kind`, `min_value`, `ordering` (`value`, `coverage`, `trust`, `-` for "
    "descending). `bound`: the share of the best possible coalition's value this one is proven "
    "to reach (1 when the exact search found it). Signed-in people only; partner tokens cannot "
    "read coalitions."
)


def capability_names(bits) -> list[str]:
    return [member.name.lower() for member in Capability if member in Capability(int(bits))]


class CoalitionOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class CoalitionMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="stakeholder_id")
    name = serializers.CharField(source="stakeholder.name")
    kind = serializers.CharField(source="stakeholder.kind")
    brings = serializers.SerializerMethodField()
    interest = serializers.FloatField()
    influence = serializers.FloatField()
    broker = serializers.BooleanField(source="is_broker")
    inclusive = serializers.BooleanField(source="is_inclusive")

    def get_brings(self, member) -> list[str]:
        return capability_names(member.brings)


class CoalitionTieSerializer(serializers.Serializer):
    a = serializers.IntegerField()
    b = serializers.IntegerField()
    kind = serializers.CharField()
    strength = serializers.FloatField()


class CoalitionSerializer(serializers.Serializer):
    id = serializers.CharField(source="key", help_text="Stable while the coalition is proposed.")
    url = serializers.CharField(source="get_absolute_url")
    outcome = CoalitionOutcomeSerializer()
    rank = serializers.IntegerField()
    value = serializers.FloatField()
    coverage = serializers.FloatField()
    stake = serializers.FloatField()
    trust = serializers.FloatField()
    members = CoalitionMemberSerializer(many=True)
    broker = serializers.SerializerMethodField()
    needed_capabilities = serializers.SerializerMethodField()
    covered_capabilities = serializers.SerializerMethodField()
    uncovered_capabilities = serializers.SerializerMethodField()
    ties = serializers.SerializerMethodField()
    solver = serializers.CharField(source="computation.solver")
    bound = serializers.FloatField()
    computed_at = serializers.DateTimeField(source="computation.computed_at")
    partnership = serializers.IntegerField(source="partnership_id", allow_null=True)

    def get_broker(self, coalition) -> int | None:
        return next((m.stakeholder_id for m in coalition.members.all() if m.is_broker), None)

    def get_needed_capabilities(self, coalition) -> list[str]:
        return capability_names(coalition.needed_capabilities)

    def get_covered_capabilities(self, coalition) -> list[str]:
        return capability_names(coalition.covered_capabilities)

    def get_uncovered_capabilities(self, coalition) -> list[str]:
        return capability_names(
            int(coalition.needed_capabilities) & ~int(coalition.covered_capabilities)
        )

    @extend_schema_field(CoalitionTieSerializer(many=True))
    def get_ties(self, coalition) -> list[dict]:
        return [
            {"a": a, "b": b, "kind": kind, "strength": strength}
            for a, b, strength, kind in coalition.ties
        ]


class CoalitionComputeSerializer(serializers.Serializer):
    outcome = serializers.PrimaryKeyRelatedField(
        queryset=Outcome.objects.all(), required=False, allow_null=True
    )


@extend_schema_view(
    list=extend_schema(summary="List coalitions", description=COALITIONS_NOTE),
    retrieve=extend_schema(summary="One coalition", description=COALITIONS_NOTE),
)
class CoalitionViewSet(RestrictedReadAuditMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CoalitionSerializer
    filterset_class = CoalitionFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = ApiPageNumberPagination
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    lookup_field = "key"
    lookup_value_regex = "[0-9a-f]{16}"

    def get_queryset(self):
        return coalition_visible_to(self.request.user)

    def restricted_stakeholder_ids(self, objects):
        return [
            member.stakeholder_id
            for coalition in objects
            for member in coalition.members.all()
            if member.stakeholder.sensitivity != Sensitivity.PUBLIC
        ]

    @extend_schema(
        summary="Propose a coalition as a draft partnership",
        description="Program officers and administrators. Creates a draft partnership with "
        "every member of the coalition (roles from what each brings; the broker convenes) and "
        "its outcome, in one step; its title and rationale name only public members. Answers "
        "201 with the partnership's id; 400 if the coalition was already proposed.",
        request=None,
        responses={
            201: OpenApiResponse(description='`{"partnership": id, "url": ...}`'),
            400: OpenApiResponse(description="Already proposed."),
            403: OpenApiResponse(description="Your role may not propose partnerships."),
        },
    )
    @decorators.action(detail=True, methods=["post"], url_path="propose", url_name="propose")
    def propose(self, request, key=None):
        coalition = self.get_object()
        self.read_objects = None  # the answer names no member: nothing to audit
        if not workflow.user_may_propose(request.user):
            raise PermissionDenied("Only program officers and administrators propose.")
        partnership = proposing.coalition_propose(coalition=coalition, proposer=request.user)
        return Response(
            {"partnership": partnership.pk, "url": partnership.get_absolute_url()},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Recompute coalitions",
        description="Program officers and administrators (those who start overlap runs). "
        "Queues one outcome's coalitions (`outcome`) or every outcome's; answers 202 with how "
        "many outcomes were queued. A recompute that finds the same inputs changes nothing.",
        request=CoalitionComputeSerializer,
        responses={202: OpenApiResponse(description='`{"queued": n}`')},
    )
    @decorators.action(
        detail=False,
        methods=["post"],
        url_path="compute",
        url_name="compute",
        filter_backends=[],
        pagination_class=None,
    )
    def compute(self, request):
        if not request.user.has_perm("partnerships.add_overlaprun"):
            raise PermissionDenied("Only program officers and administrators recompute.")
        data = CoalitionComputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queued = services.coalitions_compute_request(outcome=data.validated_data.get("outcome"))
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)
