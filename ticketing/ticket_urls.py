"""The printable ticket page and its QR code (included by config/urls.py under /tickets/)."""

from django.urls import path

from ticketing.api import extras_views

urlpatterns = [
    path("<str:code>/", extras_views.ticket_page, name="ticket-page"),
    path("<str:code>/qr.svg", extras_views.ticket_qr, name="ticket-qr"),
]
