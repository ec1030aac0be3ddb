"""The waiting list of a sold-out event: join, leave, and the offer of seats that come back.

A buyer joins with a count (and optionally a category) when nothing of what they want is left
(``waitlist_join``). When seats come back — a cancellation (``bookings_cancel``), a released or
expired hold (``holds_release``, the sweeper included), an unblock (``seats_unblock``) — that
transaction calls ``waitlist_seats_freed`` after freeing them, with the seats still locked: the
first waiting entry they can serve is offered them there and then, as a hold made for that buyer
through ``hold_claim``, so the public never sees them free in between. The entry becomes
``offered`` and its email is queued in the outbox. The offer's hold is an ordinary hold of that
buyer: booked, the entry is ``fulfilled`` (``waitlist_offer_booked``, in the booking's
transaction); ended unbooked (expired and swept, or released), the entry is ``expired`` — or
``left`` when the buyer released it — and its seats are offered to the next entry in that same
transaction. Leaving with an offer outstanding releases the offer's hold (``waitlist_leave``).

Locks (DESIGN.md, the lock table): the waiting-list entry comes after the ticket and before the
payment in ``LOCK_ORDER``. An offer adds to its caller's transaction, which already holds the
freed seats: the entries of the holds that ended (pk order, waiting), then the first matching
waiting entry (one row, waiting), then that buyer's user row without waiting (SKIP LOCKED).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from config.errors import (
    AccountDisabled,
    AlreadyOnWaitlist,
    EventNotSoldOut,
    HoldExpired,
    Invalid,
    NotFound,
    SeatLimitExceeded,
    WaitlistEntryClosed,
)
from ticketing.locking import (
    lock_buyer,
    lock_buyer_if_free,
    lock_free_seats_of_event,
    lock_waitlist_entries,
    lock_waitlist_next,
)
from ticketing.models import Event, EventPrice, EventSeat, Hold, WaitlistEntry
from ticketing.models.waitlist import WAITLIST_OPEN
from ticketing.services.notifications import waitlist_offer_notify

Status = WaitlistEntry.Status
MAX_COUNT = 10  # SPEC §9: 1..10 seats an entry
LEAVE_ATTEMPTS = 3  # an offer made (or booked) while a buyer leaves: read the entry again


def waitlist_free_seats_q(*, event: Event, category: str, now: datetime) -> QuerySet[EventSeat]:
    """The event's seats a buyer could hold at ``now`` (available, or held by a hold no longer
    live: the expiry rule, ``Hold.live_q``), of ``category`` when one is given."""
    seats = EventSeat.objects.filter(event=event).filter(
        Q(status=EventSeat.Status.AVAILABLE)
        | (Q(status=EventSeat.Status.HELD) & ~Q(Hold.live_q(now, prefix="hold__")))
    )
    return seats.filter(seat__category=category) if category else seats


def waitlist_join(
    *, buyer: User, event: Event, count: int, category: str = "", now: datetime | None = None
) -> WaitlistEntry:
    """Join the event's waiting list for ``count`` seats (of ``category``, or any).

    Refusals: ``count`` not 1..10, or a category the event does not sell (Invalid); the event not
    on sale or started (EventNotOnSale); ``count`` over the per-buyer limit (SeatLimitExceeded);
    a seat of what the buyer asks for still free at ``now`` (EventNotSoldOut: hold it instead);
    an open entry (waiting or offered) of this buyer for this event (AlreadyOnWaitlist).
    Locks: the buyer's user row (``lock_buyer``, waits, bounded; a deactivated account is
    AccountDisabled), which serialises one buyer's joins; the partial unique constraint
    ``waitlist_one_open_entry`` is the backstop. The sold-out test is a read: a seat freed at
    the same instant may stay free rather than be offered to this entry (its offer looked for
    waiting entries before this one existed); the sweeper's pass (``waitlists_offer_available``)
    offers it to the list then, unless the public took it first.
    Returns the entry with ``ahead`` (waiting entries before it).
    """
    from ticketing.services.events import event_ensure_on_sale  # events → inventory → this module
    from ticketing.services.holds import event_seat_limit

    now = now or timezone.now()
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise Invalid(f"Ask for 1 to {MAX_COUNT} seats.", fields={"count": [f"1 to {MAX_COUNT}."]})
    category = category or ""
    if category and not EventPrice.objects.filter(event=event, category=category).exists():
        raise Invalid("This event has no such seat category.", fields={"category": ["Unknown category."]})
    event_ensure_on_sale(event=event, now=now)
    limit = event_seat_limit(event)
    if count > limit:
        raise SeatLimitExceeded(limit)
    if waitlist_free_seats_q(event=event, category=category, now=now).exists():
        raise EventNotSoldOut()
    with transaction.atomic():
        if not lock_buyer(buyer=buyer):
            raise AccountDisabled()
        if WaitlistEntry.objects.filter(event=event, buyer=buyer, status__in=WAITLIST_OPEN).exists():
            raise AlreadyOnWaitlist()
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(
                    event=event, buyer=buyer, count=count, category=category, created_at=now
                )
        except IntegrityError as error:  # the backstop: only with the buyer lock off
            raise AlreadyOnWaitlist() from error
    entry.ahead = WaitlistEntry.objects.filter(event=event, status=Status.WAITING, id__lt=entry.id).count()
    return entry


def waitlist_leave(*, buyer: User, entry_id: int, now: datetime | None = None) -> WaitlistEntry:
    """The buyer leaves the waiting list: a waiting entry becomes ``left``; an offered one
    releases its offer's hold through ``holds_release`` (whose call of ``waitlist_seats_freed``
    marks it ``left`` and offers the seats to the next entry, in that transaction).

    Locks: a waiting entry alone (``lock_waitlist_entries``, waits, bounded); an offer as
    ``holds_release`` (the hold's seats, the hold, then the entry). Checks under the locks: the
    entry is still what was read; if an offer was made or booked meanwhile, it is read again
    (at most LEAVE_ATTEMPTS times). Refusals: not this buyer's entry (NotFound); an entry no
    longer open, fulfilled, expired or already left (WaitlistEntryClosed).
    """
    from ticketing.services.holds import holds_release  # holds → this module

    now = now or timezone.now()
    for _ in range(LEAVE_ATTEMPTS):
        entry = WaitlistEntry.objects.filter(pk=entry_id, buyer=buyer).first()
        if entry is None:
            raise NotFound("No such waiting-list entry.")
        if entry.status == Status.WAITING:
            with transaction.atomic():
                (locked,) = lock_waitlist_entries(entry_ids=[entry.pk])
                if locked.status == Status.WAITING:
                    WaitlistEntry.objects.filter(pk=entry.pk).update(status=Status.LEFT, ended_at=now)
                    entry.status, entry.ended_at = Status.LEFT, now
                    return entry
            continue  # offered meanwhile: leave through its hold
        if entry.status != Status.OFFERED:
            raise WaitlistEntryClosed(f"This waiting-list entry is {entry.status}.")
        offer = Hold.objects.filter(waitlist_entry=entry, status=Hold.Status.ACTIVE).first()
        if offer is not None:
            with contextlib.suppress(HoldExpired):  # booked or ended meanwhile: read the entry again
                holds_release(hold_ids=[offer.pk], actor=buyer, now=now)
        entry.refresh_from_db()
        if entry.status == Status.LEFT:
            return entry
    entry.refresh_from_db()
    raise WaitlistEntryClosed(f"This waiting-list entry is {entry.status}.")


def waitlist_offer_booked(*, hold: Hold, now: datetime) -> None:
    """In ``booking_confirm``'s transaction, under the hold's locks: a booked offer fulfils its
    entry. One UPDATE (the entry's implicit lock, after the ticket in LOCK_ORDER), none for a hold
    that is no offer."""
    if hold.waitlist_entry_id:
        WaitlistEntry.objects.filter(pk=hold.waitlist_entry_id, status=Status.OFFERED).update(
            status=Status.FULFILLED, ended_at=now
        )


def waitlist_seats_freed(
    *,
    seats: Sequence[EventSeat],
    now: datetime,
    ended_holds: Iterable[Hold] = (),
    expired: bool = False,
    actor: User | None = None,
) -> list[Hold]:
    """Inside the transaction that just made ``seats`` available, with them still locked: the
    offers of ``ended_holds`` end (``left`` when their own buyer released them, else ``expired``),
    and the freed seats of each event are offered to its waiting list (``waitlist_offer_freed``).

    Costs one read when no event of the seats has a waiting entry and no ended hold was an offer.
    Returns the offers made.
    """
    offers = [hold for hold in ended_holds if hold.waitlist_entry_id]
    if offers:
        entries = lock_waitlist_entries(entry_ids=[hold.waitlist_entry_id for hold in offers])
        buyer_of = {hold.waitlist_entry_id: hold.buyer_id for hold in offers}
        released_by_buyer = not expired and actor is not None
        mine = [e.pk for e in entries if released_by_buyer and actor.pk == buyer_of[e.pk] == e.buyer_id]
        others = [e.pk for e in entries if e.pk not in mine]
        open_entries = WaitlistEntry.objects.filter(status=Status.OFFERED)
        open_entries.filter(pk__in=mine).update(status=Status.LEFT, ended_at=now)
        open_entries.filter(pk__in=others).update(status=Status.EXPIRED, ended_at=now)
    by_event: dict[int, list[int]] = {}
    for seat in seats:
        by_event.setdefault(seat.event_id, []).append(seat.id)
    if not by_event:
        return []
    waiting = set(
        WaitlistEntry.objects.filter(event_id__in=list(by_event), status=Status.WAITING)
        .values_list("event_id", flat=True)
        .distinct()
    )
    made = []
    for event_id in sorted(waiting):
        made += waitlist_offer_freed(event_id=event_id, seat_ids=by_event[event_id], now=now)
    return made


def offer_pick(seats: list[EventSeat], *, count: int, category: str) -> list[EventSeat]:
    """``count`` of the free ``seats`` (pk order: map order) for an entry, of its category when it
    names one: consecutive numbers in one row when there are, else the first ones."""
    fitting = [seat for seat in seats if not category or seat.seat.category == category]
    for start in range(len(fitting) - count + 1):
        window = fitting[start : start + count]
        first = window[0].seat
        if all(
            s.seat.section_id == first.section_id
            and s.seat.row_label == first.row_label
            and s.seat.number == first.number + i
            for i, s in enumerate(window)
        ):
            return window
    return fitting[:count]


def waitlist_offer_freed(*, event_id: int, seat_ids: Sequence[int], now: datetime) -> list[Hold]:
    """Offer seats just freed in the caller's transaction (and still locked by it) to the event's
    waiting list, first come first served: while some are left, the first waiting entry whose
    ``count`` they can serve (of its category, if it names one) gets exactly ``count`` of them as
    a hold of its buyer (``hold_claim``), the entry becomes ``offered`` and its email is queued.

    Only for an event on sale that has not started. Locks, in this order, after the caller's:
    the entry (``lock_waitlist_next``, one row, waits, bounded), then its buyer's row without
    waiting (``lock_buyer_if_free``). An entry whose buyer is busy right now (their own hold in
    flight), deactivated, or whose count would take them past the event's per-buyer limit
    (``buyer_ensure_within_limit``) is passed over this time and keeps its place.
    Returns the holds offered.
    """
    from ticketing.services.holds import buyer_ensure_within_limit, hold_claim  # holds → this module

    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.status != Event.Status.ON_SALE or event.starts_at <= now:
        return []
    free = list(
        EventSeat.objects.filter(id__in=list(seat_ids), status=EventSeat.Status.AVAILABLE)
        .select_related("seat__section")
        .order_by("id")
    )
    prices = None
    offers: list[Hold] = []
    after = 0
    while free:
        entry = lock_waitlist_next(
            event_id=event.pk, free=dict(Counter(seat.seat.category for seat in free)), after_id=after
        )
        if entry is None:
            break
        after = entry.pk
        if not lock_buyer_if_free(buyer_id=entry.buyer_id):
            continue  # busy right now, or deactivated: passed over, keeps its place
        try:
            buyer_ensure_within_limit(buyer=entry.buyer, event=event, count=entry.count, now=now)
        except SeatLimitExceeded:
            continue
        chosen = offer_pick(free, count=entry.count, category=entry.category)
        if prices is None:
            prices = dict(EventPrice.objects.filter(event=event).values_list("category", "amount"))
        hold = hold_claim(
            buyer=entry.buyer, event=event, seats=chosen, prices=prices, now=now, waitlist_entry_id=entry.pk
        )
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=Status.OFFERED)
        waitlist_offer_notify(entry_ids=[entry.pk])
        offers.append(hold)
        taken = {seat.id for seat in chosen}
        free = [seat for seat in free if seat.id not in taken]
    return offers


def waitlists_offer_available(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """The sweeper's pass (``release_expired_holds``): seats free now of an on-sale event that has
    waiting entries are offered to them, as if just freed. The offers of the freeing transactions
    see only the seats each one frees: one seat freed now and one freed earlier can together serve
    an entry for two, and a seat freed while a buyer was joining (the join's sold-out test is a
    read) reaches the list here. Per event, one transaction: its available seats (pk order, up to
    ``batch_size``, SKIP LOCKED: a buyer claiming one right now keeps it), then as
    ``waitlist_offer_freed``. Returns the number of offers made."""
    now = now or timezone.now()
    events = (
        WaitlistEntry.objects.filter(
            status=Status.WAITING, event__status=Event.Status.ON_SALE, event__starts_at__gt=now
        )
        .order_by("event_id")
        .values_list("event_id", flat=True)
        .distinct()
    )
    made = 0
    for event_id in list(events):
        with transaction.atomic():
            seats = lock_free_seats_of_event(event_id=event_id, limit=batch_size)
            if seats:
                made += len(waitlist_offer_freed(event_id=event_id, seat_ids=[s.id for s in seats], now=now))
    return made
