"""The box office's desk sale in the admin: pick an event, its seats, take the money, print.

Kept out of ticketing/admin.py, which only wires it in: ``box_office_urls`` (the event picker and
the sale page of an event) and ``box_office_link`` (a read-only field of the event page). The
sale itself is one service call, ``box_office_sell`` (services/box_office.py): the same holds,
bookings and locks as the API, whole or nothing. Staff need the permission to change bookings
(as the admin's cancel and void actions do). An event with ticket types beyond ``full`` shows one
count per type ("How many Reduced tickets"): the first chosen seats, in id order, get the first
type, and so on; the rest are ``full``. The types' checks (a price for the seat's category, the
limit per booking) are ``booking_price``'s, in the sale: a refusal is a message, nothing sold.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from config.errors import ApiError, Invalid
from ticketing.models import Event, EventPrice, EventSeat, Hold
from ticketing.selectors.ticket_types import ticket_type_names, ticket_types_of
from ticketing.services.box_office import box_office_sell
from ticketing.services.notifications import ticket_page_url

SEATS_SHOWN = 500  # at most this many checkboxes at once: one section of a stadium at a time

METHODS = [("cash", "Cash"), ("card_present", "Card (terminal at the desk)")]
TYPE_FIELD = "type_"  # the count of a ticket type: type_<code>
MAX_COUNT = 1000  # a count's bound in the form; the sale's own checks bound it further


class SaleForm(forms.Form):
    seats = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Available seats"
    )
    seat_ids = forms.CharField(
        required=False,
        label="Or seat ids",
        help_text="Event-seat ids separated by commas or spaces (as on the seat map).",
    )
    email = forms.EmailField(
        required=False,
        max_length=254,  # as User.email
        label="Buyer email (optional)",
        help_text="The tickets are emailed there, and the sale joins that account's bookings.",
    )
    method = forms.ChoiceField(choices=METHODS, widget=forms.RadioSelect, initial="cash", label="Paid by")

    def __init__(
        self, *args, seat_choices: list[tuple[str, str]], ticket_types: list[dict[str, Any]], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["seats"].choices = seat_choices
        self.ticket_types = ticket_types  # the event's types on offer, ``full`` left out
        for ticket_type in ticket_types:
            prices = ", ".join(
                f"{category} {price}" for category, price in sorted(ticket_type["prices"].items())
            )
            limit = ticket_type["max_per_booking"]
            self.fields[TYPE_FIELD + ticket_type["code"]] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=MAX_COUNT,
                initial=0,
                label=f"How many {ticket_type['name']} tickets",
                help_text=f"{prices or 'no category'}"
                + (f"; at most {limit} per booking" if limit is not None else ""),
            )

    def ticket_type_fields(self) -> list[forms.BoundField]:
        return [self[TYPE_FIELD + ticket_type["code"]] for ticket_type in self.ticket_types]

    def clean_seat_ids(self) -> list[int]:
        text = self.cleaned_data["seat_ids"].replace(",", " ").split()
        try:
            return [int(part) for part in text]
        except ValueError:
            raise forms.ValidationError("Seat ids are whole numbers.") from None

    def clean(self):
        data = super().clean()
        ids = sorted({*(int(i) for i in data.get("seats", [])), *data.get("seat_ids", [])})
        if not ids and not self.errors:
            raise forms.ValidationError("Pick at least one seat.")
        data["all_seat_ids"] = ids
        offered = {TYPE_FIELD + ticket_type["code"] for ticket_type in self.ticket_types}
        for key in self.data:  # a type retired since the page was drawn: not sold as full instead
            if key.startswith(TYPE_FIELD) and key not in offered and self.data[key] not in ("", "0"):
                raise forms.ValidationError(
                    f"The ticket type {key.removeprefix(TYPE_FIELD)} is no longer offered: reload the page."
                )
        counts = [(t["code"], data.get(TYPE_FIELD + t["code"]) or 0) for t in self.ticket_types]
        if sum(count for _, count in counts) > len(ids):
            raise forms.ValidationError(
                f"{sum(count for _, count in counts)} tickets of a type for {len(ids)} seats:"
                " at most one type a seat."
            )
        # the first seats, in id order, get the first type, and so on; the rest are full
        picked, seats = {}, iter(ids)
        for code, count in counts:
            for _ in range(count):
                picked[next(seats)] = code
        data["ticket_types"] = picked
        return data


def _available_seats(event: Event, *, section_id: int | None) -> list[tuple[str, str]]:
    """The seats of ``event`` free at this moment (a seat of an expired hold included), with
    their place and price, in map order; of one section when given, at most SEATS_SHOWN."""
    now = timezone.now()
    free = Q(status=EventSeat.Status.AVAILABLE) | (
        Q(status=EventSeat.Status.HELD) & ~Hold.live_q(now, prefix="hold__")
    )
    seats = EventSeat.objects.filter(free, event=event).select_related("seat__section").order_by("id")
    if section_id is not None:
        seats = seats.filter(seat__section_id=section_id)
    prices = dict(EventPrice.objects.filter(event=event).values_list("category", "amount"))
    return [
        (
            str(seat.pk),
            f"{seat.seat.section.name} · row {seat.seat.row_label} · seat {seat.seat.number}"
            f" · {seat.seat.category} {prices.get(seat.seat.category, '—')}",
        )
        for seat in seats[:SEATS_SHOWN]
    ]


def _offered_types(event: Event) -> list[dict[str, Any]]:
    """The event's ticket types on offer beyond ``full``, in their order."""
    return ticket_types_of(event=event)[1:]


