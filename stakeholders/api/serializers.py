"""The registry in JSON: capabilities as names, sectors as codes, countries as ISO codes.

Serializers parse and check input; the services write. Every field that points at a stakeholder
accepts only stakeholders the requesting user may see, so a hidden actor's id fails exactly like
an id that does not exist.
"""

from django_countries import countries
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..choices import Capability, IdentifierScheme, Sensitivity
from ..models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie
from ..provenance import stakeholder_provenance, stakeholders_provenance
from ..selectors import sensitivities_visible_to, stakeholder_visible_to

CAPABILITY_NAMES = [member.name.lower() for member in Capability]
COUNTRY_CODES = [code for code, _name in countries]


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- Fields -----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": CAPABILITY_NAMES},
        "description": "Capabilities by name.",
        "example": ["funding", "legal"],
    }
)
class CapabilityListField(serializers.Field):
    """A capability bit set as a list of names: ``["funding", "legal"]``."""

    default_error_messages = {
        "not_a_list": 'Expected a list of capability names, e.g. ["funding", "legal"].',
        "unknown": '"{input}" is not a capability; choose from {choices}.',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = Capability(int(value or 0))
        return [member.name.lower() for member in Capability if member in value]

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            self.fail("not_a_list")
        for item in data:
            if item.strip().lower() not in CAPABILITY_NAMES:
                self.fail("unknown", input=item, choices=", ".join(CAPABILITY_NAMES))
        return Capability.from_names(data)


@extend_schema_field(
    {
        "type": "string",
        "enum": [*COUNTRY_CODES, ""],
        "description": "ISO 3166-1 alpha-2 country code; empty when not known.",
        "example": "KE",
    }
)
class CountryCodeField(serializers.ChoiceField):
    """A country as its ISO 3166-1 alpha-2 code (``"KE"``); lower case is accepted."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": '"{input}" is not an ISO 3166-1 alpha-2 country code.'},
        )
        super().__init__(choices=COUNTRY_CODES, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)

    def to_representation(self, value):
        return getattr(value, "code", value) or ""


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": COUNTRY_CODES},
        "description": "ISO 3166-1 alpha-2 country codes.",
        "example": ["ML", "NE"],
    }
)
class CountryCodeListField(serializers.Field):
    default_error_messages = {
        "not_a_list": 'Expected a list of ISO 3166-1 alpha-2 country codes, e.g. ["ML", "NE"].',
        "unknown": '"{input}" is not an ISO 3166-1 alpha-2 country code.',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return [getattr(country, "code", country) for country in value or []]

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            self.fail("not_a_list")
        codes = []
        for item in data:
            code = item.strip().upper()
            if code not in COUNTRY_CODES:
                self.fail("unknown", input=item)
            if code not in codes:
                codes.append(code)
        return codes


class UnitIntervalField(serializers.FloatField):
    """A number from 0 to 1; errors state the range."""

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=1, **kwargs)


class TagNamesField(serializers.ListField):
    """Tags by name. Read: the record's tags (a visible record's tags are visible: only a tag
    that hidden actors alone carry is kept from people not cleared, and it is on no record they
    read). Written through the services, which fold names to lower case and create new ones."""

    child = serializers.CharField(max_length=60, allow_blank=False)

    def to_representation(self, data):
        return [tag.name for tag in data.all()]


class VisibleStakeholderField(serializers.PrimaryKeyRelatedField):
    """A stakeholder by id, among those the requesting user may see."""

    def get_queryset(self):
        return stakeholder_visible_to(_request_user(self))


class RegistrySerializer(serializers.ModelSerializer):
    # Services validate models fully; an error they raise for the whole object (e.g. a uniqueness
    # constraint over two fields) is put on ``stray_errors_field``, the field a person would
    # change to fix it, as the registry pages do (see
    # smartdiplomacy.api.errors.service_errors_on_fields).

    stray_errors_field: str | None = None
    error_field_aliases: dict[str, str] = {}


# --- Stakeholders -----------------------------------------------------------------------------


class ExternalIdentifierSerializer(serializers.ModelSerializer):
    """An identifier of the actor in another system, e.g. its IATI organisation identifier."""

    scheme = serializers.ChoiceField(choices=IdentifierScheme.choices)

    class Meta:
        model = ExternalIdentifier
        fields = ["scheme", "value"]
        validators = []  # uniqueness is checked by the service, without naming the holder


STAKEHOLDER_EXAMPLE = {
    "id": 42,
    "name": "Sahel Women's Peace Network",
    "acronym": "SWPN",
    "kind": "womens_group",
    "country": "ML",
    "country_of_origin": "",
    "scope": "regional",
    "parent": None,
    "sectors": ["15170"],
    "capabilities": ["field_presence", "community_trust", "convening"],
    "digital_presence": 2,
    "women_led": True,
    "women_leadership_share": 0.9,
    "sensitivity": "public",
    "description": "A network of women's groups mediating local conflicts in central Mali.",
    "website": "https://example.org/swpn",
    "external_ids": [{"scheme": "iati_org", "value": "XM-DAC-41114"}],
    "created_at": "2026-01-15T09:30:00Z",
    "updated_at": "2026-02-01T14:05:00Z",
}


class StakeholderListSerializer(serializers.ListSerializer):
    """A page of stakeholders: their provenance read for the requester in one go."""

    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        self.child.context["provenance"] = stakeholders_provenance(rows, user=_request_user(self))
        return super().to_representation(rows)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A women's group",
            value=STAKEHOLDER_EXAMPLE,
            response_only=True,
        ),
        OpenApiExample(
            "Record a women's group",
            value={
                key: STAKEHOLDER_EXAMPLE[key]
                for key in (
                    "name",
                    "acronym",
                    "kind",
                    "country",
                    "scope",
                    "sectors",
                    "capabilities",
                    "women_led",
                    "women_leadership_share",
                    "description",
                    "external_ids",
                )
            },
            request_only=True,
        ),
    ]
)
class StakeholderSerializer(RegistrySerializer):
    """An actor with a stake in outcomes: a state, an NGO, a firm, a diaspora or women's group…"""

    country = CountryCodeField(required=False, allow_blank=True)
    country_of_origin = CountryCodeField(
        required=False, allow_blank=True, help_text="Diaspora groups only."
    )
    parent = VisibleStakeholderField(
        required=False,
        allow_null=True,
        help_text="The state of an agency, the organisation of a country office.",
    )
    sectors = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="code",
        queryset=Sector.objects.all(),
        help_text="Sector codes (OECD DAC purpose codes where one fits).",
    )
    capabilities = CapabilityListField(help_text="The actor's toolbox.")
    women_leadership_share = UnitIntervalField(
        required=False,
        allow_null=True,
        help_text="Share of women in the actor's leadership, 0–1; null when unknown.",
    )
    sensitivity = serializers.ChoiceField(
        choices=Sensitivity.choices,
        default=Sensitivity.PUBLIC,
        help_text="Restricted and confidential actors are shown only to people cleared for them.",
    )
    tags = TagNamesField(
        required=False,
        help_text="Tag names (folded to lower case); on update the list replaces the tags.",
    )
    external_ids = ExternalIdentifierSerializer(
        many=True,
        required=False,
        help_text="Identifiers in other systems, at most one per scheme. On update the list "
        "replaces the stakeholder's identifiers.",
    )

    source = serializers.SerializerMethodField(
        help_text='Where the record came from, as you may read it: "curated", "CSV import #n", '
        '"IATI activity X of publisher Y" ("IATI import" when the publisher is not yours to '
        'see), "3W <source> row N".'
    )

    stray_errors_field = "name"
    error_field_aliases = {scheme: "external_ids" for scheme in IdentifierScheme.values}

    def get_source(self, obj) -> str:
        by_id = self.context.get("provenance") or {}
        found = by_id.get(obj.pk)
        if found is None:
            found = stakeholder_provenance(obj, user=_request_user(self))
        return found.text

    class Meta:
        model = Stakeholder
        list_serializer_class = StakeholderListSerializer
        fields = [
            "id",
            "name",
            "acronym",
            "kind",
            "country",
            "country_of_origin",
            "scope",
            "parent",
            "sectors",
            "capabilities",
            "digital_presence",
            "women_led",
            "women_leadership_share",
            "sensitivity",
            "description",
            "website",
            "external_ids",
            "tags",
            "recorded_name",
            "origin",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "recorded_name", "origin", "source", "created_at", "updated_at"]

    def validate_sensitivity(self, value):
        allowed = sensitivities_visible_to(_request_user(self))
        if value not in allowed:
            raise serializers.ValidationError(
                f"You may record only stakeholders you are cleared to see: {', '.join(allowed)}."
            )
        return value

    def validate_external_ids(self, value):
        schemes = [identifier["scheme"] for identifier in value]
        duplicated = sorted({scheme for scheme in schemes if schemes.count(scheme) > 1})
        if duplicated:
            raise serializers.ValidationError(
                f"Give at most one identifier per scheme ({', '.join(duplicated)} repeats)."
            )
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        seen = getattr(instance, "seen_created_at", None)
        if seen is not None:  # when it came into the reader's view (selectors)
            data["created_at"] = self.fields["created_at"].to_representation(seen)
        # A parent the reader may not see is not named, not even by its id.
        if instance.parent_id is not None:
            allowed = self.context.setdefault(
                "visible_sensitivities", sensitivities_visible_to(_request_user(self))
            )
            if instance.parent.sensitivity not in allowed:
                data["parent"] = None
        return data


