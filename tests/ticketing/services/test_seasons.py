"""Season tickets: create, hold the same hall seats in every event, book, cancel (services)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from config.errors import (
    AlreadyCancelled,
    CancellationClosed,
    EventNotOnSale,
    Invalid,
    SeatLimitExceeded,
    SeatsUnavailable,
)
from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, booked
from ticketing.models import Booking, Event, EventSeat, Hold, Payment, Season, Ticket, WaitlistEntry
from ticketing.selectors.invariants import inventory_violations
from ticketing.services.bookings import booking_confirm, booking_create, bookings_cancel
from ticketing.services.holds import holds_release, holds_release_expired
from ticketing.services.seasons import season_create, season_hold_create, season_price_shares
from ticketing.services.transfers import ticket_transfer
from ticketing.services.waitlist import waitlist_join
from venues.models import Seat

pytestmark = pytest.mark.django_db

PRICES = {"vip": "300.00", "standard": "100.00"}


def make_season(*, events: int = 3, hall=None, **fields) -> Season:
    hall = hall or hall_with_layout()
    made = [on_sale_event(hall=hall, starts_in=timedelta(days=7 + i)) for i in range(events)]
    return season_create(
        name="Season 2027", hall=hall, event_ids=[e.id for e in made], prices=PRICES, **fields
    )


def hall_seats(season: Season, count: int, *, offset: int = 0) -> list[int]:
    ids = Seat.objects.filter(section__hall=season.hall).order_by("id").values_list("id", flat=True)
    return list(ids)[offset : offset + count]


def season_events(season: Season) -> list[Event]:
    return list(season.events.order_by("id"))


# --- create -----------------------------------------------------------------------------------


def test_create_refuses_another_halls_event_and_a_missing_price():
    hall = hall_with_layout()
    mine, other = on_sale_event(hall=hall), on_sale_event()
    with pytest.raises(Invalid) as error:
        season_create(name="S", hall=hall, event_ids=[mine.id, other.id], prices=PRICES)
    assert "events" in error.value.extra["fields"]
    with pytest.raises(Invalid) as error:
        season_create(name="S", hall=hall, event_ids=[mine.id], prices={"vip": "10"})
    assert "prices" in error.value.extra["fields"]
    with pytest.raises(Invalid):
        season_create(name="S", hall=hall, event_ids=[mine.id, mine.id], prices=PRICES)


def test_price_shares_sum_to_the_season_price():
    assert season_price_shares(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(season_price_shares(Decimal("0.05"), 10)) == Decimal("0.05")


# --- hold -------------------------------------------------------------------------------------


def test_hold_takes_the_hall_seats_in_every_event(buyer):
    # given a 3-event season
    season = make_season()
    seats = hall_seats(season, 2)  # row A: vip
    # when
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=seats)
    # then one hold, an event seat per (event, hall seat)
    assert hold.season_id == season.id and hold.event_id is None
    assert hold.seat_count == 6 and hold.total == Decimal("600.00")
    held = EventSeat.objects.filter(hold=hold)
    assert sorted((s.event_id, s.seat_id) for s in held) == sorted(
        (e.id, seat) for e in season_events(season) for seat in seats
    )
    assert_inventory_clean()


def test_a_seat_sold_in_one_event_fails_the_whole_hold_naming_it(buyer, other_buyer):
    season = make_season()
    seats = hall_seats(season, 2)
    second = season_events(season)[1]
    sold = EventSeat.objects.get(event=second, seat_id=seats[1])
    booked(other_buyer, second, [sold.id])
    with pytest.raises(SeatsUnavailable) as error:
        season_hold_create(buyer=buyer, season=season, seat_ids=seats)
    assert error.value.extra["seats"] == [
        {"id": sold.id, "event": second.id, "seat": seats[1], "status": "booked"}
    ]
    assert not Hold.objects.filter(season=season).exists()
    assert EventSeat.objects.filter(status=EventSeat.Status.HELD).count() == 0
    assert_inventory_clean()


def test_hold_refuses_a_seat_of_another_hall(buyer):
    season = make_season()
    hall_with_layout()
    foreign = Seat.objects.exclude(section__hall=season.hall).first()
    with pytest.raises(Invalid):
        season_hold_create(buyer=buyer, season=season, seat_ids=[foreign.id])


def test_hold_refused_when_the_season_or_an_event_is_not_on_sale(buyer):
    season = make_season()
    Season.objects.filter(pk=season.pk).update(status=Season.Status.DRAFT)
    with pytest.raises(EventNotOnSale):
        season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 1))
    Season.objects.filter(pk=season.pk).update(status=Season.Status.ON_SALE)
    Event.objects.filter(pk=season_events(season)[2].pk).update(status=Event.Status.CLOSED)
    with pytest.raises(EventNotOnSale):
        season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 1))


def test_the_buyer_limit_counts_hall_seats_of_the_season(buyer, settings):
    settings.TICKETING_MAX_SEATS_PER_BUYER = 3
    season = make_season()
    season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 2))
    with pytest.raises(SeatLimitExceeded):
        season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 2, offset=2))
    season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 1, offset=2))


def test_a_season_hold_released_or_expired_frees_every_event(buyer):
    season = make_season()
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 2))
    holds_release(hold_ids=[hold.id], actor=buyer)
    assert EventSeat.objects.filter(status=EventSeat.Status.HELD).count() == 0
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 2))
    assert holds_release_expired(now=hold.expires_at + timedelta(seconds=1)) == 1
    assert EventSeat.objects.filter(status=EventSeat.Status.HELD).count() == 0
    assert_inventory_clean()


def test_lock_order_events_by_id_then_seats_is_pk_order(buyer):
    """The season lock's order (event id, event seat id) is the pk order of the waiting paths,
    because one hall's events get their inventory in id order (event_create locks the hall)."""
    season = make_season(events=4)
    rows = list(
        EventSeat.objects.filter(event__in=season.events.all()).values_list("event_id", "id").order_by("id")
    )
    assert rows == sorted(rows)


