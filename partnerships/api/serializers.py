from rest_framework import serializers

from smartdiplomacy.api.errors import ID_MAX
from smartdiplomacy.exceptions import ApplicationError
from stakeholders.choices import Capability
from stakeholders.models import Outcome

from ..models import (
    Candidate,
    MemberRole,
    OverlapRun,
    Partnership,
    PartnershipComment,
    PartnershipEvent,
)
from ..overlap.parameters import Parameters
from ..overlap.runs import MAX_CHUNKS, overlap_parameters_clean
from ..workflow import COMMENT_MAX_LENGTH


def capability_names(bits) -> list[str]:
    return [member.name.lower() for member in Capability if member in Capability(int(bits))]


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class CandidateSerializer(serializers.ModelSerializer):
    stakeholder_a = ActorSerializer(read_only=True)
    stakeholder_b = ActorSerializer(read_only=True)
    needed_capabilities = serializers.SerializerMethodField()
    brings_a = serializers.SerializerMethodField()
    brings_b = serializers.SerializerMethodField()
    dismissed = serializers.BooleanField(source="is_dismissed", read_only=True)
    run = serializers.IntegerField(source="run_id", read_only=True)
    priority = serializers.FloatField(
        source="score",
        read_only=True,
        help_text="The likelihood adjusted by the documented preference for inclusive pairs "
        "(0–1); the list's default order. `score` is the same figure under its old name.",
    )
    likelihood = serializers.FloatField(
        read_only=True,
        help_text="How well the evidence says the two would work together (0–1): overlap × "
        "support from the shared outcomes × fit. `sort=likelihood` orders by it.",
    )
    pair = serializers.CharField(
        read_only=True,
        help_text="The candidate's key, `<a>-<b>` (the two stakeholders' ids, lower first): the "
        "same from one run to the next. `GET /api/v1/candidates/<pair>/` reads one.",
    )

    class Meta:
        model = Candidate
        fields = [
            "pair", "run", "stakeholder_a", "stakeholder_b", "priority", "likelihood", "score",
            "overlap", "complementarity", "power_interest", "kind_affinity", "shared_partners",
            "inclusion", "shared_count",
            "shared_outcome_ids", "needed_capabilities", "brings_a", "brings_b", "dismissed",
        ]  # fmt: skip
        read_only_fields = fields

    def get_needed_capabilities(self, candidate) -> list[str]:
        return capability_names(candidate.needed_capabilities)

    def get_brings_a(self, candidate) -> list[str]:
        return capability_names(candidate.brings_a)

    def get_brings_b(self, candidate) -> list[str]:
        return capability_names(candidate.brings_b)


class OverlapRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    started_by = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = OverlapRun
        fields = [
            "id", "status", "phase", "trigger", "is_current", "parameters", "chunks_done",
            "chunks_total", "percent", "stakeholder_count", "stake_count", "candidate_count",
            "timings", "message", "error", "started_by", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, run):
        data = super().to_representation(run)
        # Counts as the caller's audience may be told them: whole-registry counts would reveal
        # how many actors are hidden from people not cleared.
        counts = run.counts_for(self.context["audience"])
        data["stakeholder_count"] = counts["stakeholders"]
        data["stake_count"] = counts["stakes"]
        data["candidate_count"] = counts["candidates"]
        return data


