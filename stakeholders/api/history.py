"""/api/v1/registry/diff/: what changed in the registry between the ends of two days, through
the same reads as the page (``stakeholders.history.registry_diff``)."""

import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import TokenScope
from smartdiplomacy.api.permissions import HasTokenScope

from ..choices import Capability
from ..fields import to_capability
from ..history import day_parse, registry_diff
from ..models import Outcome
from ..selectors import stakeholder_visible_to

DEFAULT_WINDOW_DAYS = 30


class DiffQuerySerializer(serializers.Serializer):
    """The diff's parameters; ids the caller may not see are refused like missing ones."""

    # ``from`` is a Python keyword: the field is declared under it below.
    to = serializers.CharField(
        required=False, help_text="The second day, YYYY-MM-DD, up to today (default: today)."
    )
    stakeholder = serializers.IntegerField(
        required=False, help_text="Only what concerns this stakeholder: itself, stakes, ties."
    )
    outcome = serializers.IntegerField(
        required=False,
        help_text="Only what concerns this outcome: itself, its stakes, their holders and the "
        "ties among them.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(
            required=False,
            help_text=f"The first day, YYYY-MM-DD (default: {DEFAULT_WINDOW_DAYS} days before "
            "`to`).",
        )
        return fields

    def _day(self, value, name):
        try:
            return day_parse(value, field=name)
        except Exception as error:  # a Django ValidationError naming the field
            detail = getattr(error, "message_dict", {name: [str(error)]})
            raise serializers.ValidationError(detail) from None

    def validate(self, attrs):
        end = self._day(attrs.get("to"), "to") or timezone.localdate()
        start = self._day(attrs.get("from"), "from") or end - datetime.timedelta(
            days=DEFAULT_WINDOW_DAYS
        )
        if start > end:
            raise serializers.ValidationError({"from": ["The first day must not be after `to`."]})
        user = self.context["request"].user
        pk = attrs.get("stakeholder")
        if pk is not None and not stakeholder_visible_to(user).filter(pk=pk).exists():
            raise serializers.ValidationError({"stakeholder": ["No such stakeholder."]})
        pk = attrs.get("outcome")
        if pk is not None and not Outcome.objects.filter(pk=pk).exists():
            raise serializers.ValidationError({"outcome": ["No such outcome."]})
        return {**attrs, "start": start, "end": end}


def _plain(name: str, value):
    if name in ("capabilities", "needed_capabilities"):
        capabilities = to_capability(value)
        return [member.name.lower() for member in Capability if member in capabilities]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


CHANGE = inline_serializer(
    "RegistryChange",
    {
        "record": serializers.ChoiceField(["stakeholder", "outcome", "stake", "tie"]),
        "id": serializers.IntegerField(),
        "change": serializers.ChoiceField(["added", "changed", "removed"]),
        "label": serializers.CharField(),
        "stakeholders": serializers.ListField(child=serializers.IntegerField()),
        "outcome": serializers.IntegerField(allow_null=True),
        "fields": serializers.ListField(
            child=inline_serializer(
                "RegistryFieldChange",
                {
                    "field": serializers.CharField(),
                    "before": serializers.JSONField(),
                    "after": serializers.JSONField(),
                },
            )
        ),
    },
)


class RegistryDiffView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = (TokenScope.REGISTRY_READ,)

    @extend_schema(
        summary="What changed in the registry between two days",
        description=(
            "Stakeholders, outcomes, stakes and ties added, removed and changed (field by field, "
            "before and after) between the end of `from` and the end of `to`, as recorded. "
            "Restricted and confidential stakeholders, and what hangs off them, exist here only "
            "for people cleared for them today: for everyone else, and always for partner "
            "tokens, they never existed (also where they were public on either day)."
        ),
        parameters=[DiffQuerySerializer],
        responses=inline_serializer(
            "RegistryDiff",
            {
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "counts": serializers.DictField(child=serializers.DictField()),
                "changes": serializers.ListField(child=CHANGE),
            },
        ),
    )
    def get(self, request):
        query = DiffQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        diff = registry_diff(
            user=request.user,
            start=data["start"],
            end=data["end"],
            stakeholder=data.get("stakeholder"),
            outcome=data.get("outcome"),
        )
        return Response(
            {
                "from": diff.start.isoformat(),
                "to": diff.end.isoformat(),
                "counts": diff.counts(),
                "changes": [
                    {
                        "record": entry.what,
                        "id": entry.id,
                        "change": entry.change,
                        "label": entry.label,
                        "stakeholders": list(entry.stakeholder_ids),
                        "outcome": entry.outcome_id,
                        "fields": [
                            {
                                "field": change["field"],
                                "before": _plain(change["field"], change["before"]),
                                "after": _plain(change["field"], change["after"]),
                            }
                            for change in entry.fields
                        ],
                    }
                    for entry in diff.entries
                ],
            }
        )
