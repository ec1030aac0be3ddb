from rest_framework.routers import SimpleRouter

from ticketing.api import extras_urls, views

router = SimpleRouter()
router.register("events", views.EventViewSet, basename="event")
router.register("holds", views.HoldViewSet, basename="hold")
router.register("bookings", views.BookingViewSet, basename="booking")

urlpatterns = extras_urls.urlpatterns + router.urls
