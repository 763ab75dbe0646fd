from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("candidates/", views.candidate_list, name="candidate_list"),
    path("candidates/methodology/", views.methodology, name="methodology"),
    path("candidates/runs/", views.run_list, name="run_list"),
    path("candidates/runs/start/", views.run_start, name="run_start"),
    path("candidates/runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("candidates/runs/<int:pk>/status/", views.run_status, name="run_status"),
    path("candidates/<int:pk>/", views.candidate_detail, name="candidate_detail"),
    path("candidates/<int:pk>/dismiss/", views.candidate_dismiss, name="candidate_dismiss"),
    path("candidates/<int:pk>/restore/", views.candidate_restore, name="candidate_restore"),
]
