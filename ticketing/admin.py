"""Box-office admin: events, prices, seats, holds, bookings, tickets and the audit trail.

Every change goes through the same services as the API: an event is created with its inventory
by ``event_create``; sales open and close with ``event_set_status``; seats are blocked with
``seats_block``; holds are released with ``holds_release``, bookings cancelled with
``bookings_cancel``. Inventory, holds, bookings, tickets and the audit trail are read-only rows.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, adopt, error_text, run_per_object
from config.errors import ApiError, Invalid
from ticketing import admin_box_office, admin_reports
from ticketing.admin_prices import CategoryPriceFormSet
from ticketing.models import (
    Booking,
    Event,
    EventPrice,
    EventSeat,
    Hold,
    IdempotencyKey,
    Payment,
    SeatAudit,
    Ticket,
    TicketType,
    WaitlistEntry,
)
from ticketing.selectors.events import events_availability
from ticketing.services.bookings import bookings_cancel
from ticketing.services.events import (
    event_create,
    event_kind_validate,
    event_set_status,
    event_update,
    hall_categories,
)
from ticketing.services.holds import holds_release
from ticketing.services.inventory import seat_effective_status, seats_block, seats_unblock
from ticketing.services.payments import payments_desk_refund_record
from ticketing.services.ticket_types import ticket_types_validate
from ticketing.services.waiting_room import waiting_room_validate

EVENT_FORM_FIELDS = (
    "kind",
    "title",
    "home_team",
    "away_team",
    "hall",
    "starts_at",
    "hold_seconds",
    "max_seats_per_buyer",
    "waiting_room_opens_at",
    "waiting_room_admit_per_minute",
)


def add_service_errors(form: forms.Form, error: Invalid) -> None:
    """Put a service's field errors on the form's fields (or on the form when unknown)."""
    fields = error.extra.get("fields") or {}
    if not fields:
        form.add_error(None, str(error.detail))
    for name, problems in fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, str(problem))


def seat_map_url(event: Event) -> str:
    return reverse("admin:ticketing_eventseat_changelist") + f"?event__id__exact={event.pk}"


# --- Events ---------------------------------------------------------------------------------


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = EVENT_FORM_FIELDS

    def clean(self):
        data = super().clean()
        if {"kind", "title", "home_team", "away_team"} <= set(data):
            try:
                event_kind_validate(
                    kind=data["kind"],
                    title=data["title"],
                    home_team=data["home_team"],
                    away_team=data["away_team"],
                )
            except Invalid as error:
                add_service_errors(self, error)
        if {"waiting_room_opens_at", "waiting_room_admit_per_minute"} <= set(data):
            try:
                waiting_room_validate(
                    opens_at=data["waiting_room_opens_at"],
                    admit_per_minute=data["waiting_room_admit_per_minute"],
                    event=self.instance if self.instance.pk else None,
                    now=timezone.now(),
                )
            except Invalid as error:
                self.add_error("waiting_room_opens_at", str(error.detail))
        if self.instance.pk is None and data.get("hall") and not hall_categories(hall=data["hall"]):
            self.add_error("hall", "This hall has no seat layout yet: give it one first.")
        return data


class EventPriceInline(admin.TabularInline):
    model = EventPrice
    formset = CategoryPriceFormSet
    fields = ("category", "amount")
    extra = 2
    can_delete = False


class TicketTypeFormSet(BaseInlineFormSet):
    """The ticket types are checked by the service (codes, names, prices of the hall's
    categories, limits) before anything is saved; saving passes the whole list to it."""

    def ticket_types(self) -> list[dict]:
        return [
            {
                "code": (form.cleaned_data.get("code") or "").strip(),
                "name": form.cleaned_data.get("name") or "",
                "prices": form.cleaned_data.get("prices") or {},
                "max_per_booking": form.cleaned_data.get("max_per_booking"),
            }
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.hall_id:
            return
        try:
            ticket_types_validate(
                ticket_types=self.ticket_types(), categories=hall_categories(hall=self.instance.hall)
            )
        except Invalid as error:
            raise forms.ValidationError(str(error.detail)) from error


class TicketTypeForm(forms.ModelForm):
    class Meta:
        model = TicketType
        fields = ("code", "name", "prices", "max_per_booking")

    def validate_unique(self):
        """The service checks the list and upserts by code (a retired code may come back)."""


class TicketTypeInline(admin.TabularInline):
    """Types beside the full price (its prices are the inline above): prices per category as
    JSON, e.g. {"vip": "40.00", "standard": "15.00"}; a category left out is not sold at it.
    Deleting a row retires the type (its tickets keep it)."""

    model = TicketType
    form = TicketTypeForm
    formset = TicketTypeFormSet
    fields = ("code", "name", "prices", "max_per_booking")
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).filter(active=True)


class EventChangeList(ChangeList):
    """Adds each listed event's seat counts, in one query for the whole page."""

    def get_results(self, request):
        super().get_results(request)
        counts = events_availability(event_ids=[event.pk for event in self.result_list], now=timezone.now())
        for event in self.result_list:  # evaluates the page once; the template reuses it
            event.availability = counts[event.pk]


