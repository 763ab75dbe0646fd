"""/map/ (its own include, beside the relationships app's other pages)."""

from django.urls import path

from . import map_views

app_name = "map"

urlpatterns = [path("", map_views.map_page, name="map")]
