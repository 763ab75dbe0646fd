"""/api/v1/map/: URL name ``map-api:map``."""

from django.urls import path

from . import map_views

app_name = "map-api"

urlpatterns = [path("map/", map_views.MapApiView.as_view(), name="map")]