@admin.register(Event)
class EventAdmin(ServiceAdmin):
    form = EventAdminForm
    inlines = [EventPriceInline, TicketTypeInline]
    list_display = (
        "__str__",
        "kind",
        "hall",
        "starts_at_venue",
        "status",
        "available",
        "held",
        "booked",
        "blocked",
    )
    list_filter = ("status", "kind", "hall__venue", "starts_at")
    search_fields = ("title", "home_team", "away_team", "hall__name", "hall__venue__name")
    list_select_related = ("hall__venue",)
    date_hierarchy = "starts_at"
    ordering = ("starts_at", "id")
    show_full_result_count = False
    actions = ["open_sales", "close_sales", admin_reports.cancel_events_with_refunds]
    readonly_fields = (
        "status",
        "availability_summary",
        "seat_map",
        "sales_report",
        "box_office",
        "created_at",
        "updated_at",
    )
    sales_report = staticmethod(admin_reports.report_link)
    box_office = staticmethod(admin_box_office.box_office_link)

    def get_urls(self):
        # the sales report page and CSV, the box office's desk sale
        return admin_reports.report_urls(self) + admin_box_office.box_office_urls(self) + super().get_urls()

    def get_changelist(self, request, **kwargs):
        return EventChangeList

    def get_fields(self, request, obj=None):
        if obj is None:
            return EVENT_FORM_FIELDS
        return (*EVENT_FORM_FIELDS, *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("hall", *self.readonly_fields)  # the inventory was copied from this hall

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # events are cancelled, never deleted: their audit trail stays

    @admin.display(description="starts (venue time)", ordering="starts_at")
    def starts_at_venue(self, event: Event) -> str:
        """As buyers see it: in the venue's zone, with the zone's abbreviation."""
        local = timezone.localtime(event.starts_at, event.hall.venue.zone)
        return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or "")

    # Columns: availability computed by EventChangeList for the whole page.
    def _count(self, event: Event, status: str) -> int:
        return getattr(event, "availability", {}).get(status, 0)

    @admin.display(description="available")
    def available(self, event: Event) -> int:
        return self._count(event, "available")

    @admin.display(description="held")
    def held(self, event: Event) -> int:
        return self._count(event, "held")

    @admin.display(description="booked")
    def booked(self, event: Event) -> int:
        return self._count(event, "booked")

    @admin.display(description="blocked")
    def blocked(self, event: Event) -> int:
        return self._count(event, "blocked")

    @admin.display(description="seats")
    def availability_summary(self, event: Event) -> str:
        counts = events_availability(event_ids=[event.pk], now=timezone.now())[event.pk]
        return ", ".join(f"{count} {status}" for status, count in counts.items())

    @admin.display(description="seat map")
    def seat_map(self, event: Event) -> str:
        return format_html('<a href="{}">Seats of this event (block / unblock)</a>', seat_map_url(event))

    # Writes: everything in save_related, where the prices of the inline are known too.
    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        prices: dict[str, Decimal] = {}
        types: dict = {}  # ticket_types, only when their inline changed
        for formset in formsets:
            if isinstance(formset, CategoryPriceFormSet):
                prices.update(formset.prices())
            if isinstance(formset, TicketTypeFormSet) and formset.has_changed():
                types["ticket_types"] = formset.ticket_types()
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        fields = {name: form.cleaned_data[name] for name in EVENT_FORM_FIELDS if name in form.cleaned_data}
        if change:
            changed = {name: fields[name] for name in form.changed_data if name in fields and name != "hall"}
            event_update(event=form.instance, prices=prices or None, **changed, **types)
        else:
            adopt(form.instance, event_create(**fields, prices=prices, **types))

    # Actions: one service call per event; refusals are reported per event.
    @admin.action(description="Open sales (on sale)", permissions=["change"])
    def open_sales(self, request, queryset):
        self._set_status(request, queryset, Event.Status.ON_SALE, "Sales opened")

    @admin.action(description="Close sales", permissions=["change"])
    def close_sales(self, request, queryset):
        self._set_status(request, queryset, Event.Status.CLOSED, "Sales closed")

    def _set_status(self, request, queryset, status: str, done: str) -> None:
        events = queryset.select_related("hall__venue").order_by("pk")
        run_per_object(
            self, request, events, lambda event: event_set_status(event=event, status=status), done
        )


