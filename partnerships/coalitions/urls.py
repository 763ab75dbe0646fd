"""Coalition pages, under /candidates/coalitions/ (names in the ``partnerships`` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("candidates/coalitions/", views.coalition_list, name="coalition_list"),
    path("candidates/coalitions/export.csv", views.coalition_export, name="coalition_export"),
    path("candidates/coalitions/compute/", views.coalition_compute, name="coalition_compute"),
    path("candidates/coalitions/<str:key>/", views.coalition_detail, name="coalition_detail"),
    path(
        "candidates/coalitions/<str:key>/propose/",
        views.coalition_propose,
        name="coalition_propose",
    ),
]