# --- Outcomes ---------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An outcome",
            value={
                "id": 7,
                "title": "Climate-driven displacement in the Sahel",
                "theme": "climate_security",
                "description": "Anticipate and protect people displaced by drought and floods.",
                "geography": "the Sahel",
                "countries": ["ML", "NE", "BF"],
                "needed_capabilities": ["funding", "field_presence", "research_data"],
                "created_at": "2026-01-10T08:00:00Z",
                "updated_at": "2026-01-10T08:00:00Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Record an outcome",
            value={
                "title": "Climate-driven displacement in the Sahel",
                "theme": "climate_security",
                "geography": "the Sahel",
                "countries": ["ML", "NE", "BF"],
                "needed_capabilities": ["funding", "field_presence", "research_data"],
            },
            request_only=True,
        ),
    ]
)
class OutcomeSerializer(RegistrySerializer):
    """A desired outcome that actors can share a stake in."""

    countries = CountryCodeListField(help_text="Where, as ISO 3166-1 alpha-2 codes.")
    needed_capabilities = CapabilityListField(
        help_text="The capabilities that achieving the outcome needs."
    )
    tags = TagNamesField(
        required=False,
        help_text="Tag names (folded to lower case); on update the list replaces the tags.",
    )

    stray_errors_field = "title"

    class Meta:
        model = Outcome
        fields = [
            "id",
            "title",
            "theme",
            "description",
            "geography",
            "countries",
            "needed_capabilities",
            "tags",
            "origin",
            "source",
            "sector",
            "promoted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "origin",
            "source",
            "sector",
            "promoted_at",
            "created_at",
            "updated_at",
        ]


