"""/api/v1/ of the index: URL names ``index-api:score-list`` / ``score-detail``."""

from rest_framework.routers import SimpleRouter

from . import views, webhooks

app_name = "index-api"

router = SimpleRouter()
router.register("scores", views.ScoreViewSet, basename="score")
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")

urlpatterns = router.urls
