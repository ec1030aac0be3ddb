"""The ticketing API's routes: resources by router, the staff and gate endpoints by path."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from ticketing.api import bookings, checkin, events, holds, reports, seasons, tickets, waitlist

router = SimpleRouter()
router.register("events", events.EventViewSet, basename="event")
router.register("holds", holds.HoldViewSet, basename="hold")
router.register("bookings", bookings.BookingViewSet, basename="booking")
router.register("tickets", tickets.TicketViewSet, basename="ticket")
router.register("seasons", seasons.SeasonViewSet, basename="season")
router.register("waitlist", waitlist.WaitlistViewSet, basename="waitlist")

urlpatterns = [
    path("checkin/", checkin.CheckInView.as_view(), name="checkin"),
    path("checkin/key/", checkin.CheckInKeyView.as_view(), name="checkin-key"),
    path("events/<int:pk>/cancel/", events.EventCancelView.as_view(), name="event-cancel"),
    path("events/<int:pk>/report/", reports.EventReportView.as_view(), name="event-report"),
    path("events/<int:pk>/waitlist/", waitlist.EventWaitlistView.as_view(), name="event-waitlist"),
    *router.urls,
]