class OverlapRunStartSerializer(serializers.Serializer):
    """Optional overrides of the documented defaults (see /candidates/methodology/). Every field
    given is applied; a field this list does not name is refused (400 naming it), never ignored."""

    limits = Parameters.LIMITS
    top_k = serializers.IntegerField(required=False, min_value=1, max_value=limits["top_k"][1])
    top_k_growth = serializers.FloatField(
        required=False, min_value=0.0, max_value=limits["top_k_growth"][1]
    )
    min_score = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)
    min_overlap = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)
    evidence_halfway = serializers.FloatField(
        required=False, min_value=0.0, max_value=limits["evidence_halfway"][1]
    )
    weight_rarity = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)
    weight_fit = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)
    weight_kinds = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)
    weight_partners = serializers.FloatField(
        required=False, min_value=0.0, max_value=limits["weight_partners"][1]
    )
    inclusion_preference = serializers.FloatField(
        required=False, min_value=0.0, max_value=limits["inclusion_preference"][1]
    )
    shortlist = serializers.IntegerField(
        required=False, min_value=1, max_value=limits["shortlist"][1]
    )
    shared_outcomes_kept = serializers.IntegerField(
        required=False, min_value=1, max_value=limits["shared_outcomes_kept"][1]
    )
    chunks = serializers.IntegerField(required=False, min_value=0, max_value=MAX_CHUNKS)
    threads = serializers.IntegerField(required=False, min_value=1, max_value=64)

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", None) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [f"Unknown parameter; a run accepts {', '.join(self.fields)}."]
                    for name in unknown
                }
            )
        try:
            overlap_parameters_clean(attrs)
        except ApplicationError as error:
            raise serializers.ValidationError(
                {error.field or "non_field_errors": [str(error)]}
            ) from error
        return attrs


# --- partnerships -------------------------------------------------------------------------------


class PartnershipMemberSerializer(serializers.Serializer):
    stakeholder = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        help_text="Stakeholder id; one you may see (a hidden one fails like a missing one).",
    )
    name = serializers.CharField(source="stakeholder.name", read_only=True)
    kind = serializers.CharField(source="stakeholder.kind", read_only=True)
    role = serializers.ChoiceField(choices=MemberRole.choices, default=MemberRole.OTHER)
    contribution = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def to_representation(self, member):
        return {
            "stakeholder": member.stakeholder_id,
            "name": member.stakeholder.name,
            "kind": member.stakeholder.kind,
            "role": member.role,
            "contribution": member.contribution,
        }


class PartnershipEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = PartnershipEvent
        fields = ["actor", "created_at", "from_status", "to_status", "comment"]
        read_only_fields = fields


class PartnershipSerializer(serializers.ModelSerializer):
    """A partnership; ``members`` lists only the members you may see."""

    members = PartnershipMemberSerializer(many=True, source="visible_members")
    outcomes = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Outcome.objects.all(),
        required=False,
        pk_field=serializers.IntegerField(min_value=1, max_value=ID_MAX),
    )
    proposer = serializers.StringRelatedField(read_only=True)
    candidate = serializers.RegexField(
        r"^\d{1,18}-\d{1,18}$",
        write_only=True,
        required=False,
        help_text="The pair (`<a>-<b>`) of the candidate this proposal promotes.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=ID_MAX,
        help_text="Grows with every change. On update, send the version you read: refused if "
        "someone changed the partnership since. Ignored on create.",
    )

    class Meta:
        model = Partnership
        fields = [
            "id", "title", "status", "proposer", "outcomes", "members", "rationale", "resources",
            "start_date", "end_date", "risks", "do_no_harm", "version", "created_at",
            "updated_at", "submitted_at", "decided_at", "candidate",
        ]  # fmt: skip
        read_only_fields = [
            "status", "created_at", "updated_at", "submitted_at", "decided_at",
        ]  # fmt: skip

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": [f"The end date must be on or after the start date ({start})."]}
            )
        if self.instance is not None and "candidate" in attrs:
            raise serializers.ValidationError(
                {"candidate": ["A candidate is promoted only when proposing, not by an edit."]}
            )
        return attrs


class PartnershipTransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=ID_MAX,
        help_text="The version you read; refused if someone changed it since.",
    )


class PartnershipCommentSerializer(serializers.ModelSerializer):
    """A comment on a partnership, outside the workflow steps."""

    author = serializers.StringRelatedField(read_only=True)
    body = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH,
        help_text="Read by everyone who may see the partnership, including people not cleared "
        "for its restricted members: do not name those here.",
    )

    class Meta:
        model = PartnershipComment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]