# --- book ---------------------------------------------------------------------------------------


def test_booking_a_season_hold_makes_one_booking_with_a_ticket_per_event_and_seat(buyer, fake_gateway):
    season = make_season()
    seats = hall_seats(season, 2)
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=seats)
    booking = booking_create(buyer=buyer, hold_id=hold.id)
    assert booking.season_id == season.id and booking.event_id is None
    tickets = list(Ticket.objects.filter(booking=booking).select_related("event_seat"))
    assert len(tickets) == 6
    assert sum(t.price for t in tickets) == booking.total == Decimal("600.00")
    assert {t.price for t in tickets} == {Decimal("100.00")}
    assert EventSeat.objects.filter(booking=booking, status=EventSeat.Status.BOOKED).count() == 6
    assert Payment.objects.get(booking=booking).amount == Decimal("600.00")
    assert_inventory_clean()


def test_booking_refused_when_an_event_closed_meanwhile(buyer):
    season = make_season()
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 1))
    Event.objects.filter(pk=season_events(season)[0].pk).update(status=Event.Status.CLOSED)
    with pytest.raises(EventNotOnSale):
        booking_confirm(buyer=buyer, hold_id=hold.id)


# --- cancel ---------------------------------------------------------------------------------------


def _season_booking(buyer, season, count=2) -> Booking:
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, count))
    return booking_create(buyer=buyer, hold_id=hold.id)


def test_cancel_before_the_season_frees_everything_and_refunds_pro_rata_in_full(
    buyer, fake_gateway, django_capture_on_commit_callbacks
):
    season = make_season()
    booking = _season_booking(buyer, season)
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.id], actor=buyer)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert not Ticket.objects.filter(booking=booking, status=Ticket.Status.ACTIVE).exists()
    assert EventSeat.objects.filter(status=EventSeat.Status.BOOKED).count() == 0
    payment = Payment.objects.get(booking=booking)
    assert payment.status == Payment.Status.REFUNDED and payment.refund_amount == Decimal("600.00")
    assert ("refund", f"refund-{payment.idempotency_key}", Decimal("600.00")) in fake_gateway.calls
    assert_inventory_clean()


def test_cancel_mid_season_frees_the_events_not_started_and_refunds_their_share(
    buyer, fake_gateway, django_capture_on_commit_callbacks
):
    # given a booked 3-event season whose first event has started
    season = make_season()
    booking = _season_booking(buyer, season)
    first, *rest = season_events(season)
    now = first.starts_at + timedelta(minutes=5)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.id], actor=buyer, now=now)
    # then the first event's tickets stay, the others are void and their seats free
    active = Ticket.objects.filter(booking=booking, status=Ticket.Status.ACTIVE).select_related("event_seat")
    assert {t.event_seat.event_id for t in active} == {first.id} and active.count() == 2
    assert EventSeat.objects.filter(event__in=rest, status=EventSeat.Status.AVAILABLE).count() == 20
    assert EventSeat.objects.filter(event=first, booking=booking).count() == 2
    payment = Payment.objects.get(booking=booking)
    assert payment.refund_amount == Decimal("400.00") and payment.status == Payment.Status.REFUNDED
    assert_inventory_clean(now=now)
    with pytest.raises(AlreadyCancelled):
        bookings_cancel(booking_ids=[booking.id], actor=buyer, now=now)


