from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..models import Score
from ..selectors import score_indicators_visible


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Indicator code, e.g. D1, M3, F6.")
    pillar = serializers.ChoiceField(choices=["digital", "multi_stakeholder", "feminist"])
    value = serializers.FloatField(allow_null=True, help_text="Raw value; null when unknown.")
    normalised = serializers.FloatField(
        allow_null=True, help_text="Value placed between the fixed goalposts, 0–1."
    )
    contribution = serializers.FloatField(
        allow_null=True, help_text="Points this indicator adds to its pillar's score (0–100)."
    )
    missing = serializers.BooleanField(help_text="The fact is unknown (not read as zero).")
    withheld = serializers.BooleanField(
        help_text="Read from the participants and not shown to callers not cleared for every "
        "actor (value, normalised and contribution are then null)."
    )


class MethodologyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()


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
                        "withheld": False,
                    }
                ],
                "computed_at": "2026-03-12T09:30:00Z",
            },
            response_only=True,
        )
    ]
)
class ScoreSerializer(serializers.ModelSerializer):
    engagement_title = serializers.CharField(source="engagement.title", read_only=True)
    engagement_kind = serializers.CharField(source="engagement.kind", read_only=True)
    country = serializers.CharField(source="engagement.country.code", read_only=True, default="")
    start_date = serializers.DateField(source="engagement.start_date", read_only=True)
    end_date = serializers.DateField(source="engagement.end_date", read_only=True, allow_null=True)
    partnership = serializers.IntegerField(
        source="engagement.partnership_id", read_only=True, allow_null=True
    )
    methodology = MethodologyRefSerializer(read_only=True)
    indicators = serializers.SerializerMethodField()

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

    @extend_schema_field(IndicatorSerializer(many=True))
    def get_indicators(self, score) -> list[dict]:
        return score_indicators_visible(score.indicators, user=self.context["request"].user)
