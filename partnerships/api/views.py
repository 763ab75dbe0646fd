"""/api/v1/candidates/ and /api/v1/overlap-runs/: the same selectors, FilterSet and services as
the pages.

Candidates are for signed-in people only: partner tokens are refused (no ``required_scopes``), and
a person sees a candidate only if they may see both of its actors.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import decorators, mixins, permissions, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from smartdiplomacy.api.audit import RestrictedReadAuditMixin
from smartdiplomacy.api.pagination import ApiPageNumberPagination, KeysetCursorPagination
from smartdiplomacy.api.permissions import ApiModelPermissions, HasTokenScope
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Sensitivity
from stakeholders.selectors import audience_of

from .. import workflow
from ..choices import RunTrigger
from ..filtersets import CandidateFilterSet, PartnershipFilterSet
from ..models import OverlapRun
from ..overlap.runs import overlap_run_request
from ..selectors import (
    candidate_of_pair,
    candidate_visible_to,
    overlap_run_list,
    parse_pair,
    partnership_comments,
    partnership_visible_to,
)
from .serializers import (
    CandidateSerializer,
    OverlapRunSerializer,
    OverlapRunStartSerializer,
    PartnershipCommentSerializer,
    PartnershipSerializer,
    PartnershipTransitionSerializer,
)

CANDIDATES_NOTE = (
    "Candidate partnerships of the current overlap run, by priority (the likelihood adjusted by "
    "the documented inclusion preference), then evidence; `sort=likelihood` orders by the "
    "likelihood instead. Filters as on the Candidates page (`stakeholder`, `actor`, `outcome`, "
    "`kind_a`/`kind_b` in either order, `min_score` (minimum priority), `min_likelihood`, "
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
    lookup_field = "pair"
    lookup_value_regex = r"\d+-\d+"

    def get_queryset(self):
        return candidate_visible_to(self.request.user)

    def get_object(self):
        pair = parse_pair(self.kwargs["pair"])
        candidate = (
            candidate_of_pair(user=self.request.user, a=pair[0], b=pair[1]) if pair else None
        )
        if candidate is None:
            raise NotFound("No such candidate.")
        self.check_object_permissions(self.request, candidate)
        return candidate

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
        "counts are null for people not cleared for restricted actors. Every parameter given is "
        "applied (see the run's `parameters`); an unknown or out-of-range one is a 400 naming "
        "it. Defaults and meanings: /candidates/methodology/.",
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
            "audience": audience_of(self.request.user),
        }

    def create(self, request, *args, **kwargs):
        start = OverlapRunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        run, _created = overlap_run_request(
            trigger=RunTrigger.API, user=request.user, parameters=start.validated_data
        )
        run.refresh_from_db()
        return Response(
            OverlapRunSerializer(run, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )


PARTNERSHIPS_NOTE = (
    "Partnerships you may see (drafts and sent-back proposals only by their proposer and "
    "administrators); `members` leaves out actors you are not cleared for. Filters as on the "
    "Partnerships page: `q`, `status` (repeatable), `outcome`, `member`, `member_kind`. Signed-in "
    "people only; partner tokens cannot read partnerships. Create: program officers and "
    "administrators (a draft; at least two distinct members you may see). Workflow steps: POST "
    "to `/{id}/submit/`, `start_review/`, `approve/`, `send_back/`, `decline/`, `activate/`, "
    "`conclude/` with an optional `comment` (required to send back or decline) and `version`. "
    "Reviewers review, never their own proposal; the proposer or an administrator submits, "
    "activates and concludes. A step the status does not allow answers 400; a role that may not "
    "take it, 403. Edit (PATCH/PUT): the proposer (still a program officer) or an administrator, "
    "while the proposal is a draft or sent back; send `version` to be told of a concurrent "
    "change; members you may not see are kept. Comments outside the workflow: GET or POST "
    "`/{id}/comments/` (`body`, at most 4000 characters), for everyone who may see the "
    "partnership."
)


COMMENTS_NOTE = (
    "Comments outside the workflow steps. Everyone signed in who may see the partnership reads "
    "them, and posts them if their role reads partnerships; partner tokens do neither. `body`: "
    "not empty, at most 4000 characters. Comments are read by people not cleared for the "
    "partnership's restricted members: do not name those. A comment is never edited or deleted "
    "here and does not change the partnership's `version`."
)


def _transition_action(action: str):
    def step(self, request, pk=None):
        partnership = self.get_object()
        data = PartnershipTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workflow.SERVICES[action](
            partnership=partnership,
            user=request.user,
            comment=data.validated_data.get("comment", ""),
            expected_version=data.validated_data.get("version"),
        )
        fresh = self.get_queryset().get(pk=partnership.pk)
        return Response(self.get_serializer(fresh).data)

    # The action decorator reads the function's name: set it first.
    step.__name__ = step.__qualname__ = action
    step = decorators.action(
        detail=True,
        methods=["post"],
        url_path=action.replace("_", "-"),
        url_name=action.replace("_", "-"),
    )(step)
    return extend_schema(
        summary=workflow.ACTION_LABELS[action],
        request=PartnershipTransitionSerializer,
        responses={
            200: PartnershipSerializer,
            400: OpenApiResponse(description="Not allowed in this status, or invalid input."),
            403: OpenApiResponse(description="Your role may not take this step."),
        },
    )(step)


@extend_schema_view(
    list=extend_schema(summary="List partnerships", description=PARTNERSHIPS_NOTE),
    retrieve=extend_schema(summary="One partnership", description=PARTNERSHIPS_NOTE),
    create=extend_schema(summary="Propose a partnership (saved as a draft)"),
    update=extend_schema(
        summary="Edit a draft or sent-back proposal", description=PARTNERSHIPS_NOTE
    ),
    partial_update=extend_schema(
        summary="Edit some fields of a draft or sent-back proposal", description=PARTNERSHIPS_NOTE
    ),
)
class PartnershipViewSet(
    RestrictedReadAuditMixin,
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Partnerships, their workflow steps, edits and comments: who may do what is in the list's
    description."""

    serializer_class = PartnershipSerializer
    filterset_class = PartnershipFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = ApiPageNumberPagination
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]

    def get_queryset(self):
        return partnership_visible_to(self.request.user)

    def restricted_stakeholder_ids(self, objects):
        return [
            member.stakeholder_id
            for partnership in objects
            for member in partnership.visible_members
            if member.stakeholder.sensitivity != Sensitivity.PUBLIC
        ]

    def perform_create(self, serializer):
        data = serializer.validated_data
        candidate = None
        if data.get("candidate") is not None:
            pair = parse_pair(data["candidate"])
            candidate = (
                candidate_of_pair(user=self.request.user, a=pair[0], b=pair[1]) if pair else None
            )
            if candidate is None:
                raise ApplicationError(
                    f"Candidate {data['candidate']} does not exist.", "candidate"
                )
        partnership = workflow.partnership_create_draft(
            proposer=self.request.user,
            title=data["title"],
            rationale=data.get("rationale", ""),
            outcomes=data.get("outcomes", []),
            resources=data.get("resources", ""),
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            risks=data.get("risks", ""),
            do_no_harm=data.get("do_no_harm", ""),
            members=[
                workflow.MemberInput(
                    stakeholder_id=m["stakeholder"],
                    role=m.get("role", "other"),
                    contribution=m.get("contribution", ""),
                )
                for m in data.get("visible_members", [])
            ],
            candidate=candidate,
        )
        serializer.instance = self.get_queryset().get(pk=partnership.pk)

    def perform_update(self, serializer):
        data = serializer.validated_data
        members = None
        if "visible_members" in data:
            members = [
                workflow.MemberInput(
                    stakeholder_id=m["stakeholder"],
                    role=m.get("role", "other"),
                    contribution=m.get("contribution", ""),
                )
                for m in data["visible_members"]
            ]
        partnership = workflow.partnership_update(
            partnership=serializer.instance,
            user=self.request.user,
            members=members,
            outcomes=data.get("outcomes"),
            expected_version=data.get("version"),
            **{name: data[name] for name in workflow.FIELDS if name in data},
        )
        serializer.instance = self.get_queryset().get(pk=partnership.pk)

    @extend_schema(
        methods=["get"],
        summary="Comments on a partnership, oldest first",
        description=COMMENTS_NOTE,
        responses={200: PartnershipCommentSerializer(many=True)},
    )
    @extend_schema(
        methods=["post"],
        summary="Comment on a partnership (no workflow step)",
        description=COMMENTS_NOTE,
        request=PartnershipCommentSerializer,
        responses={
            201: PartnershipCommentSerializer,
            400: OpenApiResponse(description="Empty or longer than 4000 characters."),
        },
    )
    @decorators.action(
        detail=True,
        methods=["get", "post"],
        url_path="comments",
        url_name="comments",
        filter_backends=[],
        serializer_class=PartnershipCommentSerializer,
    )
    def comments(self, request, pk=None):
        partnership = self.get_object()
        # Comments name no members: this response reads nothing restricted to audit.
        self.read_objects = None
        if request.method == "POST":
            data = PartnershipCommentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = workflow.partnership_comment_add(
                partnership=partnership, author=request.user, body=data.validated_data["body"]
            )
            return Response(
                PartnershipCommentSerializer(comment).data, status=status.HTTP_201_CREATED
            )
        # Its own paginator: the audit mixin's paginate_queryset expects partnerships.
        paginator = ApiPageNumberPagination()
        page = paginator.paginate_queryset(partnership_comments(partnership), request, view=self)
        return paginator.get_paginated_response(PartnershipCommentSerializer(page, many=True).data)

    submit = _transition_action("submit")
    start_review = _transition_action("start_review")
    approve = _transition_action("approve")
    send_back = _transition_action("send_back")
    decline = _transition_action("decline")
    activate = _transition_action("activate")
    conclude = _transition_action("conclude")
