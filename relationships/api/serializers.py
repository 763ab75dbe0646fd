"""Interactions and follow-ups in the API: ids in input are checked against what the caller may
see (a hidden stakeholder fails like a missing one), and the services validate the rest."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from partnerships.selectors import partnership_visible_to
from stakeholders.models import Outcome
from stakeholders.selectors import stakeholder_visible_to

from ..choices import SENTIMENT_MAX, SENTIMENT_MIN, InteractionKind
from ..models import FollowUp, Interaction, SalienceAssessment
from ..salience import SCALE_MAX, SCALE_MIN
from ..selectors import interaction_visible_to


def _user(field):
    return field.context["request"].user


class _VisibleStakeholders(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return stakeholder_visible_to(_user(self))


class _VisiblePartnership(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return partnership_visible_to(_user(self)).prefetch_related(None)


class _VisibleInteraction(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return interaction_visible_to(_user(self))


class _ActivePeople(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return get_user_model().objects.filter(is_active=True)


class InteractionSerializer(serializers.ModelSerializer):
    """One interaction. ``sentiment``: -2 very negative, -1 negative, 0 neutral, +1 positive,
    +2 very positive, or null when nobody judged it."""

    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    stakeholders = _VisibleStakeholders(many=True)
    outcomes = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Outcome.objects.all(), required=False
    )
    our_people = _ActivePeople(many=True, required=False)
    partnership = _VisiblePartnership(required=False, allow_null=True)
    sentiment = serializers.IntegerField(
        min_value=SENTIMENT_MIN, max_value=SENTIMENT_MAX, required=False, allow_null=True
    )
    title = serializers.CharField(read_only=True)
    engagement = serializers.PrimaryKeyRelatedField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "kind",
            "date",
            "title",
            "stakeholders",
            "outcomes",
            "our_people",
            "notes",
            "sentiment",
            "partnership",
            "engagement",
            "created_by",
        ]
        read_only_fields = ["id", "title", "engagement", "created_by"]


class FollowUpSerializer(serializers.ModelSerializer):
    stakeholder = _VisibleStakeholders()
    owner = _ActivePeople()
    interaction = _VisibleInteraction(required=False, allow_null=True)
    stakeholder_name = serializers.CharField(source="stakeholder.name", read_only=True)
    done = serializers.BooleanField(required=False, write_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "stakeholder",
            "stakeholder_name",
            "title",
            "due_date",
            "owner",
            "interaction",
            "done_at",
            "done",
        ]
        read_only_fields = ["id", "done_at", "stakeholder_name"]


class SalienceSerializer(serializers.ModelSerializer):
    """One salience assessment (Mitchell, Agle & Wood): power, legitimacy and urgency on 0 none,
    1 low, 2 moderate, 3 high; an attribute is present from 2; ``salience_class`` follows from
    which are present (dormant, discretionary, demanding, dominant, dangerous, dependent,
    definitive, or none). A re-assessment is a new one; earlier ones are kept."""

    stakeholder = _VisibleStakeholders()
    stakeholder_name = serializers.CharField(source="stakeholder.name", read_only=True)
    outcome = serializers.PrimaryKeyRelatedField(queryset=Outcome.objects.all())
    outcome_title = serializers.CharField(source="outcome.title", read_only=True)
    power = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    legitimacy = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    urgency = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    assessed_on = serializers.DateField(
        required=False, help_text="Not in the future; today if left out."
    )
    salience_class = serializers.SerializerMethodField()
    assessed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SalienceAssessment
        fields = [
            "id",
            "stakeholder",
            "stakeholder_name",
            "outcome",
            "outcome_title",
            "power",
            "legitimacy",
            "urgency",
            "salience_class",
            "assessed_on",
            "assessed_by",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "assessed_by", "created_at"]

    def get_salience_class(self, obj) -> str:
        return obj.salience.key


class PositionMonthSerializer(serializers.Serializer):
    """One month of an outcome's position history: at the month's end (today for the current
    month), how many visible actors supported, were neutral, opposed, and their weight (the sum
    of their influence)."""

    end = serializers.DateField()
    supports = serializers.IntegerField(source="count.supports")
    neutral = serializers.IntegerField(source="count.neutral")
    opposes = serializers.IntegerField(source="count.opposes")
    supports_weight = serializers.FloatField(source="weight.supports")
    neutral_weight = serializers.FloatField(source="weight.neutral")
    opposes_weight = serializers.FloatField(source="weight.opposes")


class PositionMoveSerializer(serializers.Serializer):
    stakeholder = serializers.IntegerField(source="stakeholder.pk")
    stakeholder_name = serializers.CharField(source="stakeholder.name")
    before = serializers.CharField()
    after = serializers.CharField()
    day = serializers.DateField()


class OutcomePositionsSerializer(serializers.Serializer):
    outcome = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    months = PositionMonthSerializer(many=True, source="series")
    moves = PositionMoveSerializer(many=True)
