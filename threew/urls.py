from django.urls import path

from . import views

app_name = "threew_import"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<str:token>/", views.job, name="job"),
    path("<str:token>/status/", views.job_status, name="job_status"),
    path("<str:token>/columns/", views.job_map, name="job_map"),
]
