"""/api/v1/jobs/: the Jobs page as data (``jobs-api:job-list``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from smartdiplomacy.api.pagination import ApiPageNumberPagination
from smartdiplomacy.api.permissions import ApiModelPermissions, HasTokenScope

from .filtersets import JobFilterSet
from .models import Job
from .presentation import jobs_annotate
from .selectors import job_visible_to
from .services import job_cancel


class JobSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    detail_url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    started_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    seconds = serializers.FloatField(source="total_seconds", read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id", "kind", "kind_label", "detail_key", "detail_url", "status", "phase",
            "progress_done", "progress_total", "percent", "error", "started_by", "created_at",
            "started_at", "finished_at", "seconds",
        ]  # fmt: skip
        read_only_fields = fields

    def get_kind_label(self, job: Job) -> str:
        return getattr(job, "kind_label", job.get_kind_display())

    def get_detail_url(self, job: Job) -> str | None:
        return getattr(job, "detail_url", None)


class _AnnotatedPagination(ApiPageNumberPagination):
    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        page = super().paginate_queryset(queryset, request, view)
        return jobs_annotate(page) if page is not None else None


@extend_schema_view(
    list=extend_schema(
        summary="Background jobs",
        description="Every background run you may see (overlap runs, rescoring, registry and "
        "IATI imports, graph refreshes), newest first, with one status vocabulary (queued, "
        "running, succeeded, failed, cancelled), progress, timings and error. Filters: `kind`, "
        "`status` (both repeatable). Signed-in people only; partner tokens cannot read jobs.",
    ),
    retrieve=extend_schema(summary="One background job"),
    cancel=extend_schema(
        summary="Cancel a background job",
        description="Cancel a queued or running job: whoever started it, or an administrator. "
        "Its task is revoked and its work stops at its next batch, leaving the last good "
        "results in place (an overlap run: the previous candidates). A job you may not see "
        "is not found (404); a finished one, or one of a kind that cannot stop (rescoring, "
        "graph refreshes), is refused (400, `fields.status` or `fields.kind`).",
        request=None,
        responses=JobSerializer,
    ),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    pagination_class = _AnnotatedPagination
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, ApiModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = JobFilterSet
    queryset = Job.objects.none()  # for the model permissions check

    def get_queryset(self) -> QuerySet[Job]:
        return job_visible_to(self.request.user)

    def get_object(self) -> Job:
        return jobs_annotate([super().get_object()])[0]

    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, HasTokenScope],
    )
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = job_cancel(job=self.get_object(), user=request.user)
        return Response(self.get_serializer(jobs_annotate([job])[0]).data)


app_name = "jobs-api"

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