def test_cancel_with_the_refund_rule_none_refunds_nothing(buyer, fake_gateway):
    season = make_season(refund_rule=Season.RefundRule.NONE)
    booking = _season_booking(buyer, season)
    bookings_cancel(booking_ids=[booking.id], actor=buyer)
    assert Payment.objects.get(booking=booking).status == Payment.Status.CHARGED
    assert not [call for call in fake_gateway.calls if call[0] == "refund"]
    assert_inventory_clean()


def test_cancel_after_the_last_event_started_is_closed(buyer, fake_gateway):
    season = make_season()
    booking = _season_booking(buyer, season)
    last = season_events(season)[-1]
    with pytest.raises(CancellationClosed):
        bookings_cancel(booking_ids=[booking.id], actor=buyer, now=last.starts_at)


# --- the invariant ----------------------------------------------------------------------------------


def test_check_inventory_catches_a_season_seat_missing_from_an_event(buyer, fake_gateway):
    # given a clean booked season
    season = make_season()
    booking = _season_booking(buyer, season, count=1)
    assert_inventory_clean()
    # when one of its tickets is voided behind the services' back (the seat freed with it)
    ticket = Ticket.objects.filter(booking=booking).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ticketing_ticket SET status = 'void' WHERE id = %s", [ticket.id])
        cursor.execute(
            "UPDATE ticketing_eventseat SET status = 'available', booking_id = NULL WHERE id = %s",
            [ticket.event_seat_id],
        )
    # then the season rule names the booking and hall seat
    rules = {v.rule for v in inventory_violations(now=timezone.now())}
    assert "season_seat" in rules


def test_check_inventory_catches_a_seat_of_an_event_not_started_left_booked_by_a_cancelled_season(
    buyer, fake_gateway
):
    # given a season booking cancelled after its first event started: clean
    season = make_season()
    booking = _season_booking(buyer, season, count=1)
    first, second, _ = season_events(season)
    now = first.starts_at + timedelta(minutes=1)
    bookings_cancel(booking_ids=[booking.id], actor=buyer, now=now)
    assert_inventory_clean(now=now)
    # when the second event's seat is put back to booked by that booking, its ticket active
    seat = EventSeat.objects.get(event=second, seat_id=hall_seats(season, 1)[0])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ticketing_eventseat SET status = 'booked', booking_id = %s WHERE id = %s",
            [booking.id, seat.id],
        )
        cursor.execute("UPDATE ticketing_ticket SET status = 'active' WHERE event_seat_id = %s", [seat.id])
    # then: its event had not started when the booking was cancelled
    rules = {v.rule for v in inventory_violations(now=now)}
    assert {"booked_seat_booking", "ticket_seat"} <= rules


def test_check_inventory_catches_a_season_hold_on_a_seat_of_an_event_outside_the_season(buyer):
    season = make_season()
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 1))
    outsider = on_sale_event(hall=season.hall)
    seat = EventSeat.objects.filter(event=outsider).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ticketing_eventseat SET status = 'held', hold_id = %s WHERE id = %s", [hold.id, seat.id]
        )
    assert "held_seat_hold" in {v.rule for v in inventory_violations(now=timezone.now())}


# --- query counts: constant in the number of seats (and of events) -----------------------------

# season and its events (is it on sale); its prices; savepoint; lock buyer; count the buyer's
# season seats; lock the event seats of every event (one statement); insert hold; update seats;
# insert audit; release
SEASON_HOLD_QUERIES = 10
# savepoint; lock seats; lock hold (+buyer); the season and its events (still on sale); insert
# booking; insert tickets; update seats; update hold; insert audit; queue the email; release
SEASON_BOOK_QUERIES = 11
# savepoint; lock seats; lock bookings; lock tickets; the events' start times; update booking;
# void tickets; free seats; insert audit; is anyone on the events' waiting lists; the refund rule;
# payments to refund (none: free here, no UPDATE); queue the email; release
SEASON_CANCEL_QUERIES = 14


