"""/api/v1/graph/: URL names ``graph-api:graph``, ``graph-api:path`` and ``graph-api:gaps``."""

from django.urls import path

from . import views

app_name = "graph-api"

urlpatterns = [
    path("graph/", views.GraphApiView.as_view(), name="graph"),
    path("graph/path/", views.GraphPathApiView.as_view(), name="path"),
    path("graph/gaps/", views.OutcomeGapsApiView.as_view(), name="gaps"),
    path("graph/views/", views.SavedViewListApiView.as_view(), name="view-list"),
]
