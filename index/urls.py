from django.urls import path

from . import views
from .webhooks import views as webhook_views

app_name = "index"

urlpatterns = [
    path("engagements/", views.engagement_list, name="engagement_list"),
    path("engagements/export.csv", views.engagement_export, name="engagement_export"),
    path("engagements/new/", views.engagement_create, name="engagement_create"),
    path("engagements/<int:pk>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<int:pk>/edit/", views.engagement_update, name="engagement_update"),
    path("index/", views.dashboard, name="dashboard"),
    path("index/methodology/", views.methodology, name="methodology"),
    path("index/methodology/versions/", views.methodology_versions, name="methodology_versions"),
    path("index/methodology/<int:pk>/", views.methodology_version, name="methodology_version"),
    path("index/methodology/<int:pk>/copy/", views.methodology_copy, name="methodology_copy"),
    path("index/methodology/<int:pk>/edit/", views.methodology_edit, name="methodology_edit"),
    path(
        "index/methodology/<int:pk>/publish/", views.methodology_publish, name="methodology_publish"
    ),
    path("index/methodology/<int:pk>/rescore/", views.rescore_start, name="rescore_start"),
    path("index/rescoring/<int:pk>/", views.rescore_run_detail, name="rescore_run_detail"),
    path("index/rescoring/<int:pk>/status/", views.rescore_run_status, name="rescore_run_status"),
    path("index/webhooks/", webhook_views.webhook_docs, name="webhook_docs"),
    path(
        "index/webhooks/partners/<int:token_pk>/",
        webhook_views.webhook_partner,
        name="webhook_partner",
    ),
    path(
        "index/webhooks/partners/<int:token_pk>/new/",
        webhook_views.webhook_endpoint_create,
        name="webhook_endpoint_create",
    ),
    path(
        "index/webhooks/endpoints/<int:pk>/disable/",
        webhook_views.webhook_endpoint_deactivate,
        name="webhook_endpoint_deactivate",
    ),
    path(
        "index/webhooks/deliveries/<int:pk>/",
        webhook_views.webhook_delivery_detail,
        name="webhook_delivery_detail",
    ),
]
