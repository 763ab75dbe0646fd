"""/api/v1/scores/: index scores for people and for partner tokens with the ``scores:read`` scope.

Scores are aggregates and may be read by anyone allowed here; nothing in them names a participant.
Callers not cleared (partner tokens always) read scores computed over the public participants only
(``index.selectors.score_visible_to``): what a restricted participant would add is never in them.

List, detail and summary answer conditional requests (``conditional.py``): the validators come
from one aggregate query before anything is rendered, and ``304 Not Modified`` is sent when the
caller's copy is current. The list and detail speak CSV too (``?format=csv`` or
``Accept: text/csv``); errors are always JSON, in the one error shape.
"""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import cast

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import TokenScope
from accounts.tokens import request_token
from smartdiplomacy.api.pagination import KeysetCursorPagination
from smartdiplomacy.api.permissions import ApiModelPermissions, HasTokenScope
from smartdiplomacy.api.renderers import FastJSONRenderer
from stakeholders.selectors import user_is_cleared

from ..filtersets import ScoreFilterSet
from ..generation import GENERATION_KEY
from ..models import Methodology
from ..selectors import (
    methodology_current,
    methodology_indicator_codes,
    methodology_of_version,
    score_values_visible_to,
)
from ..summaries import score_summary
from .conditional import (
    Validators,
    answer_key,
    answer_recall,
    data_generation,
    request_fingerprint,
    scores_state,
)
from .renderers import ScoreCSVRenderer
from .serializers import ScoreSerializer, ScoreSummarySerializer, score_rows

SCORES_NOTE = (
    "Smart Diplomacy Index scores: one per engagement and methodology version, each naming its "
    "version. Pillars and composite are 0–100 (null when no indicator of it is known); "
    "`completeness` is the share of indicators known. Filters: `engagement`, `partnership`, "
    "`stakeholder`, `outcome`, `country`, `start_after`/`start_before`, `methodology_version`, "
    "`min_digital`, `min_multi_stakeholder`, `min_feminist`, `min_composite`, `ordering`. "
    'Cursor pagination: follow `next` until it is null (in CSV, the `Link: <…>; rel="next"` '
    "header). Partner tokens need the `scores:read` scope. See /index/methodology/ for how "
    "scores are computed.\n\n"
    "**Formats.** JSON, or CSV with `?format=csv` or `Accept: text/csv`: one row per score with "
    "the pillars, composite, completeness, methodology, engagement fields and, per indicator, "
    "`<code>_value` and `<code>_contribution` (empty when unknown).\n\n"
    "**Conditional requests.** Responses carry `ETag` and `Last-Modified`; send them back as "
    "`If-None-Match` / `If-Modified-Since` and get `304 Not Modified` (no body) while nothing you "
    "would see has changed. They change when a score is recomputed, an engagement is edited or "
    "deleted, or the filters, cursor, page size or format differ."
)

CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="An `ETag` from an earlier response to the same URL: answered with 304 "
        "while it is still current.",
        examples=[OpenApiExample("An ETag", value='"3f1c0a9e5b7d4c2a8e6f1b0d9c7a5e3f"')],
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="A `Last-Modified` date from an earlier response: answered with 304 if "
        "nothing changed since. Ignored when `If-None-Match` is sent.",
        examples=[OpenApiExample("A date", value="Wed, 11 Mar 2026 09:30:00 GMT")],
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="Validator of this response: it changes whenever its body would.",
    ),
    OpenApiParameter(
        "Last-Modified",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="When what this response shows last changed (absent for an empty list).",
    ),
]
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["json", "csv"],
    description="`csv` for one row per score (same as `Accept: text/csv`); JSON by default.",
    examples=[OpenApiExample("CSV", value="csv")],
)
LINK_HEADER = OpenApiParameter(
    "Link",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='`<next page URL>; rel="next"` while there is a next page.',
)
# An example for every filter; the descriptions are the FilterSet's own help texts.
FILTER_EXAMPLES = {
    "engagement": (OpenApiTypes.INT, 12),
    "partnership": (OpenApiTypes.INT, 3),
    "stakeholder": (OpenApiTypes.INT, 42),
    "outcome": (OpenApiTypes.INT, 7),
    "country": (OpenApiTypes.STR, "YE"),
    "start_after": (OpenApiTypes.DATE, "2026-01-01"),
    "start_before": (OpenApiTypes.DATE, "2026-06-30"),
    "methodology_version": (OpenApiTypes.INT, 1),
    "min_digital": (OpenApiTypes.NUMBER, 50),
    "min_multi_stakeholder": (OpenApiTypes.NUMBER, 50),
    "min_feminist": (OpenApiTypes.NUMBER, 60),
    "min_composite": (OpenApiTypes.NUMBER, 55),
    "ordering": (OpenApiTypes.STR, "-composite"),
}
FILTER_PARAMETERS = [
    OpenApiParameter(
        name,
        kind,
        OpenApiParameter.QUERY,
        description=ScoreFilterSet.base_filters[name].extra["help_text"],
        examples=[OpenApiExample(name, value=example)],
    )
    for name, (kind, example) in FILTER_EXAMPLES.items()
]
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (ETag or date) is current.")
CSV_EXAMPLE = (
    "id,engagement,engagement_title,...,D1_value,D1_contribution,...\r\n"
    "5,12,Consultation with Yemeni women's groups,...,2.0,14.8,...\r\n"
)


