"""Everything under /api/: each app's v1 resources, the OpenAPI schema and its docs.

A new app adds its API with one line here: ``path("v1/", include("<app>.api.urls"))``.
"""

from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions

from smartdiplomacy.api.errors import api_not_found
from smartdiplomacy.api.permissions import HasTokenScope


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema, for signed-in people and for any valid partner token."""

    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    required_scopes = ()  # any token: partners need the schema to use what their scopes allow


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its set-up script served as a file (``?script``) and no inline style, so
    that it works under the Content-Security-Policy (no inline script or style anywhere)."""

    template_name = "api/swagger_ui.html"


urlpatterns = [
    # The scores first: partner systems poll them, and Django tries the patterns in order (the
    # prefixes do not overlap, so the order decides nothing else; the schema sorts its paths).
    path("v1/", include("index.api.urls")),
    path("v1/", include("stakeholders.api.urls")),
    path("v1/", include("partnerships.api.urls")),
    path("v1/", include("graph.api.urls")),
    path("v1/", include("relationships.api.urls")),
    path("v1/", include("relationships.api.map_urls")),
    path("v1/", include("smartdiplomacy.jobs.api")),
    path("schema/", ApiSchemaView.as_view(), name="api-schema"),
    # The interactive docs are pages for people: signing in is by the login page, and their
    # JavaScript and CSS come from drf-spectacular-sidecar's static files (no CDN, works offline).
    path(
        "docs/",
        login_required(ApiDocsView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    # Last: whatever else is asked under /api/ gets a 404 in the API's error shape, not HTML.
    re_path(r"^", api_not_found),
]