@admin.register(EventPrice)
class EventPriceAdmin(ReadOnlyAdmin):
    """Prices are edited on their event's page."""

    list_display = ("event", "category", "amount")
    list_filter = ("category",)
    search_fields = ("event__title", "event__home_team", "event__away_team", "category")
    list_select_related = ("event",)


# --- Inventory ------------------------------------------------------------------------------


class BlockActionForm(ActionForm):
    reason = forms.CharField(
        max_length=200,
        required=False,
        label="Reason (for block):",
        widget=forms.TextInput(attrs={"size": 30}),
    )


@admin.register(EventSeat)
class EventSeatAdmin(ReadOnlyAdmin):
    """An event's seats: filter by event and status; block or unblock with the actions."""

    list_display = (
        "id",
        "event",
        "section",
        "row",
        "number",
        "category",
        "state",
        "block_reason",
        "hold",
        "booking",
    )
    list_filter = ("status", "seat__category", "event")
    search_fields = ("=id", "seat__section__name", "=seat__row_label")
    list_select_related = ("event", "seat__section", "hold")
    ordering = ("id",)
    action_form = BlockActionForm
    actions = ["block_seats", "unblock_seats"]

    @admin.display(description="section", ordering="seat__section__name")
    def section(self, seat: EventSeat) -> str:
        return seat.seat.section.name

    @admin.display(description="row", ordering="seat__row_index")
    def row(self, seat: EventSeat) -> str:
        return seat.seat.row_label

    @admin.display(description="number", ordering="seat__number")
    def number(self, seat: EventSeat) -> int:
        return seat.seat.number

    @admin.display(description="category", ordering="seat__category")
    def category(self, seat: EventSeat) -> str:
        return seat.seat.category

    @admin.display(description="status", ordering="status")
    def state(self, seat: EventSeat) -> str:
        effective = seat_effective_status(seat, timezone.now())
        return effective if effective == seat.status else f"{effective} (hold expired)"

    def has_block_permission(self, request) -> bool:
        return request.user.has_perm("ticketing.change_eventseat")

    @admin.action(description="Block selected seats", permissions=["block"])
    def block_seats(self, request, queryset):
        reason = request.POST.get("reason", "")[:200]
        self._per_event(
            request,
            queryset,
            lambda event, ids: seats_block(event=event, seat_ids=ids, actor=request.user, reason=reason),
            "Seats blocked",
        )

    @admin.action(description="Unblock selected seats", permissions=["block"])
    def unblock_seats(self, request, queryset):
        self._per_event(
            request,
            queryset,
            lambda event, ids: seats_unblock(event=event, seat_ids=ids, actor=request.user),
            "Seats unblocked",
        )

    def _per_event(self, request, queryset, operation, done: str) -> None:
        """One all-or-nothing service call per event of the selected seats."""
        by_event: dict[int, list[int]] = {}
        for event_id, seat_id in queryset.order_by("event_id", "id").values_list("event_id", "id"):
            by_event.setdefault(event_id, []).append(seat_id)
        events = Event.objects.in_bulk(list(by_event))
        changed = 0
        for event_id, ids in by_event.items():
            try:
                changed += operation(events[event_id], ids)
            except ApiError as error:
                self.message_user(request, f"{events[event_id]}: {error_text(error)}", messages.ERROR)
        if changed:
            self.message_user(request, f"{done}: {changed}.", messages.SUCCESS)
        elif not messages.get_messages(request):
            self.message_user(request, f"{done}: none (nothing to change).", messages.WARNING)


# --- Holds, bookings, tickets ---------------------------------------------------------------