@pytest.mark.parametrize("k", [1, 4])
def test_a_10_event_season_hold_book_cancel_run_constant_queries(buyer, django_assert_num_queries, k):
    season = make_season(events=10)
    seats = hall_seats(season, k)
    with django_assert_num_queries(SEASON_HOLD_QUERIES):
        hold = season_hold_create(buyer=buyer, season=season, seat_ids=seats)
    assert hold.seat_count == 10 * k
    with django_assert_num_queries(SEASON_BOOK_QUERIES):
        booking = booking_confirm(buyer=buyer, hold_id=hold.id)
    assert booking.tickets.count() == 10 * k
    with django_assert_num_queries(SEASON_CANCEL_QUERIES):
        bookings_cancel(booking_ids=[booking.pk], actor=buyer)


# --- reports count season sales apart -------------------------------------------------------------


def test_the_event_report_counts_season_sales_apart(buyer, other_buyer, fake_gateway):
    from ticketing.selectors.reports import event_sales_report, sales_report_csv

    season = make_season()
    _season_booking(buyer, season, count=2)  # 2 vip hall seats: 100.00 per event each
    event = season_events(season)[0]
    single = EventSeat.objects.filter(event=event, status=EventSeat.Status.AVAILABLE).order_by("id")[0]
    booked(other_buyer, event, [single.id])  # one vip seat of this event alone: 80.00
    report = event_sales_report(event=event, now=timezone.now())
    assert report.totals.booked == 3
    assert (report.totals.tickets_sold, report.totals.revenue) == (1, Decimal("80.00"))
    assert (report.totals.season_tickets_sold, report.totals.season_revenue) == (2, Decimal("200.00"))
    assert report.bookings_confirmed == 1 and report.season_bookings == 1
    assert "season_tickets_sold,season_revenue" in sales_report_csv(report).splitlines()[0]


# --- emails --------------------------------------------------------------------------------------


def test_season_emails_list_each_events_tickets_and_the_refund(
    buyer, fake_gateway, mailoutbox, django_capture_on_commit_callbacks
):
    season = make_season()
    first = season_events(season)[0]
    with django_capture_on_commit_callbacks(execute=True):
        booking = _season_booking(buyer, season, count=1)
    confirmed = mailoutbox[-1]
    assert confirmed.subject == "Your season tickets: Season 2027"
    assert confirmed.body.count(first.name) == 3 and len(confirmed.attachments) == 3
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.id], actor=buyer, now=first.starts_at + timedelta(minutes=1))
    cancelled = mailoutbox[-1]
    assert cancelled.subject.startswith(f"Season booking {booking.id}")
    assert "200.00 will be refunded" in cancelled.body


def test_cancelling_a_season_offers_its_freed_seats_to_each_events_waiting_list(buyer):
    # given: a 2-event season in a 2-seat hall, both seats sold by one season booking (each event
    # sold out), and a buyer waiting for one seat of the second event
    season = make_season(events=2, hall=hall_with_layout(rows=2, seats=1))
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 2))
    booking = booking_confirm(buyer=buyer, hold_id=hold.id)
    first, second = season_events(season)
    waiting = UserFactory()
    entry = waitlist_join(buyer=waiting, event=second, count=1)
    # when: the season booking is cancelled (both events ahead)
    bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    # then: in the same transaction, one freed seat of the second event is held for the waiting buyer
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    offer = Hold.objects.get(waitlist_entry=entry)
    assert offer.buyer == waiting and offer.event == second and offer.seats.count() == 1
    assert EventSeat.objects.filter(event=first, status=EventSeat.Status.AVAILABLE).count() == 2
    assert_inventory_clean()


def test_cancelling_a_season_with_a_transferred_ticket_voids_its_new_owners_and_refunds_each_seat_once(
    buyer, fake_gateway, django_capture_on_commit_callbacks
):
    # given: a 3-event season booking of 2 vip seats (6 tickets of 100.00), one ticket transferred
    season = make_season()
    booking = _season_booking(buyer, season)
    given = booking.tickets.order_by("id").first()
    friend = UserFactory()
    new = ticket_transfer(ticket_id=given.pk, actor=buyer, to=friend.username)
    # when: the buyer cancels the season before it starts
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.id], actor=buyer)
    # then: the transferred ticket stays transferred, its successor is void, and the refund is
    # the season price of the two seats, once (not the transferred ticket's price again)
    given.refresh_from_db()
    new.refresh_from_db()
    assert (given.status, new.status) == (Ticket.Status.TRANSFERRED, Ticket.Status.VOID)
    payment = Payment.objects.get(booking=booking)
    assert payment.refund_amount == Decimal("600.00") == payment.amount
    assert_inventory_clean()
