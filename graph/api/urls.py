"""/api/v1/graph/: URL names ``graph-api:graph`` and ``graph-api:path``."""

from django.urls import path

from . import views

app_name = "graph-api"

urlpatterns = [
    path("graph/", views.GraphApiView.as_view(), name="graph"),
    path("graph/path/", views.GraphPathApiView.as_view(), name="path"),
]
