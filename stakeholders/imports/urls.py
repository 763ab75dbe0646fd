from django.urls import path

from . import views

app_name = "stakeholder_imports"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/status/", views.job_status, name="job_status"),
    path("<int:pk>/import/", views.job_apply, name="job_apply"),
    path("templates/<str:kind>.csv", views.template_download, name="template_download"),
]
