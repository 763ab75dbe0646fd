"""/api/v1/ of relationships: URL names ``relationships-api:interaction-list`` / ``-detail`` and
``relationships-api:followup-list`` / ``-detail``."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "relationships-api"

router = SimpleRouter()
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("follow-ups", views.FollowUpViewSet, basename="followup")

urlpatterns = router.urls