class HoldSeatInline(ReadOnlyInline):
    model = EventSeat
    fk_name = "hold"
    fields = ("id", "seat", "status")
    readonly_fields = fields


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "buyer",
        "event",
        "season",
        "status",
        "live",
        "seat_count",
        "total",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "event", "season")
    search_fields = ("=id", "buyer__username", "buyer__email")
    list_select_related = ("buyer", "event", "season")
    date_hierarchy = "created_at"
    inlines = [HoldSeatInline]
    actions = ["release_holds"]

    @admin.display(description="live", boolean=True)
    def live(self, hold: Hold) -> bool:
        return hold.is_live(timezone.now())

    def has_release_permission(self, request) -> bool:
        return request.user.has_perm("ticketing.change_hold")

    @admin.action(description="Release selected holds (seats available at once)", permissions=["release"])
    def release_holds(self, request, queryset):
        run_per_object(
            self,
            request,
            queryset.filter(status=Hold.Status.ACTIVE).order_by("pk"),
            lambda hold: holds_release(hold_ids=[hold.pk], actor=request.user),
            "Holds released",
        )


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ("id", "event_seat", "code", "ticket_type", "price", "status", "checked_in_at")
    readonly_fields = fields


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "buyer",
        "event",
        "season",
        "status",
        "ticket_count",
        "total",
        "created_at",
        "cancelled_at",
    )
    list_filter = ("status", "event", "season")
    search_fields = ("=id", "buyer__username", "buyer__email", "=tickets__code")
    list_select_related = ("buyer", "event", "season")
    date_hierarchy = "created_at"
    inlines = [TicketInline]
    actions = ["cancel_bookings", "void_checked_in_bookings"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tickets_total=Count("tickets"))

    @admin.display(description="tickets", ordering="tickets_total")
    def ticket_count(self, booking: Booking) -> int:
        return booking.tickets_total

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("ticketing.change_booking")

    @admin.action(description="Cancel selected bookings (seats available at once)", permissions=["cancel"])
    def cancel_bookings(self, request, queryset):
        run_per_object(
            self,
            request,
            queryset.order_by("pk"),
            lambda booking: bookings_cancel(booking_ids=[booking.pk], actor=request.user),
            "Bookings cancelled",
        )

    @admin.action(
        description="Void selected bookings although checked in (refund; occupied seats stay blocked)",
        permissions=["cancel"],
    )
    def void_checked_in_bookings(self, request, queryset):
        """The one place the admin voids a checked-in booking: the ordinary cancel refuses it."""
        run_per_object(
            self,
            request,
            queryset.order_by("pk"),
            lambda booking: bookings_cancel(
                booking_ids=[booking.pk], actor=request.user, void_checked_in=True
            ),
            "Bookings voided",
        )


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "booking",
        "event",
        "event_seat",
        "ticket_type",
        "price",
        "status",
        "checked_in_at",
        "owner",
    )
    list_filter = ("status", "ticket_type")
    search_fields = ("=code", "=booking__id", "booking__buyer__username", "owner__username")
    list_select_related = ("booking", "event_seat__event", "owner")

    @admin.display(description="event", ordering="event_seat__event")
    def event(self, ticket: Ticket) -> Event:
        return ticket.event_seat.event  # its own event (a season booking spans several)


# --- Audit trail and idempotency keys -------------------------------------------------------


@admin.register(SeatAudit)
class SeatAuditAdmin(ReadOnlyAdmin):
    """The append-only trail of every seat state change: read it, never edit it."""

    list_display = (
        "at",
        "event",
        "event_seat",
        "from_status",
        "to_status",
        "action",
        "actor",
        "hold",
        "booking",
    )
    list_filter = ("action", "to_status", "event")
    search_fields = ("=event_seat__id", "=hold__id", "=booking__id", "actor__username", "reason")
    list_select_related = ("event", "event_seat", "actor", "hold", "booking")
    date_hierarchy = "at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Charges and refunds through the gateway: written only by the checkout services."""

    list_display = ("id", "buyer", "hold", "booking", "amount", "currency", "status", "gateway", "created_at")
    list_filter = ("status", "gateway", "currency")
    search_fields = ("=id", "charge_id", "refund_id", "idempotency_key", "buyer__username")
    list_select_related = ("buyer", "hold", "booking")
    date_hierarchy = "created_at"
    actions = ["record_desk_refunds"]

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("ticketing.change_booking")

    @admin.action(
        description="Record the refund as handed back at the desk (cash or card present, refund due)",
        permissions=["refund"],
    )
    def record_desk_refunds(self, request, queryset):
        ids = queryset.values_list("pk", flat=True)
        recorded = payments_desk_refund_record(payment_ids=ids, staff=request.user)
        skipped = queryset.count() - recorded
        self.message_user(
            request,
            f"Desk refunds recorded: {recorded}."
            + (f" {skipped} not a desk payment with a refund due, left as they were." if skipped else ""),
            messages.SUCCESS if recorded else messages.WARNING,
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "status_code", "created_at")
    list_filter = ("status_code",)
    search_fields = ("key", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    """Waiting lists of sold-out events (services/waitlist.py): who waits for what, in line
    order, and what became of each offer. Read-only: entries change only through the services."""

    list_display = ("id", "event", "buyer", "count", "category", "status", "created_at", "ended_at")
    list_filter = ("status", "event")
    search_fields = ("=id", "buyer__username", "buyer__email")
    list_select_related = ("event", "buyer")
    ordering = ("event", "id")


from ticketing import admin_seasons  # noqa: E402, F401 - registers the Season admin
