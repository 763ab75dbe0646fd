from django.contrib import admin
from django.urls import include, path

from ops.views import healthz, metrics

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("changes/", views.change_log, name="change_log"),
    path("accounts/", include("accounts.urls")),
    path("registry/imports/", include("stakeholders.imports.urls")),
    path("registry/iati/", include("iati.urls")),
    path("registry/3w/", include("threew.urls")),
    path("api/", include("smartdiplomacy.api_urls")),
    path("jobs/", include("smartdiplomacy.jobs.urls")),
    path("", include("stakeholders.urls")),
    path("", include("partnerships.urls")),
    path("", include("graph.urls")),
    path("", include("index.urls")),
    path("relationships/", include("relationships.urls")),
    path("map/", include("relationships.map_urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Prometheus, for a scraper holding METRICS_TOKEN (404 while none is set).
    path("metrics", metrics, name="metrics"),
]

handler403 = "smartdiplomacy.errors.permission_denied"
handler404 = "smartdiplomacy.errors.page_not_found"
handler500 = "smartdiplomacy.errors.server_error"
