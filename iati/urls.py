from django.urls import path

from . import views

app_name = "iati_import"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<str:token>/", views.job, name="job"),
    path("<str:token>/status/", views.job_status, name="job_status"),
]
