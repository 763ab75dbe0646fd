from django.urls import path

from . import views

app_name = "iati_import"

urlpatterns = [
    path("", views.upload, name="upload"),
    # Before the job routes: "kinds" is not a job token.
    path("kinds/", views.kind_mapping, name="kind_mapping"),
    path("<str:token>/", views.job, name="job"),
    path("<str:token>/status/", views.job_status, name="job_status"),
]