# --- Stakes -----------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A stake",
            value={
                "id": 311,
                "stakeholder": 42,
                "stakeholder_name": "Sahel Women's Peace Network",
                "outcome": 7,
                "outcome_title": "Climate-driven displacement in the Sahel",
                "interest": 0.9,
                "influence": 0.4,
                "position": "supports",
                "notes": "",
                "source": "Field visit report, March 2026",
                "updated_at": "2026-03-20T10:00:00Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Record a stake",
            value={
                "stakeholder": 42,
                "outcome": 7,
                "interest": 0.9,
                "influence": 0.4,
                "position": "supports",
                "source": "Field visit report, March 2026",
            },
            request_only=True,
        ),
    ]
)
class StakeSerializer(RegistrySerializer):
    """A stakeholder's stake in an outcome: one dot of the outcome's power–interest grid."""

    stakeholder = VisibleStakeholderField()
    stakeholder_name = serializers.CharField(source="stakeholder.name", read_only=True)
    outcome_title = serializers.CharField(source="outcome.title", read_only=True)
    interest = UnitIntervalField(help_text="0 (none) to 1 (vital).")
    influence = UnitIntervalField(help_text="0 (none) to 1 (decisive).")

    stray_errors_field = "outcome"

    class Meta:
        model = Stake
        fields = [
            "id",
            "stakeholder",
            "stakeholder_name",
            "outcome",
            "outcome_title",
            "interest",
            "influence",
            "position",
            "notes",
            "source",
            "assessed_on",
            "origin",
            "updated_at",
        ]
        read_only_fields = ["id", "origin", "updated_at"]
        extra_kwargs = {
            "assessed_on": {
                "help_text": "The day this interest, influence and position held (not in the "
                "future). Left out: today when interest, influence or position change."
            }
        }
        # One stake per stakeholder and outcome is checked by the service (stake_create), whose
        # error lands on "outcome"; DRF's own validator would answer without naming a field.
        validators = []


# --- Ties -------------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A tie",
            value={
                "id": 93,
                "from_stakeholder": 12,
                "from_stakeholder_name": "Nordic Peace Fund",
                "to_stakeholder": 42,
                "to_stakeholder_name": "Sahel Women's Peace Network",
                "kind": "funds",
                "strength": 0.7,
                "start_date": "2024-01-01",
                "end_date": None,
                "source": "Annual report 2025",
                "notes": "",
                "updated_at": "2026-02-11T16:20:00Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "Record a tie",
            value={
                "from_stakeholder": 12,
                "to_stakeholder": 42,
                "kind": "funds",
                "strength": 0.7,
                "start_date": "2024-01-01",
                "source": "Annual report 2025",
            },
            request_only=True,
        ),
    ]
)
class TieSerializer(RegistrySerializer):
    """An existing relationship between two stakeholders, from one to the other."""

    from_stakeholder = VisibleStakeholderField()
    from_stakeholder_name = serializers.CharField(source="from_stakeholder.name", read_only=True)
    to_stakeholder = VisibleStakeholderField()
    to_stakeholder_name = serializers.CharField(source="to_stakeholder.name", read_only=True)
    strength = UnitIntervalField(required=False, help_text="0 (nominal) to 1 (very strong).")

    stray_errors_field = "kind"

    class Meta:
        model = Tie
        fields = [
            "id",
            "from_stakeholder",
            "from_stakeholder_name",
            "to_stakeholder",
            "to_stakeholder_name",
            "kind",
            "strength",
            "start_date",
            "end_date",
            "source",
            "origin",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["id", "origin", "updated_at"]
        validators = []  # the service checks uniqueness and says which field (see StakeSerializer)
