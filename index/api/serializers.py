from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..models import Score
from ..representations import score_rows  # noqa: F401  (the list view's fast path)

PILLAR_CHOICES = ["digital", "multi_stakeholder", "feminist"]


@extend_schema_field(
    {
        "allOf": [{"$ref": "#/components/schemas/PillarEnum"}],
        "nullable": True,
        "example": "feminist",
    }
)
class PillarNameField(serializers.ChoiceField):
    """A pillar's name or null: the indicators' ``PillarEnum``, not a second name for it."""

    def __init__(self, **kwargs):
        super().__init__(choices=PILLAR_CHOICES, allow_null=True, **kwargs)


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Indicator code, e.g. D1, M3, F6.")
    pillar = serializers.ChoiceField(
        choices=["digital", "multi_stakeholder", "feminist"], help_text="The indicator's pillar."
    )
    value = serializers.FloatField(allow_null=True, help_text="Raw value; null when unknown.")
    normalised = serializers.FloatField(
        allow_null=True, help_text="Value placed between the fixed goalposts, 0–1."
    )
    contribution = serializers.FloatField(
        allow_null=True, help_text="Points this indicator adds to its pillar's score (0–100)."
    )
    missing = serializers.BooleanField(help_text="The fact is unknown (not read as zero).")


class MethodologyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The methodology version's id.")
    name = serializers.CharField(help_text="The methodology's name.")
    version = serializers.IntegerField(help_text="Its version number.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A score",
            value={
                "id": 5,
                "engagement": 12,
                "engagement_title": "Consultation with Yemeni women's groups",
                "engagement_kind": "consultation",
                "country": "YE",
                "start_date": "2026-03-10",
                "end_date": "2026-03-11",
                "partnership": None,
                "methodology": {"id": 1, "name": "Smart Diplomacy Index", "version": 1},
                "digital": 48.1,
                "multi_stakeholder": 73.9,
                "feminist": 46.2,
                "composite": 56.1,
                "completeness": 0.89,
                "indicators": [
                    {
                        "code": "D1",
                        "pillar": "digital",
                        "value": 2.0,
                        "normalised": 0.667,
                        "contribution": 14.8,
                        "missing": False,
                    }
                ],
                "computed_at": "2026-03-12T09:30:00Z",
            },
            response_only=True,
        )
    ]
)
class ScoreSerializer(serializers.ModelSerializer):
    engagement_title = serializers.CharField(
        source="engagement.title", read_only=True, help_text="The engagement's title."
    )
    engagement_kind = serializers.CharField(
        source="engagement.kind",
        read_only=True,
        help_text="meeting, consultation, programme, campaign or conference.",
    )
    country = serializers.CharField(
        source="engagement.country.code",
        read_only=True,
        default="",
        help_text="ISO 3166-1 alpha-2 code of the engagement's country; empty when none.",
    )
    start_date = serializers.DateField(
        source="engagement.start_date", read_only=True, help_text="When the engagement started."
    )
    end_date = serializers.DateField(
        source="engagement.end_date",
        read_only=True,
        allow_null=True,
        help_text="When it ended; null if ongoing or a single day.",
    )
    partnership = serializers.IntegerField(
        source="engagement.partnership_id",
        read_only=True,
        allow_null=True,
        help_text="The partnership the engagement serves (its id), if any and if you may see "
        "it (others' drafts are null).",
    )
    methodology = MethodologyRefSerializer(
        read_only=True, help_text="The methodology version that produced this score."
    )
    indicators = serializers.SerializerMethodField(
        help_text="Every indicator of the methodology, in its order, with its value and "
        "contribution."
    )

    class Meta:
        model = Score
        fields = [
            "id",
            "engagement",
            "engagement_title",
            "engagement_kind",
            "country",
            "start_date",
            "end_date",
            "partnership",
            "methodology",
            "digital",
            "multi_stakeholder",
            "feminist",
            "composite",
            "completeness",
            "indicators",
            "computed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The score's id."},
            "engagement": {"help_text": "The engagement scored (its id)."},
            "digital": {"help_text": "Digital pillar, 0–100; null when no indicator is known."},
            "multi_stakeholder": {"help_text": "Multi-stakeholder pillar, 0–100, or null."},
            "feminist": {"help_text": "Feminist pillar, 0–100, or null."},
            "composite": {
                "help_text": "The pillars aggregated with the methodology's weights, 0–100, or "
                "null when no pillar is known."
            },
            "completeness": {"help_text": "Share of the methodology's indicators known, 0–1."},
            "computed_at": {"help_text": "When the score was computed."},
        }

    @extend_schema_field(IndicatorSerializer(many=True))
    def get_indicators(self, score) -> list[dict]:
        return score.indicators


class SummaryGroupSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Scores in the group.")
    mean_digital = serializers.FloatField(
        allow_null=True, help_text="Mean digital pillar score, 0–100 (null when none is known)."
    )
    mean_multi_stakeholder = serializers.FloatField(
        allow_null=True, help_text="Mean multi-stakeholder pillar score, 0–100."
    )
    mean_feminist = serializers.FloatField(
        allow_null=True, help_text="Mean feminist pillar score, 0–100."
    )
    mean_composite = serializers.FloatField(
        allow_null=True, help_text="Mean composite score, 0–100."
    )
    mean_completeness = serializers.FloatField(
        allow_null=True, help_text="Mean share of indicators known, 0–1."
    )
    best_pillar = PillarNameField(
        help_text="The pillar with the highest mean in the group (ties: the one named first).",
    )
    weakest_pillar = PillarNameField(
        help_text="The pillar with the lowest mean in the group (ties: the one named first).",
    )


class CountrySummarySerializer(SummaryGroupSerializer):
    country = serializers.CharField(
        allow_null=True, help_text="ISO 3166-1 alpha-2 code; null for engagements without one."
    )
    country_name = serializers.CharField(allow_null=True, help_text="The country's name.")


class PartnershipSummarySerializer(SummaryGroupSerializer):
    partnership = serializers.IntegerField(help_text="The partnership's id.")
    title = serializers.CharField(help_text="The partnership's title.")


class OutcomeSummarySerializer(SummaryGroupSerializer):
    outcome = serializers.IntegerField(help_text="The outcome's id.")
    title = serializers.CharField(help_text="The outcome's title.")


class QuarterSummarySerializer(SummaryGroupSerializer):
    quarter = serializers.CharField(help_text="Calendar quarter of the engagements' start dates.")
    start = serializers.DateField(help_text="First day of the quarter.")


_GROUP_EXAMPLE = {
    "count": 12,
    "mean_digital": 51.3,
    "mean_multi_stakeholder": 68.0,
    "mean_feminist": 44.9,
    "mean_composite": 54.7,
    "mean_completeness": 0.83,
    "best_pillar": "multi_stakeholder",
    "weakest_pillar": "feminist",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A summary",
            value={
                "methodology": {"id": 1, "name": "Smart Diplomacy Index", "version": 1},
                "overall": _GROUP_EXAMPLE,
                "by_country": [{"country": "YE", "country_name": "Yemen", **_GROUP_EXAMPLE}],
                "by_partnership": [
                    {"partnership": 3, "title": "Sahel early-warning network", **_GROUP_EXAMPLE}
                ],
                "by_outcome": [
                    {"outcome": 7, "title": "Reconstruction in Yemen", **_GROUP_EXAMPLE}
                ],
                "by_quarter": [{"quarter": "2026 Q1", "start": "2026-01-01", **_GROUP_EXAMPLE}],
            },
            response_only=True,
        )
    ]
)
class ScoreSummarySerializer(serializers.Serializer):
    methodology = MethodologyRefSerializer(
        allow_null=True,
        help_text="The methodology version summarised: the current published one unless "
        "`methodology_version` names another; null when none is published yet.",
    )
    overall = SummaryGroupSerializer(help_text="Every score matching the filters.")
    by_country = CountrySummarySerializer(many=True, help_text="By the engagement's country.")
    by_partnership = PartnershipSummarySerializer(
        many=True,
        help_text="By the partnership the engagement serves, for the partnerships you may see "
        "only; engagements without one (or of another) are in no group here.",
    )
    by_outcome = OutcomeSummarySerializer(
        many=True,
        help_text="By outcome served; an engagement serving several counts under each.",
    )
    by_quarter = QuarterSummarySerializer(
        many=True, help_text="By calendar quarter of the start date, oldest first."
    )
