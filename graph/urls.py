from django.urls import path

from . import views

app_name = "graph"

urlpatterns = [
    path("graph/", views.explorer, name="explorer"),
    path("graph/table/", views.table, name="table"),
    path("graph/gaps/", views.gaps, name="gaps"),
    path("graph/export.<str:fmt>", views.export, name="export"),
    path("graph/views/<str:slug>/", views.saved_view, name="saved_view"),
]
