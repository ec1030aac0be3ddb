"""Season services: create a season, hold the same hall seats for all its events, book and
cancel that hold (``booking_confirm`` and ``bookings_cancel`` hand a season's hold or booking
over to ``season_booking_write`` and ``season_bookings_cancel_locked``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DecimalField, F, Value
from django.db.models.functions import Least
from django.utils import timezone

from accounts.models import User
from config.errors import (
    AccountDisabled,
    AlreadyCancelled,
    CancellationClosed,
    Invalid,
    SeatLimitExceeded,
    SeatsUnavailable,
)
from ticketing.locking import BookingsLocked, dict_rows, hold_live_sql, lock_buyer, lock_seats_for_season_hold
from ticketing.models import (
    Booking,
    Event,
    EventSeat,
    Hold,
    Payment,
    Season,
    SeasonEvent,
    SeasonPrice,
    Ticket,
)
from ticketing.services.checkin import (
    CHECKED_IN_VOID_ACTION,
    CHECKED_IN_VOID_REASON,
    bookings_ensure_cancellable,
)
from ticketing.services.events import event_prices_validate, hall_categories, season_ensure_on_sale
from ticketing.services.inventory import (
    audit_rows,
    audit_write,
    prefetched_set,
    seat_effective_status,
    seat_ids_validate,
    seats_book_write,
    seats_hold_write,
)
from ticketing.services.notifications import booking_cancelled_notify, booking_confirmed_notify
from ticketing.services.payments import payment_link, payments_refund
from ticketing.services.tickets import ticket_code_sign
from ticketing.services.waiting_room import waiting_room_seats_changed
from ticketing.services.waitlist import waitlist_seats_freed
from venues.models import Hall, Seat

Status = EventSeat.Status
CENT = Decimal("0.01")
SEASON_EVENTS_MAX = 100


# --- staff: define a season --------------------------------------------------------------------


def season_create(
    *,
    name: str,
    hall: Hall,
    event_ids: Sequence[int],
    prices: Mapping[str, Any],
    status: str = Season.Status.ON_SALE,
    refund_rule: str = Season.RefundRule.PRO_RATA,
) -> Season:
    """Create a season of ``event_ids`` (distinct, 1 to SEASON_EVENTS_MAX, every one an event of
    ``hall`` that is not cancelled), with a season price for every seat category of the hall
    (the price of one hall seat for all the events together). Raises Invalid otherwise. Takes
    no lock: a season only reads events; what is sold is decided when a hold locks the seats."""
    name = _season_fields_validate(name=name or "", status=status, refund_rule=refund_rule)["name"]
    ids = sorted(set(event_ids))
    if not ids or len(ids) != len(event_ids) or len(ids) > SEASON_EVENTS_MAX:
        message = f"From 1 to {SEASON_EVENTS_MAX} distinct events."
        raise Invalid(message, fields={"events": [message]})
    found = set(
        Event.objects.filter(id__in=ids, hall=hall)
        .exclude(status=Event.Status.CANCELLED)
        .values_list("id", flat=True)
    )
    if wrong := [event_id for event_id in ids if event_id not in found]:
        message = f"Not events of this hall (or cancelled): {wrong}."
        raise Invalid(message, fields={"events": [message]})
    clean_prices = _season_prices_validate(hall=hall, prices=prices or {})
    with transaction.atomic():
        season = Season.objects.create(name=name, hall=hall, status=status, refund_rule=refund_rule)
        SeasonEvent.objects.bulk_create(SeasonEvent(season=season, event_id=event_id) for event_id in ids)
        SeasonPrice.objects.bulk_create(
            SeasonPrice(season=season, category=category, amount=amount)
            for category, amount in clean_prices.items()
        )
    return season


def season_update(
    *,
    season: Season,
    name: str | None = None,
    status: str | None = None,
    refund_rule: str | None = None,
    event_ids: Sequence[int] | None = None,
    prices: Mapping[str, Any] | None = None,
) -> Season:
    """Staff change a season (the admin): name, status, refund rule, prices (replaced; holds keep
    the prices they captured), events (``season_events_validate``: not once it has holds or
    bookings). Raises Invalid. No lock: a hold reads the season's events and prices once, before
    its locks, and a season's events cannot change under its holds."""
    fields = _season_fields_validate(name=name, status=status, refund_rule=refund_rule)
    clean_prices = None if prices is None else _season_prices_validate(hall=season.hall, prices=prices)
    if event_ids is not None:
        if not event_ids:
            raise Invalid("A season needs events.", fields={"events": ["Required."]})
        season_events_validate(season=season, event_ids=event_ids)
    with transaction.atomic():
        if fields:
            Season.objects.filter(pk=season.pk).update(**fields)
        if clean_prices is not None:
            SeasonPrice.objects.filter(season=season).delete()
            SeasonPrice.objects.bulk_create(
                SeasonPrice(season=season, category=category, amount=amount)
                for category, amount in clean_prices.items()
            )
        if event_ids is not None:
            SeasonEvent.objects.filter(season=season).exclude(event_id__in=event_ids).delete()
            SeasonEvent.objects.bulk_create(
                [SeasonEvent(season=season, event_id=event_id) for event_id in sorted(set(event_ids))],
                ignore_conflicts=True,
            )
    season.refresh_from_db()
    return season


