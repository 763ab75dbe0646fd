from django.urls import path

from . import views

app_name = "index"

urlpatterns = [
    path("engagements/", views.engagement_list, name="engagement_list"),
    path("engagements/new/", views.engagement_create, name="engagement_create"),
    path("engagements/<int:pk>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<int:pk>/edit/", views.engagement_update, name="engagement_update"),
    path("index/", views.dashboard, name="dashboard"),
    path("index/methodology/", views.methodology, name="methodology"),
]
