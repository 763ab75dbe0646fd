from django.urls import path

from . import as_of_views, left_stakes_views, merge_views, outcome_views, relation_views, views

app_name = "stakeholders"

urlpatterns = [
    path("stakeholders/", views.stakeholder_list, name="stakeholder_list"),
    path("stakeholders/export.csv", views.stakeholder_export, name="stakeholder_export"),
    path("stakeholders/new/", views.stakeholder_create, name="stakeholder_create"),
    path("stakeholders/bulk/", views.stakeholder_bulk, name="stakeholder_bulk"),
    path("stakeholders/search/", views.stakeholder_search, name="stakeholder_search"),
    path("stakeholders/duplicates/", merge_views.duplicate_list, name="duplicate_list"),
    path(
        "stakeholders/duplicates/dismiss/",
        merge_views.duplicate_dismiss_view,
        name="duplicate_dismiss",
    ),
    path("stakeholders/merge/", merge_views.merge_page, name="stakeholder_merge"),
    path("stakeholders/merges/", merge_views.merge_record_list, name="merge_record_list"),
    path(
        "stakeholders/merges/<int:pk>/",
        merge_views.merge_record_detail,
        name="merge_record_detail",
    ),
    path(
        "stakeholders/merges/<int:pk>/undo/",
        merge_views.merge_record_undo,
        name="merge_record_undo",
    ),
    path("outcomes/search/", outcome_views.outcome_search, name="outcome_search"),
    path("stakeholders/<int:pk>/", views.stakeholder_detail, name="stakeholder_detail"),
    path("stakeholders/<int:pk>/edit/", views.stakeholder_update, name="stakeholder_update"),
    path("stakeholders/<int:pk>/delete/", views.stakeholder_delete, name="stakeholder_delete"),
    path(
        "stakeholders/<int:pk>/stakes/add/",
        relation_views.stakeholder_stake_add,
        name="stakeholder_stake_add",
    ),
    path(
        "stakeholders/<int:pk>/ties/add/",
        relation_views.stakeholder_tie_add,
        name="stakeholder_tie_add",
    ),
    path("outcomes/", outcome_views.outcome_list, name="outcome_list"),
    path("outcomes/export.csv", outcome_views.outcome_export, name="outcome_export"),
    path("outcomes/new/", outcome_views.outcome_create, name="outcome_create"),
    path("outcomes/merge/", merge_views.outcome_merge_page, name="outcome_merge"),
    path("outcomes/left-stakes/", left_stakes_views.left_stakes_page, name="left_stakes"),
    path("outcomes/<int:pk>/", outcome_views.outcome_detail, name="outcome_detail"),
    path("outcomes/<int:pk>/edit/", outcome_views.outcome_update, name="outcome_update"),
    path("outcomes/<int:pk>/delete/", outcome_views.outcome_delete, name="outcome_delete"),
    path("outcomes/<int:pk>/promote/", outcome_views.outcome_promote, name="outcome_promote"),
    path(
        "outcomes/<int:pk>/stakes/add/", relation_views.outcome_stake_add, name="outcome_stake_add"
    ),
    path("stakes/<int:pk>/edit/", relation_views.stake_update, name="stake_update"),
    path("stakes/<int:pk>/delete/", relation_views.stake_delete, name="stake_delete"),
    path("ties/<int:pk>/edit/", relation_views.tie_update, name="tie_update"),
    path("ties/<int:pk>/delete/", relation_views.tie_delete, name="tie_delete"),
    path("registry/diff/", as_of_views.registry_diff_page, name="registry_diff"),
    path("registry/diff/export.csv", as_of_views.registry_diff_export, name="registry_diff_export"),
]