def _season_fields_validate(
    *, name: str | None, status: str | None, refund_rule: str | None
) -> dict[str, Any]:
    """The given fields of a season, checked (Invalid) and cleaned; None is not given."""
    fields: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise Invalid("A season needs a name.", fields={"name": ["Required."]})
        fields["name"] = name.strip()
    if status is not None:
        if status not in Season.Status.values:
            raise Invalid("Unknown status.", fields={"status": [f"One of {Season.Status.values}."]})
        fields["status"] = status
    if refund_rule is not None:
        if refund_rule not in Season.RefundRule.values:
            message = f"One of {Season.RefundRule.values}."
            raise Invalid("Unknown refund rule.", fields={"refund_rule": [message]})
        fields["refund_rule"] = refund_rule
    return fields


def _season_prices_validate(*, hall: Hall, prices: Mapping[str, Any]) -> dict[str, Decimal]:
    """A season's prices: one per seat category of its hall, every one (Invalid otherwise)."""
    categories = hall_categories(hall=hall)
    clean_prices = event_prices_validate(prices=prices, categories=categories)
    if missing := sorted(categories - set(clean_prices)):
        message = f"Set a season price for {', '.join(missing)}."
        raise Invalid(message, fields={"prices": [message]})
    return clean_prices


def season_events_validate(*, season: Season, event_ids: Sequence[int]) -> None:
    """The admin's check before it saves a season's events: they are the hall's, and they do
    not change once the season has holds or bookings (their seat counts and prices assume them)."""
    if Event.objects.filter(id__in=list(event_ids)).exclude(hall_id=season.hall_id).exists():
        raise Invalid("Every event of a season is in its hall.", fields={"events": ["Another hall's event."]})
    changed = season.pk and set(event_ids) != set(season.season_events.values_list("event_id", flat=True))
    if changed and (
        Hold.objects.filter(season=season).exists() or Booking.objects.filter(season=season).exists()
    ):
        message = "This season has holds or bookings: its events can no longer change."
        raise Invalid(message, fields={"events": [message]})


# --- the price of a season seat, per event ------------------------------------------------------


def season_price_shares(price: Decimal, events: int) -> list[Decimal]:
    """The season price of one hall seat split over its ``events`` tickets, in event id order:
    an equal share rounded down to the cent, the last event taking the remainder, so the
    tickets sum to the season price exactly (and a pro rata refund is the sum of the tickets
    refunded)."""
    share = (price / events).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (events - 1) + [price - share * (events - 1)]


# --- the buyer: hold the same seats for every event ---------------------------------------------


def season_seat_limit() -> int:
    return settings.TICKETING_MAX_SEATS_PER_BUYER


