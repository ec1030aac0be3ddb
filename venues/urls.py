from rest_framework.routers import SimpleRouter

from venues import views

router = SimpleRouter()
router.register("venues", views.VenueViewSet, basename="venue")
router.register("halls", views.HallViewSet, basename="hall")

urlpatterns = router.urls
