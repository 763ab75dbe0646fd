"""/api/v1/candidates/ and /api/v1/overlap-runs/: the same selectors, FilterSet and services as
the pages.

Candidates are for signed-in people only: partner tokens are refused (no ``required_scopes``), and
a person sees a candidate only if they may see both of its actors.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from smartdiplomacy.api import (
    ApiModelPermissions,
    ApiPageNumberPagination,
    HasTokenScope,
    KeysetCursorPagination,
    RestrictedReadAuditMixin,
)
from stakeholders.choices import Sensitivity
from stakeholders.selectors import user_is_cleared

from .. import services
from ..choices import RunTrigger
from ..filtersets import CandidateFilterSet
from ..models import OverlapRun
from ..selectors import candidate_visible_to, overlap_run_list
from .serializers import CandidateSerializer, OverlapRunSerializer, OverlapRunStartSerializer

CANDIDATES_NOTE = (
    "Candidate partnerships of the current overlap run, best first; filters as on the Candidates "
    "page (`stakeholder`, `actor`, `outcome`, `kind_a`/`kind_b` in either order, `min_score`, "
    "`dismissed` = hide (default) | only | all, `ordering`). Cursor pagination: follow `next`. "
    "A candidate is listed only if you may see both actors; partner tokens cannot read "
    "candidates. See /candidates/methodology/ for the score."
)


@extend_schema_view(
    list=extend_schema(summary="List candidate partnerships", description=CANDIDATES_NOTE),
    retrieve=extend_schema(summary="One candidate partnership", description=CANDIDATES_NOTE),
)
class CandidateViewSet(RestrictedReadAuditMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CandidateSerializer
    filterset_class = CandidateFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = KeysetCursorPagination
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]

    def get_queryset(self):
        return candidate_visible_to(self.request.user)

    def restricted_stakeholder_ids(self, objects):
        return [
            actor.pk
            for candidate in objects
            for actor in (candidate.stakeholder_a, candidate.stakeholder_b)
            if actor.sensitivity != Sensitivity.PUBLIC
        ]


@extend_schema_view(
    list=extend_schema(summary="List overlap runs, newest first"),
    retrieve=extend_schema(summary="One overlap run, with its progress"),
    create=extend_schema(
        summary="Start an overlap run",
        description="Program officers and administrators. Answers 202 with the run; if a run is "
        "already queued or running, with that run instead (no second run starts). Whole-registry "
        "counts are null for people not cleared for restricted actors.",
        request=OverlapRunStartSerializer,
        responses={202: OverlapRunSerializer, 400: OpenApiResponse(description="Invalid input.")},
    ),
)
class OverlapRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = OverlapRunSerializer
    pagination_class = ApiPageNumberPagination
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    queryset = OverlapRun.objects.none()  # for the model permissions check

    def get_queryset(self):
        return overlap_run_list()

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "show_counts": user_is_cleared(self.request.user),
        }

    def create(self, request, *args, **kwargs):
        start = OverlapRunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        run, _created = services.overlap_run_request(
            trigger=RunTrigger.API, user=request.user, parameters=start.validated_data
        )
        run.refresh_from_db()
        return Response(
            OverlapRunSerializer(run, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )
