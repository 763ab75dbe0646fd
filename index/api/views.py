"""/api/v1/scores/: index scores for people and for partner tokens with the ``scores:read`` scope.

Scores are aggregates and may be read by anyone allowed here; nothing in them names a participant,
and the participant-derived indicator values are withheld from callers not cleared.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from accounts.models import TokenScope
from smartdiplomacy.api import ApiModelPermissions, HasTokenScope, KeysetCursorPagination

from ..filtersets import ScoreFilterSet
from ..selectors import score_list
from .serializers import ScoreSerializer

SCORES_NOTE = (
    "Smart Diplomacy Index scores: one per engagement and methodology version, each naming its "
    "version. Pillars and composite are 0–100 (null when no indicator of it is known); "
    "`completeness` is the share of indicators known. Filters: `engagement`, `partnership`, "
    "`stakeholder`, `outcome`, `country`, `start_after`/`start_before`, `methodology_version`, "
    "`min_digital`, `min_multi_stakeholder`, `min_feminist`, `min_composite`, `ordering`. "
    "Cursor pagination: follow `next` until it is null. Partner tokens need the `scores:read` "
    "scope. See /index/methodology/ for how scores are computed."
)


@extend_schema_view(
    list=extend_schema(summary="List index scores", description=SCORES_NOTE),
    retrieve=extend_schema(summary="One index score", description=SCORES_NOTE),
)
class ScoreViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ScoreSerializer
    filterset_class = ScoreFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = KeysetCursorPagination
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    required_scopes = (TokenScope.SCORES_READ,)

    def get_queryset(self):
        return score_list(user=self.request.user)