def _refusal(error: ApiError) -> str:
    """The admin message of a refused sale: its detail, and per seat what a ticket type lacks."""
    problems = error.extra.get("fields", {}).get("ticket_types") if isinstance(error, Invalid) else None
    if not isinstance(problems, dict):
        return f"Nothing was sold: {error.detail}"
    ids = [int(seat_id) for seat_id in problems if seat_id.isdigit()]
    places = {
        str(seat.pk): f"{seat.seat.section.name} row {seat.seat.row_label} seat {seat.seat.number}"
        for seat in EventSeat.objects.filter(pk__in=ids).select_related("seat__section")
    }
    lines = [f"{places.get(seat_id, seat_id)}: {' '.join(texts)}" for seat_id, texts in problems.items()]
    return f"Nothing was sold: {error.detail} " + "; ".join(lines)


def _pk(value: str | None) -> int | None:
    """A primary key from the URL or the query string; None for anything else (hostile input
    such as "abc", "²" or 30 digits is not a crash)."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value) or None


def _ensure_allowed(request: HttpRequest) -> None:
    if not request.user.has_perm("ticketing.change_booking"):
        raise PermissionDenied


def box_office_view(
    request: HttpRequest, object_id: str, *, model_admin: admin.ModelAdmin
) -> TemplateResponse:
    _ensure_allowed(request)
    event_id = _pk(object_id)
    if event_id is None:
        raise Http404("No such event.")
    event = get_object_or_404(Event.objects.select_related("hall__venue"), pk=event_id)
    sections = list(event.hall.sections.order_by("position", "id").values("id", "name"))
    section_id = _pk(request.GET.get("section"))
    choices = _available_seats(event, section_id=section_id)
    offered = _offered_types(event)
    form = SaleForm(request.POST or None, seat_choices=choices, ticket_types=offered)
    booking, names = None, {}
    if request.method == "POST" and form.is_valid():
        try:
            booking = box_office_sell(
                staff=request.user,
                event=event,
                seat_ids=form.cleaned_data["all_seat_ids"],
                method=form.cleaned_data["method"],
                email=form.cleaned_data["email"],
                ticket_types=form.cleaned_data["ticket_types"],
            )
        except ApiError as error:  # seats taken meanwhile, off sale, over a limit...: nothing sold
            model_admin.message_user(request, _refusal(error), messages.ERROR)
        else:
            names = ticket_type_names(event_id=event.pk)  # full and the event's types, retired too
            kinds = Counter(
                names.get(ticket.ticket_type, ticket.ticket_type) for ticket in booking.tickets.all()
            )
            model_admin.message_user(
                request,
                f"Sold: booking {booking.pk}, {len(booking.tickets.all())} tickets"
                f" ({', '.join(f'{count} {name}' for name, count in kinds.items())}),"
                f" total {booking.total}.",
                messages.SUCCESS,
            )
            form = SaleForm(seat_choices=_available_seats(event, section_id=section_id), ticket_types=offered)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Box office: {event}",
        "opts": Event._meta,
        "event": event,
        "form": form,
        "sections": sections,
        "section_id": section_id,
        "seats_shown": SEATS_SHOWN,
        "booking": booking,
        "tickets": [
            {
                "ticket": ticket,
                "type_name": names.get(ticket.ticket_type, ticket.ticket_type),
                "url": ticket_page_url(ticket.code),
            }
            for ticket in booking.tickets.all()
        ]
        if booking
        else [],
    }
    return TemplateResponse(request, "admin/ticketing/box_office.html", context)


def box_office_events_view(request: HttpRequest, *, model_admin: admin.ModelAdmin) -> TemplateResponse:
    """The events on sale now, soonest first: where the desk starts."""
    _ensure_allowed(request)
    events = Event.objects.filter(status=Event.Status.ON_SALE, starts_at__gt=timezone.now()).select_related(
        "hall__venue"
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Box office",
        "opts": Event._meta,
        "events": events.order_by("starts_at", "id")[:200],
    }
    return TemplateResponse(request, "admin/ticketing/box_office_events.html", context)


def box_office_urls(model_admin: admin.ModelAdmin) -> list:
    """For EventAdmin.get_urls: the desk's event picker and an event's sale page."""
    site = model_admin.admin_site
    return [
        path(
            "box-office/",
            site.admin_view(lambda request: box_office_events_view(request, model_admin=model_admin)),
            name="ticketing_event_box_office_events",
        ),
        path(
            "<path:object_id>/box-office/",
            site.admin_view(
                lambda request, object_id: box_office_view(request, object_id, model_admin=model_admin)
            ),
            name="ticketing_event_box_office",
        ),
    ]


@admin.display(description="box office")
def box_office_link(event: Event) -> str:
    if not event.pk:
        return "-"
    return format_html(
        '<a href="{}">Sell seats at the desk (cash or card)</a>',
        reverse("admin:ticketing_event_box_office", args=[event.pk]),
    )
