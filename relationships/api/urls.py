"""/api/v1/ of relationships: URL names ``relationships-api:interaction-list`` / ``-detail`` and
``relationships-api:followup-list`` / ``-detail``, ``relationships-api:salience-list`` /
``-detail`` and ``relationships-api:outcome-positions``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "relationships-api"

router = SimpleRouter()
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("follow-ups", views.FollowUpViewSet, basename="followup")
router.register("salience", views.SalienceViewSet, basename="salience")

urlpatterns = [
    *router.urls,
    path(
        "outcomes/<int:pk>/positions/",
        views.OutcomePositionsView.as_view(),
        name="outcome-positions",
    ),
]
