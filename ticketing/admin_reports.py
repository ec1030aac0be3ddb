"""Admin pieces of the sales report and of whole-event cancellation.

Kept out of ticketing/admin.py, which only wires them in: ``report_urls`` (the report page and
its CSV), ``report_link`` (a read-only field of the event page) and the
``cancel_events_with_refunds`` action. The charts are inline SVG drawn here: no JavaScript,
no CDN, printable.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from config.errors import ApiError
from ticketing.models import Event
from ticketing.selectors.reports import SalesReport, event_sales_report, sales_report_csv
from ticketing.services.event_cancel import event_cancel, event_cancel_progress

STATE_COLOURS = (
    ("booked", "#2b6cb0"),
    ("held", "#dd6b20"),
    ("blocked", "#718096"),
    ("available", "#9ae6b4"),
)
#: One admin request cancels for at most this long; the action says how to continue.
CANCEL_TIME_BUDGET_SECONDS = 20.0


# --- Charts -------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.1f}"


def inventory_chart(report: SalesReport, *, width: int = 860) -> SafeString:
    """One 100 % bar per section and category: booked, held, blocked, available."""
    label_w, bar_w, row_h, top = 210, width - 210 - 70, 30, 34
    height = top + row_h * max(1, len(report.lines)) + 8
    legend = format_html_join(
        "",
        '<rect x="{}" y="6" width="12" height="12" fill="{}"/><text x="{}" y="16">{}</text>',
        (
            (label_w + i * 110, colour, label_w + i * 110 + 17, name)
            for i, (name, colour) in enumerate(STATE_COLOURS)
        ),
    )
    rows = []
    for i, line in enumerate(report.lines):
        y = top + i * row_h
        x = float(label_w)
        segments = []
        for name, colour in STATE_COLOURS:
            count = getattr(line, name)
            w = bar_w * count / line.capacity if line.capacity else 0
            if w:
                segments.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="20" fill="{}">'
                        "<title>{} · {}: {} of {}</title></rect>",
                        _num(x),
                        y,
                        _num(w),
                        colour,
                        line.section,
                        line.category,
                        f"{count} {name}",
                        line.capacity,
                    )
                )
            x += w
        sold = line.booked / line.capacity * 100 if line.capacity else 0
        rows.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{} · {}</text>{}'
                '<text x="{}" y="{}" class="pct">{} % sold</text>',
                label_w - 8,
                y + 15,
                line.section,
                line.category,
                SafeString("".join(segments)),
                label_w + bar_w + 6,
                y + 15,
                f"{sold:.0f}",
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="Seats by state, per section and category">{}{}</svg>',
        width,
        height,
        width,
        height,
        legend,
        SafeString("".join(rows)),
    )


def sales_chart(report: SalesReport, *, width: int = 860, height: int = 280) -> SafeString:
    """Tickets sold per hour or day (bars) and cumulative revenue (line, right-hand scale)."""
    if not report.sales:
        return format_html('<p class="empty">{}</p>', "No tickets sold yet.")
    left, right, top, bottom = 56, 84, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(report.sales)
    slot = plot_w / n
    max_tickets = max(point.tickets for point in report.sales) or 1
    max_revenue = report.sales[-1].cumulative_revenue or Decimal(1)
    bars, points = [], []
    for i, point in enumerate(report.sales):
        h = plot_h * point.tickets / max_tickets
        x = left + i * slot
        bars.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#2b6cb0">'
                "<title>{}: {} tickets, {}</title></rect>",
                _num(x + slot * 0.15),
                _num(top + plot_h - h),
                _num(max(slot * 0.7, 1)),
                _num(h),
                point.period.strftime("%Y-%m-%d %H:%M"),
                point.tickets,
                point.revenue,
            )
        )
        ry = top + plot_h - float(point.cumulative_revenue / max_revenue) * plot_h
        points.append(f"{x + slot / 2:.1f},{ry:.1f}")
    fmt = "%d %b %H:%M" if report.bucket == "hour" else "%d %b"
    first, last = report.sales[0].period.strftime(fmt), report.sales[-1].period.strftime(fmt)
    axes = format_html(
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" class="axis"/>'
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" class="axis"/>'
        '<text x="{lt}" y="{t5}" text-anchor="end">{mt}</text>'
        '<text x="{lt}" y="{b}" text-anchor="end">0</text>'
        '<text x="{rr}" y="{t5}">{mr}</text>'
        '<text x="{l}" y="{bl}">{first}</text>'
        '<text x="{r}" y="{bl}" text-anchor="end">{last}</text>'
        '<text x="{l}" y="12" class="legend-bar">■ tickets per {bucket}</text>'
        '<text x="{r}" y="12" text-anchor="end" class="legend-line">— cumulative revenue</text>',
        l=left,
        r=left + plot_w,
        t=top,
        b=top + plot_h,
        lt=left - 6,
        t5=top + 5,
        rr=left + plot_w + 6,
        bl=top + plot_h + 18,
        mt=max_tickets,
        mr=max_revenue,
        first=first,
        last=last,
        bucket=report.bucket,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="Sales over time">{}{}<polyline points="{}" fill="none" stroke="#c05621" '
        'stroke-width="2.5"/></svg>',
        width,
        height,
        width,
        height,
        axes,
        SafeString("".join(bars)),
        " ".join(points),
    )


# --- Views ------------------------------------------------------------------------------------


def _event_for(request: HttpRequest, model_admin: admin.ModelAdmin, object_id: str) -> Event:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    return get_object_or_404(Event.objects.select_related("hall__venue"), pk=object_id)


def report_view(request: HttpRequest, object_id: str, *, model_admin: admin.ModelAdmin) -> TemplateResponse:
    event = _event_for(request, model_admin, object_id)
    bucket = request.GET.get("bucket") if request.GET.get("bucket") in ("hour", "day") else None
    report = event_sales_report(event=event, now=timezone.now(), bucket=bucket)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Sales report: {event}",
        "opts": Event._meta,
        "original": event,
        "event": event,
        "report": report,
        "inventory_chart": inventory_chart(report),
        "sales_chart": sales_chart(report),
        "cancel_progress": event_cancel_progress(event=event)
        if event.status == Event.Status.CANCELLED
        else None,
        "csv_url": reverse("admin:ticketing_event_report_csv", args=[event.pk]),
    }
    return TemplateResponse(request, "admin/ticketing/report.html", context)


def report_csv_view(request: HttpRequest, object_id: str, *, model_admin: admin.ModelAdmin) -> HttpResponse:
    event = _event_for(request, model_admin, object_id)
    part = request.GET.get("part") if request.GET.get("part") in ("sales", "types") else "inventory"
    report = event_sales_report(event=event, now=timezone.now())
    response = HttpResponse(sales_report_csv(report, part=part), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-{part}.csv"'
    return response


def report_urls(model_admin: admin.ModelAdmin) -> list:
    """For EventAdmin.get_urls: the report page and its CSV, before the default routes."""
    site = model_admin.admin_site
    return [
        path(
            "<path:object_id>/report/",
            site.admin_view(
                lambda request, object_id: report_view(request, object_id, model_admin=model_admin)
            ),
            name="ticketing_event_report",
        ),
        path(
            "<path:object_id>/report.csv",
            site.admin_view(
                lambda request, object_id: report_csv_view(request, object_id, model_admin=model_admin)
            ),
            name="ticketing_event_report_csv",
        ),
    ]


@admin.display(description="sales report")
def report_link(event: Event) -> str:
    if not event.pk:
        return "-"
    return format_html(
        '<a href="{}">Seats, revenue and sales over time (chart, CSV)</a>',
        reverse("admin:ticketing_event_report", args=[event.pk]),
    )


@admin.action(description="Cancel events with all their bookings (refund everyone)", permissions=["change"])
def cancel_events_with_refunds(model_admin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    """Each event: off sale, holds released, bookings cancelled and refunded in batches.

    Bounded per request; if it has not finished, the message says so and running the action
    again (or ``manage.py cancel_event``) continues where it stopped.
    """
    for event in queryset.order_by("pk"):
        try:
            progress = event_cancel(event=event, actor=request.user, time_budget=CANCEL_TIME_BUDGET_SECONDS)
        except ApiError as error:
            model_admin.message_user(request, f"{event}: {error.detail}", messages.ERROR)
            continue
        text = (
            f"{event}: cancelled; {progress.bookings_cancelled} bookings cancelled, "
            f"{progress.refunds_done} refunded, {progress.checked_in_voided} checked-in tickets voided"
        )
        if progress.done:
            model_admin.message_user(request, text + ".", messages.SUCCESS)
        else:
            model_admin.message_user(
                request,
                f"{text}; {progress.bookings_confirmed} bookings and {progress.refunds_due} refunds to go: "
                "run the action again to continue.",
                messages.WARNING,
            )
