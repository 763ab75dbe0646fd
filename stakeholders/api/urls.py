"""/api/v1/ of the registry: URL names ``stakeholders-api:<basename>-list`` / ``-detail``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import history, views

app_name = "stakeholders-api"

router = SimpleRouter()
router.register("stakeholders", views.StakeholderViewSet, basename="stakeholder")
router.register("outcomes", views.OutcomeViewSet, basename="outcome")
router.register("stakes", views.StakeViewSet, basename="stake")
router.register("ties", views.TieViewSet, basename="tie")

urlpatterns = [
    path("registry/diff/", history.RegistryDiffView.as_view(), name="registry-diff"),
    *router.urls,
]