def buyer_season_seat_count(*, buyer: User, season: Season, events: int, now: datetime) -> int:
    """Hall seats of the season the buyer holds (live season holds: their seat count over the
    number of events) or has booked (distinct hall seats of active tickets of confirmed season
    bookings). One statement."""
    hold, ticket, booking, seat = (
        Hold._meta.db_table,
        Ticket._meta.db_table,
        Booking._meta.db_table,
        EventSeat._meta.db_table,
    )
    sql = f"""
        SELECT (SELECT coalesce(sum(h.seat_count), 0) FROM {hold} h
                 WHERE h.buyer_id = %(buyer)s AND h.season_id = %(season)s
                   AND {hold_live_sql("h", active="%(active)s", now="%(now)s")}) AS held,
               (SELECT count(DISTINCT es.seat_id) FROM {ticket} t
                  JOIN {booking} b ON b.id = t.booking_id JOIN {seat} es ON es.id = t.event_seat_id
                 WHERE b.buyer_id = %(buyer)s AND b.season_id = %(season)s AND b.status = %(confirmed)s
                   AND t.status = %(ticket_active)s) AS booked
    """  # noqa: S608 - table names come from model metadata, values are parameters
    params = {
        "buyer": buyer.pk,
        "season": season.pk,
        "active": Hold.Status.ACTIVE,
        "now": connection.ops.adapt_datetimefield_value(now),
        "confirmed": Booking.Status.CONFIRMED,
        "ticket_active": Ticket.Status.ACTIVE,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (row,) = dict_rows(cursor)
    return int(row["held"]) // events + int(row["booked"])


def season_prices(*, season: Season) -> dict[str, Decimal]:
    return dict(SeasonPrice.objects.filter(season=season).values_list("category", "amount"))


def _missing_seats(
    *, season: Season, events: list[Event], hall_seat_ids: list[int], found: set[tuple[int, int]]
):
    """The (event, hall seat) pairs the SKIP LOCKED read left out (the rare path): a hall seat that
    is not a seat of the season's hall is Invalid; the others are being claimed by another
    transaction right now and are reported ``held`` (or with their committed status)."""
    in_hall = set(
        Seat.objects.filter(id__in=hall_seat_ids, section__hall_id=season.hall_id).values_list(
            "id", flat=True
        )
    )
    if unknown := sorted(set(hall_seat_ids) - in_hall):
        message = f"Not seats of this season's hall: {unknown}."
        raise Invalid(message, fields={"seat_ids": [message]})
    rows = EventSeat.objects.filter(event__in=events, seat_id__in=hall_seat_ids).select_related("hold")
    now = timezone.now()
    out = []
    for seat in rows:
        if (seat.event_id, seat.seat_id) in found:
            continue
        status = seat_effective_status(seat, now)
        out.append(
            {
                "id": seat.id,
                "event": seat.event_id,
                "seat": seat.seat_id,
                "status": Status.HELD if status == Status.AVAILABLE else status,
            }
        )
    return out


def season_hold_create(
    *, buyer: User, season: Season, seat_ids: Sequence[int], now: datetime | None = None
) -> Hold:
    """Hold the hall seats ``seat_ids`` in every event of ``season`` for ``buyer``: one hold, all
    or nothing.

    Before any lock: the ids are valid (Invalid; at most TICKETING_MAX_SEATS_PER_HOLD hall
    seats), the list alone fits the buyer's season limit (SeatLimitExceeded), the season and
    every one of its events are on sale and not started (EventNotOnSale, ``season_ensure_on_sale``);
    the season's prices are read.
    Locks, in this order (``lock_buyer``, then ``lock_seats_for_season_hold``):
    1. the buyer's user row, FOR NO KEY UPDATE (waits, bounded), as a single-event hold;
    2. the event seats of these hall seats in all the season's events, events by id then event
       seats by id (which is also pk order, see the lock), FOR UPDATE SKIP LOCKED: never waits.
    Checks under the locks: the account is active (AccountDisabled); the buyer's season seats
    (held plus booked hall seats) plus these stay within TICKETING_MAX_SEATS_PER_BUYER
    (SeatLimitExceeded, with ``limit``); every hall seat is a seat of the season's hall (Invalid);
    every (event, seat) is available at ``now`` (an expired hold's seat included), else
    SeatsUnavailable naming each taken one: ``{"id", "event", "seat", "status"}``.
    Writes: one INSERT of the Hold (``season`` set, no event; ``seat_count`` = events x seats,
    ``total`` = the season prices of the hall seats), one UPDATE of the seats, one INSERT of
    audit rows. Statements: the same number for any number of seats and events.
    """
    now = now or timezone.now()
    ids = seat_ids_validate(seat_ids)
    limit = season_seat_limit()
    if len(ids) > limit:
        raise SeatLimitExceeded(limit)
    events = season_ensure_on_sale(season_id=season.pk, now=now)
    prices = season_prices(season=season)
    with transaction.atomic():
        if not lock_buyer(buyer=buyer):
            raise AccountDisabled()
        if (
            buyer_season_seat_count(buyer=buyer, season=season, events=len(events), now=now) + len(ids)
            > limit
        ):
            raise SeatLimitExceeded(limit)
        seats = lock_seats_for_season_hold(event_ids=[e.id for e in events], hall_seat_ids=ids, now=now).seats
        unavailable = [
            {"id": seat.id, "event": seat.event_id, "seat": seat.seat_id, "status": seat.status}
            for seat in seats
            if seat.taken
        ]
        if len(seats) != len(events) * len(ids):
            found = {(seat.event_id, seat.seat_id) for seat in seats}
            unavailable += _missing_seats(season=season, events=events, hall_seat_ids=ids, found=found)
        if unavailable:
            raise SeatsUnavailable(unavailable)
        return _season_hold_claim(buyer=buyer, season=season, seats=seats, prices=prices, ids=ids, now=now)


def _season_hold_claim(
    *,
    buyer: User,
    season: Season,
    seats: list[EventSeat],
    prices: dict[str, Decimal],
    ids: list[int],
    now: datetime,
) -> Hold:
    category = {seat.seat_id: seat.seat.category for seat in seats}
    hold = Hold(
        buyer=buyer,
        season=season,
        status=Hold.Status.ACTIVE,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.TICKETING_HOLD_SECONDS),
        seat_count=len(seats),
        total=sum((prices.get(category[seat_id], Decimal(0)) for seat_id in ids), Decimal(0)),
        prices={c: str(prices.get(c, Decimal(0))) for c in set(category.values())},
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Hold._meta.db_table}
                   (buyer_id, season_id, status, created_at, expires_at, seat_count, total, prices)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
            """,  # noqa: S608 - table names come from model metadata, values are parameters
            [
                buyer.pk,
                season.pk,
                hold.status,
                adapt(hold.created_at),
                adapt(hold.expires_at),
                hold.seat_count,
                connection.ops.adapt_decimalfield_value(hold.total, 12, 2),
                json.dumps(hold.prices),
            ],
        )
        hold.id = cursor.fetchone()[0]
    hold._state.adding, hold._state.db = False, connection.alias
    seats_hold_write(seats=seats, hold=hold, actor=buyer, now=now)
    hold.event, hold.season = None, season
    prefetched_set(hold, "seats", seats)
    return hold


# --- booking a season hold (inside booking_confirm's transaction) -------------------------------


def season_booking_write(
    *, buyer: User, hold: Hold, seats: list[EventSeat], payment: Payment | None, now: datetime
) -> Booking:
    """``booking_confirm`` for a season hold, with its locks taken and its checks passed (the
    hold is the buyer's, live, and holds all its seats): the season and every event are still on
    sale and not started (EventNotOnSale); one Booking (``season`` set), one Ticket per (event,
    hall seat) priced by ``season_price_shares`` (they sum to the hold's total), the seats
    booked, the hold booked, audit rows, the payment linked, the email queued. The same
    statements as a single-event booking, plus the season's one read."""
    events = season_ensure_on_sale(season_id=hold.season_id, now=now)
    position = {event.id: index for index, event in enumerate(events)}
    booking = Booking.objects.create(
        buyer=buyer, season_id=hold.season_id, hold=hold, total=hold.total, created_at=now
    )
    tickets = Ticket.objects.bulk_create(
        Ticket(
            booking=booking,
            event_seat=seat,
            code=ticket_code_sign(event_id=seat.event_id, event_seat_id=seat.pk, booking_id=booking.pk),
            price=season_price_shares(Decimal(hold.prices.get(seat.seat.category, "0")), len(events))[
                position[seat.event_id]
            ],
        )
        for seat in seats
    )
    seats_book_write(seats=seats, hold=hold, booking=booking, actor=buyer, now=now)
    if payment is not None:
        payment_link(payment=payment, booking=booking, now=now)
    booking_confirmed_notify(booking_ids=[booking.pk])
    for event in events:
        waiting_room_seats_changed(event=event)
    by_id = {event.id: event for event in events}
    for seat in seats:
        seat.status, seat.hold, seat.booking, seat.event = Status.BOOKED, None, booking, by_id[seat.event_id]
    prefetched_set(booking, "tickets", tickets)
    return booking


# --- cancelling season bookings (inside bookings_cancel's transaction) --------------------------


def season_refund_amount(*, rule: str, tickets: Sequence[Ticket]) -> Decimal:
    """What cancelling gives back: ``pro_rata``, the price of the tickets of the events not
    started (their share of the season price); ``none``, nothing."""
    if rule == Season.RefundRule.NONE:
        return Decimal(0)
    return sum((ticket.price for ticket in tickets), Decimal(0))


def season_bookings_cancel_locked(
    *, locked: BookingsLocked, actor: User, void_checked_in: bool, now: datetime
) -> list[Booking]:
    """``bookings_cancel`` for season bookings, with their locks taken (their booked seats, the
    bookings, their tickets). Checks: every booking is still confirmed (AlreadyCancelled); some
    event of it has not started at ``now`` (else CancellationClosed); the check-in rule on the
    tickets of those events (``bookings_ensure_cancellable``).
    The tickets of the events not started are voided and their seats freed at once (a checked-in
    one, voided by staff, blocked); the tickets of started events stay active, their seats
    booked: that part of the season was had. The booking becomes ``cancelled``. The refund
    follows the season's ``refund_rule`` (``season_refund_amount``): the charged payment is
    marked ``refunding`` with that ``refund_amount`` and refunded after commit; with ``none``
    the payment stays charged. Returns the bookings."""
    bookings = locked.bookings
    if any(booking.status == Booking.Status.CANCELLED for booking in bookings):
        raise AlreadyCancelled()
    event_ids = {seat.event_id for seat in locked.seats}
    events = {event.id: event for event in Event.objects.filter(id__in=event_ids)}
    future = {seat.id: seat for seat in locked.seats if events[seat.event_id].starts_at > now}
    if not future:
        raise CancellationClosed()
    # the active tickets only: a transferred one was replaced by its new owner's, which is voided
    voided = [t for t in locked.tickets if t.event_seat_id in future and t.status == Ticket.Status.ACTIVE]
    checked_in = bookings_ensure_cancellable(tickets=voided, actor=actor, void_checked_in=void_checked_in)
    by_id = {booking.id: booking for booking in bookings}
    ids = list(by_id)
    freed = [seat for seat in future.values() if seat.id not in checked_in]
    occupied = [seat for seat in future.values() if seat.id in checked_in]
    Booking.objects.filter(id__in=ids).update(status=Booking.Status.CANCELLED, cancelled_at=now)
    Ticket.objects.filter(id__in=[ticket.id for ticket in voided]).update(status=Ticket.Status.VOID)
    EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(status=Status.AVAILABLE, booking=None)
    if occupied:
        EventSeat.objects.filter(id__in=[seat.id for seat in occupied]).update(
            status=Status.BLOCKED, booking=None, block_reason=CHECKED_IN_VOID_REASON
        )
    audit_write(
        [
            row
            for seat in future.values()
            for row in audit_rows(
                seats=[seat],
                to_status=Status.BLOCKED if seat.id in checked_in else Status.AVAILABLE,
                action=CHECKED_IN_VOID_ACTION if seat.id in checked_in else "cancel",
                now=now,
                actor=actor,
                booking=by_id[seat.booking_id],
            )
        ]
    )
    # the freed seats still locked: offered to each event's waiting list (services/waitlist.py)
    waitlist_seats_freed(seats=freed, now=now)
    rules = dict(
        Season.objects.filter(id__in={b.season_id for b in bookings}).values_list("id", "refund_rule")
    )
    due = []
    for booking in bookings:
        amount = season_refund_amount(
            rule=rules[booking.season_id], tickets=[t for t in voided if t.booking_id == booking.id]
        )
        charged = Payment.objects.filter(booking_id=booking.id, status=Payment.Status.CHARGED)
        # never more than was charged (a backstop: the shares of the voided tickets sum to less)
        refund = Least(F("amount"), Value(amount, output_field=DecimalField()))
        refunding = {"status": Payment.Status.REFUNDING, "refund_amount": refund, "updated_at": now}
        if amount > 0 and charged.update(**refunding):
            due += list(Payment.objects.filter(booking_id=booking.id).values_list("id", flat=True))
    if due:
        transaction.on_commit(lambda: payments_refund(payment_ids=due))
    booking_cancelled_notify(booking_ids=ids)
    for event in events.values():
        waiting_room_seats_changed(event=event)
    for booking in bookings:
        booking.status, booking.cancelled_at = Booking.Status.CANCELLED, now
    return bookings
