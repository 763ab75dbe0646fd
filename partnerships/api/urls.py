"""/api/v1/ of the overlap job: ``partnerships-api:candidate-list`` / ``overlaprun-list`` …"""

from rest_framework.routers import SimpleRouter

from ..coalitions.api import CoalitionViewSet
from . import views

app_name = "partnerships-api"

router = SimpleRouter()
router.register("candidates", views.CandidateViewSet, basename="candidate")
router.register("overlap-runs", views.OverlapRunViewSet, basename="overlaprun")
router.register("partnerships", views.PartnershipViewSet, basename="partnership")
router.register("coalitions", CoalitionViewSet, basename="coalition")

urlpatterns = router.urls
