"""The lock protocol, proven on the statements each use case sends to PostgreSQL.

For every use case that locks: the exact sequence of tables it locks (explicitly with
``FOR [NO KEY] UPDATE``, or implicitly with its first write to a table), each locking read
ordered by primary key, and the sequence increasing in ``ticketing.locking.LOCK_ORDER``
(a use case that took two tables in the opposite order of another could deadlock with it).
Swap two lock lines, or drop one, in any use case and its test here fails.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import StaffFactory, UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import requires_postgres
from tests.ticketing.locking.capture import Lock, locks_taken
from ticketing.locking import LOCK_ORDER
from ticketing.models import Booking, Event, EventSeat, Hold, Ticket
from ticketing.services.best_available import hold_create_best_available
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.box_office import box_office_sell
from ticketing.services.checkin import ticket_check_in
from ticketing.services.event_cancel import event_cancel
from ticketing.services.events import event_create, event_set_status
from ticketing.services.holds import hold_create, holds_release, holds_release_expired
from ticketing.services.inventory import seats_block, seats_unblock
from ticketing.services.transfers import ticket_transfer

pytestmark = [requires_postgres, pytest.mark.django_db]

KEY, USER, HALL = "ticketing_idempotencykey", "accounts_user", "venues_hall"
SEAT, EVENT, HOLD = "ticketing_eventseat", "ticketing_event", "ticketing_hold"
BOOKING, TICKET, PAYMENT = "ticketing_booking", "ticketing_ticket", "ticketing_payment"


def booked(buyer, event, seat_ids) -> Booking:
    return booking_confirm(buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=seat_ids).pk)


def by_transaction(locks: list[Lock]) -> list[list[str]]:
    """The tables each transaction locked, in order, one list per transaction."""
    groups: dict[int, list[str]] = {}
    for lock in locks:
        groups.setdefault(lock.transaction, []).append(lock.table)
    return list(groups.values())


def assert_protocol(locks: list[Lock], *expected: list[str]) -> None:
    """Exactly ``expected`` per transaction; every locking read by pk; every transaction's
    waiting locks increasing in LOCK_ORDER."""
    assert by_transaction(locks) == list(expected), locks
    assert all(lock.by_pk for lock in locks), locks
    for number in {lock.transaction for lock in locks}:
        waiting = [lock.table for lock in locks if lock.transaction == number and lock.how != "skip locked"]
        ranks = [LOCK_ORDER.index(table) for table in waiting]
        assert ranks == sorted(ranks), f"out of LOCK_ORDER: {locks}"


@pytest.fixture
def sale(db):
    event = on_sale_event(hall=hall_with_layout(sections=1, rows=2, seats=5))
    seats = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    return event, seats


def test_lock_order_names_every_table_a_use_case_locks():
    assert LOCK_ORDER.index(KEY) < LOCK_ORDER.index(USER) < LOCK_ORDER.index(SEAT) < LOCK_ORDER.index(EVENT)
    assert LOCK_ORDER.index(EVENT) < LOCK_ORDER.index(HOLD) < LOCK_ORDER.index(BOOKING)
    assert LOCK_ORDER.index(BOOKING) < LOCK_ORDER.index(TICKET) < LOCK_ORDER.index(PAYMENT)


def test_hold_create(sale):
    event, seats = sale
    buyer = UserFactory()
    locks = locks_taken(lambda: hold_create(buyer=buyer, event=event, seat_ids=seats[:2]))
    assert_protocol(locks, [USER, SEAT])  # the new hold is an INSERT: nobody waits for it
    assert [lock.how for lock in locks] == ["no key", "skip locked"]


def test_hold_create_through_the_api_with_a_key(sale):
    event, seats = sale
    client = client_for(UserFactory())
    locks = locks_taken(
        lambda: client.post(
            f"/api/v1/events/{event.pk}/holds/",
            {"seat_ids": seats[:2]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )
    )
    assert_protocol(locks, [KEY, USER, SEAT])


def test_hold_create_best_available(sale):
    event, _ = sale
    buyer = UserFactory()
    locks = locks_taken(lambda: hold_create_best_available(buyer=buyer, event=event, count=2))
    assert_protocol(locks, [USER, SEAT])


def test_hold_release(sale):
    event, seats = sale
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seats[:2])
    assert_protocol(locks_taken(lambda: holds_release(hold_ids=[hold.pk], actor=buyer)), [SEAT, HOLD])


def test_holds_release_expired(sale):
    event, seats = sale
    hold = hold_create(buyer=UserFactory(), event=event, seat_ids=seats[:2])
    later = hold.expires_at + timedelta(seconds=1)
    locks = locks_taken(lambda: holds_release_expired(now=later))
    # the sweeper ends holds through holds_release: the protocol's order, like everyone
    assert_protocol(locks, [SEAT, HOLD])


def test_booking_confirm(sale):
    event, seats = sale
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seats[:2])
    assert_protocol(locks_taken(lambda: booking_confirm(buyer=buyer, hold_id=hold.pk)), [SEAT, HOLD])


def test_booking_create_through_the_api_with_payment(sale):
    event, seats = sale
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seats[:2])
    client = client_for(buyer)
    locks = locks_taken(
        lambda: client.post(
            "/api/v1/bookings/", {"hold_id": hold.pk}, format="json", HTTP_IDEMPOTENCY_KEY="b1"
        )
    )
    # the payment is opened (one INSERT ... ON CONFLICT DO NOTHING: it waits at most for another
    # request's insert of the hold's open payment, holding nothing) and recorded charged before
    # the booking transaction (no lock held while the gateway is called), the booking
    # transaction links it, then it is marked paid for
    assert_protocol(locks, [PAYMENT], [PAYMENT], [KEY, SEAT, HOLD, PAYMENT], [PAYMENT])


def test_booking_cancel(sale):
    event, seats = sale
    buyer = UserFactory()
    booking = booking_confirm(
        buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=seats[:2]).pk
    )
    locks = locks_taken(lambda: bookings_cancel(booking_ids=[booking.pk], actor=buyer))
    assert_protocol(locks, [SEAT, BOOKING, TICKET])


def test_booking_cancel_through_the_api(sale):
    event, seats = sale
    buyer = UserFactory()
    booking = booking_confirm(
        buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=seats[:2]).pk
    )
    client = client_for(buyer)
    locks = locks_taken(lambda: client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json"))
    assert_protocol(locks, [SEAT, BOOKING, TICKET])


def test_paid_booking_cancel_through_the_api(sale):
    event, seats = sale
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seats[:2])
    client = client_for(buyer)
    booking_id = client.post("/api/v1/bookings/", {"hold_id": hold.pk}, format="json").json()["id"]
    locks = locks_taken(lambda: client.post(f"/api/v1/bookings/{booking_id}/cancel/", {}, format="json"))
    # the refund is marked due in the cancelling transaction; the gateway is called after it
    assert by_transaction(locks)[0] == [SEAT, BOOKING, TICKET, PAYMENT], locks


def test_event_cancel(sale):
    event, seats = sale
    buyer = UserFactory()
    hold_create(buyer=buyer, event=event, seat_ids=seats[:1])
    booked(buyer, event, seats[1:3])
    staff = StaffFactory()
    locks = locks_taken(lambda: event_cancel(event=event, actor=staff))
    # one transaction per step: off sale (all its seats, then the event), holds, bookings
    assert_protocol(locks, [SEAT, EVENT], [SEAT, HOLD], [SEAT, BOOKING, TICKET])
    assert Booking.objects.get(event=event).status == Booking.Status.CANCELLED


def test_event_set_status_closed_locks_the_event(sale):
    event, _ = sale
    assert_protocol(locks_taken(lambda: event_set_status(event=event, status=Event.Status.CLOSED)), [EVENT])


def test_event_create_locks_its_hall(db):
    hall = hall_with_layout(sections=1, rows=2, seats=3)
    starts = timezone.now() + timedelta(days=3)
    locks = locks_taken(
        lambda: event_create(
            hall=hall,
            kind="show",
            title="Lock order",
            starts_at=starts,
            prices={"standard": "10", "vip": "20"},
        )
    )
    assert_protocol(locks, [HALL])


def test_seats_block_and_unblock(sale):
    event, seats = sale
    staff = StaffFactory()
    assert_protocol(locks_taken(lambda: seats_block(event=event, seat_ids=seats[:2], actor=staff)), [SEAT])
    assert_protocol(locks_taken(lambda: seats_unblock(event=event, seat_ids=seats[:2], actor=staff)), [SEAT])


def test_ticket_check_in(sale):
    event, seats = sale
    buyer = UserFactory()
    booking = booking_confirm(
        buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=seats[:1]).pk
    )
    code = Ticket.objects.get(booking=booking).code
    gate = StaffFactory()
    locks = locks_taken(lambda: ticket_check_in(code=code, actor=gate, event_id=event.pk))
    assert_protocol(locks, [TICKET])


def test_ticket_transfer(sale):
    event, seats = sale
    buyer, friend = UserFactory(), UserFactory()
    ticket = booked(buyer, event, seats[:1]).tickets.get()
    locks = locks_taken(lambda: ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=friend.username))
    # the seat and the booking first (as every cancel), then the ticket (the row a gate scan locks)
    assert_protocol(locks, [SEAT, BOOKING, TICKET])


def test_ticket_transfer_through_the_api_with_a_key(sale):
    event, seats = sale
    buyer, friend = UserFactory(), UserFactory()
    ticket = booked(buyer, event, seats[:1]).tickets.get()
    client = client_for(buyer)
    locks = locks_taken(
        lambda: client.post(
            f"/api/v1/tickets/{ticket.pk}/transfer/",
            {"to": friend.username},
            format="json",
            HTTP_IDEMPOTENCY_KEY="give-1",
        )
    )
    assert_protocol(locks, [KEY, SEAT, BOOKING, TICKET])


def test_box_office_sell(sale):
    event, seats = sale
    clerk = StaffFactory()
    locks = locks_taken(
        lambda: box_office_sell(
            staff=clerk, event=event, seat_ids=seats[:2], method="cash", email="w@example.com"
        )
    )
    # one transaction: the hold's locks (buyer, seats), then the booking's (seats, hold, payment)
    assert_protocol(locks, [USER, SEAT, SEAT, HOLD, PAYMENT])


def test_box_office_sell_with_ticket_types_takes_the_same_locks(db):
    # the types' pricing (booking_price) reads the hold just made without locking anything
    types = [{"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}}]
    event = on_sale_event(hall=hall_with_layout(sections=1, rows=2, seats=5), ticket_types=types)
    seats = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    clerk = StaffFactory()
    locks = locks_taken(
        lambda: box_office_sell(
            staff=clerk,
            event=event,
            seat_ids=seats[:2],
            method="cash",
            ticket_types={seats[0]: "reduced"},
        )
    )
    assert_protocol(locks, [USER, SEAT, SEAT, HOLD, PAYMENT])


def test_the_capture_sees_a_plain_write_as_a_lock(sale):
    # a control for the harness itself: a plain UPDATE outside the services is seen as a lock
    event, seats = sale
    hold = hold_create(buyer=UserFactory(), event=event, seat_ids=seats[:1])
    with transaction.atomic():
        locks = locks_taken(lambda: Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.RELEASED))
    assert by_transaction(locks) == [[HOLD]]
    assert locks[0].how == "write"


def test_layout_replace_and_hall_delete_lock_the_hall_through_ticketing(db):
    from venues.services import hall_delete, layout_replace

    hall = hall_with_layout(sections=1, rows=1, seats=2)
    sections = [{"name": "A", "rows": [{"label": "1", "seats": 3}]}]
    locks = locks_taken(lambda: layout_replace(hall=hall, sections=sections))
    assert by_transaction(locks)[0][0] == HALL, locks
    assert locks[0].how == "update"
    locks = locks_taken(lambda: hall_delete(hall=hall))
    assert by_transaction(locks)[0][0] == HALL, locks


def test_venue_delete_takes_no_lock_of_its_own(db):
    from tests.factories import VenueFactory
    from venues.services import venue_delete

    venue = VenueFactory()
    locks = locks_taken(lambda: venue_delete(venue=venue))
    assert by_transaction(locks) == [["venues_venue"]], locks  # the DELETE itself
