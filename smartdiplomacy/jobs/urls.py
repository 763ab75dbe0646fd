from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("<int:pk>/cancel/", views.job_cancel_view, name="job_cancel"),
]