class ScoreCursorPagination(KeysetCursorPagination):
    """The shared keyset pagination over ``.values()`` rows."""

    def key_values(self, row) -> list:
        # Rows are dicts (``.values()``); the cursor reads their sort fields as attributes.
        return super().key_values(SimpleNamespace(**row) if isinstance(row, dict) else row)


@extend_schema_view(
    list=extend_schema(
        summary="List index scores",
        description=SCORES_NOTE,
        parameters=[*FILTER_PARAMETERS, *CONDITIONAL_PARAMETERS, FORMAT_PARAMETER, LINK_HEADER],
        responses={
            (200, "application/json"): ScoreSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                examples=[OpenApiExample("CSV", value=CSV_EXAMPLE, media_type="text/csv")],
            ),
            304: NOT_MODIFIED,
        },
    ),
    retrieve=extend_schema(
        summary="One index score",
        description=SCORES_NOTE,
        parameters=[*CONDITIONAL_PARAMETERS, FORMAT_PARAMETER],
        responses={
            (200, "application/json"): ScoreSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                examples=[OpenApiExample("CSV", value=CSV_EXAMPLE, media_type="text/csv")],
            ),
            304: NOT_MODIFIED,
        },
    ),
)
class ScoreViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ScoreSerializer
    filterset_class = ScoreFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = ScoreCursorPagination
    renderer_classes = [FastJSONRenderer, ScoreCSVRenderer]
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    required_scopes = (TokenScope.SCORES_READ,)
    # Read with the throttle's counter, in its round trip to Redis (smartdiplomacy.api.throttling).
    cache_keys_with_throttle = (GENERATION_KEY,)

    def get_queryset(self):
        return score_values_visible_to(self.request.user)

    def filter_queryset(self, queryset):
        # Without any filter in the query the FilterSet changes nothing; building it (a deep copy
        # of every filter and form field) is a good part of a cached page's cost.
        if self.request.query_params.keys() & ScoreFilterSet.base_filters.keys():
            return super().filter_queryset(queryset)
        return queryset

    # --- conditional requests --------------------------------------------------------------------

    def audience(self) -> str:
        """Whose view this is: clearance decides the indicators, the caller the partnerships."""
        token = request_token(self.request)
        caller = f"token:{token.pk}" if token else f"user:{self.request.user.pk}"
        return f"{'cleared' if user_is_cleared(self.request.user) else 'public'}:{caller}"

    def validators_of(self, scores) -> Validators:
        self.validators = Validators(
            state=scores_state(scores), request=self.request, audience=self.audience()
        )
        self.validators_computed = True
        return self.validators

    def remembered_answer(self):
        """A 304, or the body rendered before, for the same request under unchanged data.

        Runs after authentication, permissions and throttling, before any queryset is built:
        partners poll the same pages, and this is what keeps polling cheap. The answer was stored
        under the data generation read here, before anything else was read, so a write that
        commits meanwhile retires it (``conditional.scores_changed``).
        """
        if not settings.SCORES_API_ANSWER_SECONDS:
            return None
        fingerprint = request_fingerprint(self.request, audience=self.audience())
        generation = data_generation(read=getattr(self, "cache_read_with_throttle", None))
        self.answer_key = answer_key(fingerprint=fingerprint, generation=generation)
        stored = answer_recall(self.answer_key)
        if stored is None:
            return None
        validators = Validators.remembered(stored)
        if validators.not_modified(self.request):
            self.validators = validators
            return validators.not_modified_response()
        response = validators.cached_response()
        if response is not None:
            self.validators = validators
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and isinstance(
            getattr(request, "accepted_renderer", None), ScoreCSVRenderer
        ):
            # Errors keep the one JSON error shape whatever format was asked for.
            request.accepted_renderer = FastJSONRenderer()
            request.accepted_media_type = FastJSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        validators = getattr(self, "validators", None)
        if validators is not None and response.status_code in (200, 304):
            if response.status_code == 200 and isinstance(response, Response):
                validators.remember(response)
            if getattr(self, "validators_computed", False) and getattr(self, "answer_key", None):
                validators.remember_answer(self.answer_key)
            validators.apply(response)
        return response

    def fresh_or_cached(self, scores):
        """304 if the caller's copy is current, else a body already rendered for this ETag."""
        validators = self.validators_of(scores)
        if validators.not_modified(self.request):
            return validators.not_modified_response()
        return validators.cached_response()

    # --- reads ---------------------------------------------------------------------------------

    def list(self, request, *args, **kwargs):
        answered = self.remembered_answer()
        if answered is not None:
            return answered
        scores = self.filter_queryset(self.get_queryset())
        paginator = cast(ScoreCursorPagination, self.paginator)
        answered = self.fresh_or_cached(paginator.window(scores, request))
        if answered is not None:
            return answered
        page = self.paginate_queryset(scores)
        self.csv_indicator_codes = self.indicator_codes()
        response = self.get_paginated_response(score_rows(page, user=request.user))
        if paginator.next_link:
            response["Link"] = f'<{paginator.next_link}>; rel="next"'
        return response

    def retrieve(self, request, *args, **kwargs):
        answered = self.remembered_answer()
        if answered is not None:
            return answered
        score = self.get_object()
        answered = self.fresh_or_cached(self.get_queryset().filter(pk=score["id"]))
        if answered is not None:
            return answered
        self.csv_indicator_codes = self.indicator_codes()
        return Response(score_rows([score], user=request.user)[0])

    def indicator_codes(self) -> Sequence[str]:
        if isinstance(self.request.accepted_renderer, ScoreCSVRenderer):
            return methodology_indicator_codes()
        return []

    @extend_schema(
        summary="Aggregates of index scores",
        description=(
            "Count, mean pillars, composite and completeness, and the best and weakest pillar, "
            "over the scores matching the same filters as the list: overall, by country, by "
            "partnership (only the partnerships you may see), by outcome and by quarter. One "
            "methodology version at a time: the current published one unless "
            "`methodology_version` names another. Answers conditional requests like the list."
        ),
        parameters=[*FILTER_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: ScoreSummarySerializer, 304: NOT_MODIFIED},
    )
    @action(detail=False, renderer_classes=[FastJSONRenderer], pagination_class=None)
    def summary(self, request, *args, **kwargs):
        answered = self.remembered_answer()
        if answered is not None:
            return answered
        filtered = self.filter_queryset(self.get_queryset())  # validates every filter first
        methodology = self.summary_methodology(request)
        scores = filtered.filter(methodology=methodology)
        answered = self.fresh_or_cached(scores)
        if answered is not None:
            return answered
        body = {
            "methodology": None
            if methodology is None
            else {"id": methodology.pk, "name": methodology.name, "version": methodology.version},
            **score_summary(scores=scores, user=request.user),
        }
        return Response(body)

    def summary_methodology(self, request) -> Methodology | None:
        raw = request.query_params.get("methodology_version")
        if raw in (None, ""):
            return methodology_current()
        try:
            version = int(raw)
        except ValueError:
            raise exceptions.ValidationError(
                {"methodology_version": ["Give a methodology version number, e.g. 1."]}
            ) from None
        methodology = methodology_of_version(version=version)
        if methodology is None:
            raise exceptions.ValidationError(
                {"methodology_version": [f"There is no methodology version {raw}."]}
            )
        return methodology
