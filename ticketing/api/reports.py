"""API of the sales report: an event's inventory or sales as CSV (staff)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import get_object_or_404  # a malformed id is a 404 too
from rest_framework.views import APIView

from config.permissions import IsStaff
from ticketing.api import serializers as s
from ticketing.models import Event
from ticketing.selectors.reports import event_sales_report, sales_report_csv


class EventReportView(APIView):
    """The event's sales report as CSV: ``part=inventory`` (default) or ``part=sales``."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(str, description="CSV, one header row")},
    )
    def get(self, request, pk: int):
        query = s.ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        event = get_object_or_404(Event.objects.select_related("hall__venue"), pk=pk)
        bucket = query.validated_data.get("bucket")
        report = event_sales_report(event=event, now=timezone.now(), bucket=bucket)
        part = query.validated_data["part"]
        response = HttpResponse(sales_report_csv(report, part=part), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-{part}.csv"'
        return response
