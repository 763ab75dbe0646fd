from django.urls import path

from . import partnership_views, views
from .coalitions.urls import urlpatterns as coalition_urlpatterns

app_name = "partnerships"

urlpatterns = [
    path("candidates/", views.candidate_list, name="candidate_list"),
    path("candidates/export.csv", views.candidate_export, name="candidate_export"),
    path("candidates/bulk/", views.candidate_bulk, name="candidate_bulk"),
    path("candidates/methodology/", views.methodology, name="methodology"),
    path("candidates/runs/", views.run_list, name="run_list"),
    path("candidates/runs/start/", views.run_start, name="run_start"),
    path("candidates/runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("candidates/runs/<int:pk>/status/", views.run_status, name="run_status"),
    # A candidate is named by its pair of actors (lower id first), so links outlive runs.
    path("candidates/<int:a>-<int:b>/", views.candidate_detail, name="candidate_detail"),
    path("candidates/<int:a>-<int:b>/dismiss/", views.candidate_dismiss, name="candidate_dismiss"),
    path("candidates/<int:a>-<int:b>/restore/", views.candidate_restore, name="candidate_restore"),
]

urlpatterns += [
    path("partnerships/", partnership_views.partnership_list, name="partnership_list"),
    path("partnerships/mine/", partnership_views.my_proposals, name="my_proposals"),
    path("partnerships/review/", partnership_views.review_queue, name="review_queue"),
    path(
        "partnerships/export.csv", partnership_views.partnership_export, name="partnership_export"
    ),
    path("partnerships/new/", partnership_views.partnership_create, name="partnership_create"),
    path(
        "partnerships/stakeholder-search/",
        partnership_views.stakeholder_search,
        name="stakeholder_search",
    ),
    path("partnerships/<int:pk>/", partnership_views.partnership_detail, name="partnership_detail"),
    path(
        "partnerships/<int:pk>/edit/",
        partnership_views.partnership_update,
        name="partnership_update",
    ),
    path(
        "partnerships/<int:pk>/comments/",
        partnership_views.partnership_comment_add,
        name="partnership_comment_add",
    ),
    path(
        "partnerships/<int:pk>/transition/",
        partnership_views.partnership_transition,
        name="partnership_transition",
    ),
]

urlpatterns += coalition_urlpatterns
