"""/api/v1/ of the index: URL names ``index-api:score-list`` / ``score-detail``."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "index-api"

router = SimpleRouter()
router.register("scores", views.ScoreViewSet, basename="score")

urlpatterns = router.urls
