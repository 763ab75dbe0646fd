"""/api/v1/webhooks/: a partner token's own webhook endpoints (``webhooks:manage`` scope).

A partner lists, registers and deactivates the URLs where it is told about score changes. Each
token sees and touches only its own endpoints; another token's endpoint answers 404 as if it did
not exist. People manage partners' endpoints on the administrators' pages instead.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import TokenScope
from accounts.tokens import request_token
from smartdiplomacy.api.errors import service_errors_on_fields

from ..models import WebhookEndpoint, validate_one_line, validate_webhook_url
from ..webhooks import protocol, services
from ..webhooks.selectors import webhook_endpoint_list

SIGNATURE_SCHEME = f"""
**Webhooks.** When scores change (an engagement is edited and rescored, or a methodology version
is published and every engagement rescored), each active endpoint of an active token holding
`scores:read` receives `POST` requests with `Content-Type: application/json` and the body

```json
{{"delivery": 812, "event": "{protocol.SCORES_UPDATED}", "created_at": "2026-03-12T09:30:00+00:00",
 "scores": [ /* up to {protocol.SCORES_PER_DELIVERY} scores, exactly as GET /api/v1/scores/ shows
 them to this token */ ]}}
```

Bulk rescoring sends the scores in posts of at most {protocol.SCORES_PER_DELIVERY}. As in the API,
scores are computed over public participants only and nothing names an actor; a post is sent only
when a score the token reads has changed.

**Signature.** Every post carries

- `{protocol.DELIVERY_HEADER}`: the delivery id (the same on each retry: handle an id once),
- `{protocol.TIMESTAMP_HEADER}`: Unix seconds when this attempt was signed,
- `{protocol.SIGNATURE_HEADER}`: `sha256=` + hex of HMAC-SHA256 keyed by the endpoint's secret over
  the bytes `<timestamp>.<body>`.

To verify: take the raw body bytes *before* parsing them, compute
`HMAC_SHA256(secret, timestamp + "." + body)`, compare its hex with the header in constant time
(e.g. Python's `hmac.compare_digest`), and refuse timestamps more than
{protocol.SIGNATURE_TOLERANCE_SECONDS // 60} minutes from your clock. In Python:

```python
expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
ok = hmac.compare_digest(expected, request.headers["{protocol.SIGNATURE_HEADER}"])
```

**Answering.** Any 2xx within {int(protocol.POST_TIMEOUT_SECONDS[1])} seconds counts as delivered.
No answer, a timeout, 429 or a 5xx is retried with exponential backoff
({protocol.BACKOFF_BASE_SECONDS} s, then doubling; `Retry-After` is honoured), up to
{protocol.MAX_ATTEMPTS} attempts in all; any other status (and redirects, which are not followed)
fails the delivery at once. Administrators see every delivery and its attempts.
"""

ENDPOINTS_NOTE = (
    "Your partner token's webhook endpoints. Needs the `webhooks:manage` scope; deliveries of "
    "scores need `scores:read` as well. The signing secret is returned once, by `POST`; keep it. "
    "`DELETE` deactivates an endpoint (nothing more is sent to it); its delivery log is kept.\n"
    + SIGNATURE_SCHEME
)


class PartnerTokenWithScope(permissions.BasePermission):
    """Partner tokens holding ``webhooks:manage`` only: endpoints belong to tokens, not people."""

    def has_permission(self, request, view) -> bool:
        token = request_token(request)
        if token is None:
            self.message = (
                "Webhook endpoints belong to partner tokens: call this with a token, or manage "
                "a partner's endpoints from /accounts/tokens/."
            )
            return False
        if not token.has_scopes([TokenScope.WEBHOOKS_MANAGE]):
            self.message = f"This token lacks the scope {TokenScope.WEBHOOKS_MANAGE.value}."
            return False
        return True


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = serializers.CharField(
        max_length=protocol.URL_MAX_LENGTH,
        validators=[validate_webhook_url],
        help_text="Where score changes are posted: an http(s) URL on a public host, at most "
        f"{protocol.URL_MAX_LENGTH} characters, without a fragment.",
        error_messages={
            "max_length": f"The URL is too long; at most {protocol.URL_MAX_LENGTH} characters "
            "are accepted."
        },
    )
    description = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        validators=[validate_one_line],
        help_text="Optional, one line of at most 200 characters, e.g. “Production portal”.",
        error_messages={"max_length": "The description is too long; at most 200 characters."},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "active", "created_at", "deactivated_at"]
        read_only_fields = ["id", "active", "created_at", "deactivated_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret, shown this once. Verify each post's signature with it.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookEndpointSerializer.Meta.read_only_fields, "secret"]


@extend_schema_view(
    list=extend_schema(summary="List your webhook endpoints", description=ENDPOINTS_NOTE),
    retrieve=extend_schema(summary="One of your webhook endpoints", description=ENDPOINTS_NOTE),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description=ENDPOINTS_NOTE,
        responses={201: WebhookEndpointCreatedSerializer},
        examples=[
            OpenApiExample(
                "Register",
                value={"url": "https://partner.example.org/hooks/sdi", "description": "Portal"},
                request_only=True,
            ),
            OpenApiExample(
                "Registered",
                value={
                    "id": 3,
                    "url": "https://partner.example.org/hooks/sdi",
                    "description": "Portal",
                    "active": True,
                    "created_at": "2026-03-12T09:30:00Z",
                    "deactivated_at": None,
                    "secret": "whsec_7Q0n…",
                },
                response_only=True,
            ),
        ],
    ),
    destroy=extend_schema(
        summary="Deactivate a webhook endpoint",
        description="Nothing more is sent to it; deliveries not yet sent fail. " + ENDPOINTS_NOTE,
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated, PartnerTokenWithScope]
    filter_backends = []

    def get_queryset(self):
        token = request_token(self.request)
        if token is None:  # schema generation
            return WebhookEndpoint.objects.none()
        return webhook_endpoint_list(token=token)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors_on_fields(serializer):
            created = services.webhook_endpoint_create(
                token=request_token(request),
                url=serializer.validated_data["url"],
                description=serializer.validated_data.get("description", ""),
            )
        data = WebhookEndpointCreatedSerializer(created.endpoint).data
        data["secret"] = created.secret
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    def perform_destroy(self, instance):
        if instance.active:
            services.webhook_endpoint_deactivate(endpoint=instance)
