from django.urls import path

from . import views

app_name = "relationships"

urlpatterns = [
    path("interactions/", views.interaction_list_page, name="interaction_list"),
    path("interactions/new/", views.interaction_create, name="interaction_create"),
    path("interactions/<int:pk>/", views.interaction_detail, name="interaction_detail"),
    path("interactions/<int:pk>/edit/", views.interaction_update, name="interaction_update"),
    path("interactions/<int:pk>/delete/", views.interaction_delete, name="interaction_delete"),
    path("interactions/<int:pk>/promote/", views.interaction_promote, name="interaction_promote"),
    path("stakeholders/<int:pk>/timeline/", views.timeline, name="timeline"),
    path("stakeholders/<int:pk>/owner/", views.owner_set, name="owner_set"),
    path("stakeholders/<int:pk>/follow-ups/new/", views.follow_up_create, name="follow_up_create"),
    path("follow-ups/", views.follow_up_list_page, name="follow_up_list"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("salience/new/", views.salience_assess, name="salience_assess"),
]
