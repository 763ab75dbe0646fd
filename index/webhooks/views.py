"""Pages for webhooks: a partner's endpoints and delivery log (administrators), and the signature.

Views parse input and render; ``index.webhooks.selectors`` reads and ``index.webhooks.services``
writes.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import token_list
from accounts.views import administrators_only
from index.models import WebhookDelivery, WebhookEndpoint, validate_one_line, validate_webhook_url
from index.webhooks import protocol, services
from index.webhooks.selectors import webhook_delivery_list, webhook_endpoint_list_with_counts
from smartdiplomacy.exceptions import ApplicationError

DELIVERIES_PER_PAGE = 50


class WebhookEndpointForm(forms.Form):
    """The same rules as the API's serializer and the model (``validate_webhook_url``)."""

    url = forms.CharField(
        label="URL",
        max_length=protocol.URL_MAX_LENGTH,
        validators=[validate_webhook_url],
        help_text="Where the partner receives score changes: http:// or https:// on a public host.",
        widget=forms.URLInput(attrs={"placeholder": "https://partner.example.org/hooks/sdi"}),
        error_messages={
            "max_length": f"The URL is too long; at most {protocol.URL_MAX_LENGTH} characters "
            "are accepted."
        },
    )
    description = forms.CharField(
        max_length=200,
        required=False,
        validators=[validate_one_line],
        help_text="Optional, one line, e.g. “Production portal”.",
        error_messages={"max_length": "The description is too long; at most 200 characters."},
    )


@administrators_only
def webhook_partner(request, token_pk: int):
    """One partner token's endpoints and its delivery log, newest first."""
    token = get_object_or_404(token_list(), pk=token_pk)
    page = Paginator(webhook_delivery_list(token=token), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "index/webhook_partner.html",
        {
            "token": token,
            "endpoints": list(webhook_endpoint_list_with_counts(token=token)),
            "page_obj": page,
            "deliveries": page.object_list,
            "receives_scores": token.has_scopes(["scores:read"]),
        },
    )


@administrators_only
@require_http_methods(["GET", "POST"])
def webhook_endpoint_create(request, token_pk: int):
    token = get_object_or_404(token_list(), pk=token_pk)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.webhook_endpoint_create(
                token=token,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                created_by=request.user,
            )
        except ApplicationError as error:
            error.add_to_form(form)
        except forms.ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # The secret is in this response only: not cached, not redirected to.
            response = render(
                request,
                "index/webhook_created.html",
                {"token": token, "endpoint": created.endpoint, "secret": created.secret},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "index/webhook_endpoint_form.html", {"token": token, "form": form})


@administrators_only
@require_POST
def webhook_endpoint_deactivate(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint.objects.select_related("token"), pk=pk)
    try:
        services.webhook_endpoint_deactivate(endpoint=endpoint, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{endpoint.url} is disabled; nothing more is sent to it.")
    return redirect("index:webhook_partner", token_pk=endpoint.token_id)


@administrators_only
def webhook_delivery_detail(request, pk: int):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint__token"), pk=pk)
    return render(
        request,
        "index/webhook_delivery.html",
        {
            "delivery": delivery,
            "token": delivery.endpoint.token,
            "body": protocol.body_encode({"delivery": delivery.pk, **delivery.payload}).decode(),
        },
    )


@login_required
def webhook_docs(request):
    """How partners receive score changes and verify their signature."""
    return render(
        request,
        "index/webhook_docs.html",
        {
            "w": protocol,
            "tolerance_minutes": protocol.SIGNATURE_TOLERANCE_SECONDS // 60,
            "timeout": int(protocol.POST_TIMEOUT_SECONDS[1]),
            "delays": [
                protocol.retry_delay(attempt) for attempt in range(1, protocol.MAX_ATTEMPTS)
            ],
        },
    )
