from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.errors import api_not_found
from config.health import healthz
from config.metrics import metrics_view
from ticketing.web import buyer_app, ticket_page, ticket_qr, ticket_service_worker

api_v1 = [
    path("auth/", include("accounts.urls")),
    path("", include("venues.urls")),
    path("", include("ticketing.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("", buyer_app, name="buyer-app"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # the printable ticket page and its QR code: the code is the bearer secret, as on paper;
    # the service worker that keeps opened ticket pages offline (its scope: /tickets/)
    path("tickets/sw.js", ticket_service_worker, name="ticket-service-worker"),
    path("tickets/<str:code>/", ticket_page, name="ticket-page"),
    path("tickets/<str:code>/qr.svg", ticket_qr, name="ticket-qr"),
    re_path(r"^api/", api_not_found),
]

handler400 = "config.errors.handler400"
handler403 = "config.errors.handler403"
handler404 = "config.errors.handler404"
handler500 = "config.errors.handler500"
