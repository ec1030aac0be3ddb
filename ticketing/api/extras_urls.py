"""API routes of check-in, event cancellation and the sales report (included by api/urls.py)."""

from django.urls import path

from ticketing.api import extras_views

urlpatterns = [
    path("checkin/", extras_views.CheckInView.as_view(), name="checkin"),
    path("checkin/key/", extras_views.CheckInKeyView.as_view(), name="checkin-key"),
    path("events/<int:pk>/cancel/", extras_views.EventCancelView.as_view(), name="event-cancel"),
    path("events/<int:pk>/report/", extras_views.EventReportView.as_view(), name="event-report"),
]
