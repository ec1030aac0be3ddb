"""Best available seats: pick the best free block of seats together and hold it.

The rule (DESIGN.md §7, "Best available"), for a request of ``count`` seats:

1. Candidates are the event's free seats (available, or held by an expired hold) in the
   requested section and category. Every other seat is a wall.
2. A block is ``count`` seats with consecutive numbers in one row of one section.
3. Blocks are ranked, best first, by
   a. the number of single seats they would strand: a free seat left alone between the block
      and an unavailable seat (a row end or a gap in the numbering is not a wall: a seat next
      to the aisle still sells). A block that strands nobody beats any block that does;
   b. the row, front first (``row_index``);
   c. the distance between the middle of the block and the middle of the row;
   d. the section's rank, then the lowest seat number (so the answer is deterministic). A
      section's rank is its display position, unless the layout places every seat of the hall
      on its plan (x, y): then the section whose seats' middle is nearest the middle of the
      plan (the court, the stage) comes first (``section_ranks``).
4. ``together: false`` takes the best block when there is one, else the ``count`` best single
   seats (front first, then closest to the middle of their row): the answer says ``adjacent``.

Concurrency: the ranking is computed from a plain read of the seats (no locks). Then, inside a
savepoint, the free seats of the best pick's row are locked in one ordered
``SELECT ... FOR UPDATE SKIP LOCKED``: seats another request is claiming right now are left
out and count as taken. If the best pick, ranked again with that knowledge, lies within the
locked seats, it is held; otherwise the savepoint is rolled back, which releases the row, and
the next pick is tried. A request keeps the row it got locked until it commits (a few
milliseconds), so concurrent requests skip to other rows instead of queueing: each takes a
different block. Once a request has met another on a row, it stops following the exact
ranking (every loser would try the same next row and lose again) and picks at random among the
blocks of the ``SPREAD`` best rows that strand no more seats than the best one. When all that
is left is being claimed by others, the seats are read again and the claim then waits for the
locks (bounded by the lock timeout) rather than answer 503 while a claim in flight may still
fail and free its seats. The hold itself is written by ``hold_claim``, like ``hold_create``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from math import hypot

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from accounts.models import User
from config.errors import AccountDisabled, Busy, Invalid, NoAdjacentSeats, SeatLimitExceeded
from ticketing.locking import (
    HOLD_EXPIRED_SQL,
    SEAT_PLACE_JOINS,
    lock_buyer,
    lock_seats_for_hold,
    seat_is_taken,
)
from ticketing.models import Event, EventSeat, Hold
from ticketing.services.events import event_ensure_on_sale
from ticketing.services.holds import buyer_ensure_within_limit, event_seat_limit, hold_claim
from venues.models import Seat, Section

Status = EventSeat.Status

#: Reads of the seats and claim attempts per request before answering 503 busy.
MAX_READS = 4
MAX_ATTEMPTS = 64
#: Once a request has met another one on a row, it picks among the best rows of this many.
SPREAD = 8


@dataclass(frozen=True)
class SeatSpot:
    """One seat of the candidate scope, as the ranking sees it."""

    id: int
    section_position: int  # the section's rank (section_ranks): display position unless placed
    section_id: int
    row_index: int
    number: int
    free: bool

    @property
    def row(self) -> tuple[int, int, int]:
        return (self.section_position, self.section_id, self.row_index)


@dataclass(frozen=True)
class Pick:
    """A candidate: seats (ids) and the sort key that ranks it (smaller is better)."""

    seat_ids: tuple[int, ...]
    key: tuple


@dataclass(frozen=True)
class BestAvailableHold:
    hold: Hold
    adjacent: bool


def _rows(spots: Iterable[SeatSpot]) -> list[list[SeatSpot]]:
    """The rows, front rows first (then section order), each in seat-number order."""
    ordered = sorted(spots, key=lambda s: (s.row_index, s.section_position, s.section_id, s.number))
    return [list(row) for _, row in groupby(ordered, key=lambda s: s.row)]


def _row_blocks(row: list[SeatSpot], *, count: int, taken: AbstractSet[int]) -> list[Pick]:
    numbers = {spot.number for spot in row}
    twice_middle = row[0].number + row[-1].number
    # Runs of free seats with consecutive numbers.
    runs: list[list[SeatSpot]] = []
    for spot in row:
        if not spot.free or spot.id in taken:
            continue
        if runs and runs[-1][-1].number + 1 == spot.number:
            runs[-1].append(spot)
        else:
            runs.append([spot])
    picks = []
    for run in runs:
        wall_left = run[0].number - 1 in numbers
        wall_right = run[-1].number + 1 in numbers
        for start in range(len(run) - count + 1):
            left_gap, right_gap = start, len(run) - start - count
            strands = (left_gap == 1 and wall_left) + (right_gap == 1 and wall_right)
            first, last = run[start], run[start + count - 1]
            key = (
                strands,
                first.row_index,
                abs(first.number + last.number - twice_middle),
                first.section_position,
                first.section_id,
                first.number,
            )
            picks.append(Pick(tuple(spot.id for spot in run[start : start + count]), key))
    return picks


def blocks_ranked(
    spots: Iterable[SeatSpot], *, count: int, taken: AbstractSet[int] = frozenset()
) -> list[Pick]:
    """Every block of ``count`` free seats together, best first (the module's rule, step 3)."""
    picks = [pick for row in _rows(spots) for pick in _row_blocks(row, count=count, taken=taken)]
    picks.sort(key=lambda pick: pick.key)
    return picks


def block_best(rows: list[list[SeatSpot]], *, count: int, taken: AbstractSet[int]) -> Pick | None:
    """``blocks_ranked(...)[0]`` without ranking the whole hall: ``rows`` come front first, and
    once a row depth has given a block that strands nobody, no deeper row can beat it."""
    best: Pick | None = None
    for row in rows:
        if best is not None and best.key[0] == 0 and row[0].row_index > best.key[1]:
            break
        for pick in _row_blocks(row, count=count, taken=taken):
            if best is None or pick.key < best.key:
                best = pick
    return best


def block_near_best(
    rows: list[list[SeatSpot]], *, count: int, taken: AbstractSet[int], spread: int, rng: random.Random
) -> Pick | None:
    """Under contention: one of the best blocks of the ``spread`` best rows, at random.

    Each candidate row offers its best block; only blocks that strand as few seats as the very
    best one are eligible. Concurrent requests that all just lost the same row thus scatter over
    the next few rows instead of all trying the same next one (a herd that would lose again).
    """
    per_row: list[Pick] = []
    level_done_at: int | None = None
    for row in rows:
        if level_done_at is not None and row[0].row_index > level_done_at:
            break
        blocks = _row_blocks(row, count=count, taken=taken)
        if blocks:
            per_row.append(min(blocks, key=lambda pick: pick.key))
            if level_done_at is None and sum(1 for pick in per_row if pick.key[0] == 0) >= spread:
                level_done_at = row[0].row_index
    if not per_row:
        return None
    per_row.sort(key=lambda pick: pick.key)
    eligible = [pick for pick in per_row if pick.key[0] == per_row[0].key[0]][:spread]
    return rng.choice(eligible)


def singles_ranked(
    spots: Iterable[SeatSpot], *, count: int, taken: AbstractSet[int] = frozenset()
) -> Pick | None:
    """The ``count`` best single free seats (front first, then closest to the row's middle)."""
    ranked = []
    for row in _rows(spots):
        twice_middle = row[0].number + row[-1].number
        ranked += [
            (
                (s.row_index, abs(2 * s.number - twice_middle), s.section_position, s.section_id, s.number),
                s.id,
            )
            for s in row
            if s.free and s.id not in taken
        ]
    if len(ranked) < count:
        return None
    ranked.sort()
    best = ranked[:count]
    return Pick(tuple(seat_id for _, seat_id in best), (0,))


def _spots_read(
    *,
    event: Event,
    category: str | None,
    section: Section | None,
    now: datetime,
    depths: tuple[int, int],
    ranks: dict[int, int] | None = None,
) -> list[SeatSpot]:
    """One hand-written query: every seat of the matching sections and category in rows of
    these depths, free or not (``HOLD_EXPIRED_SQL``: a seat of an expired hold is free).

    Hand-written: best available was the ORM's heaviest request, 13.2 -> 7.6 ms of CPU in
    process with this read and the hold path's lock (DESIGN.md §8).
    Measured again in process on PostgreSQL (a 2,000-seat event, rows 0-3), 200 calls, best of
    5, back to back on the shared 2-core box (load 5-9), two runs: this statement 12.4-17.7 ms,
    its ORM form (``values_list`` with ``annotate(Exists(...))``) 18.4-22.0 ms (x1.24-1.48).
    """
    sql = f"""
        SELECT es.id AS id, sec.position AS section_position, s.section_id AS section_id,
               s.row_index AS row_index, s.number AS number, es.status AS status,
               {HOLD_EXPIRED_SQL} AS expired
          FROM {EventSeat._meta.db_table} es
          {SEAT_PLACE_JOINS}
         WHERE es.event_id = %s AND s.row_index >= %s AND s.row_index < %s
    """  # noqa: S608 - table names come from model metadata, values are parameters
    params = [Hold.Status.ACTIVE, connection.ops.adapt_datetimefield_value(now), event.pk, *depths]
    if section is not None:
        sql += " AND s.section_id = %s"
        params.append(section.pk)
    if category is not None:
        sql += " AND s.category = %s"
        params.append(category)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # by column name, resolved once: no dict per row (a band can be thousands of seats)
        column = {name: index for index, (name, *_) in enumerate(cursor.description)}
        rows = cursor.fetchall()
    seat_id, position, section_id, row_index = (
        column[name] for name in ("id", "section_position", "section_id", "row_index")
    )
    number, status, expired = column["number"], column["status"], column["expired"]
    return [
        SeatSpot(
            id=row[seat_id],
            section_position=(ranks or {}).get(row[section_id], row[position]),
            section_id=row[section_id],
            row_index=row[row_index],
            number=row[number],
            free=not seat_is_taken(row[status], row[expired]),
        )
        for row in rows
    ]


class _Seats:
    """The candidate rows, read from the front only as deep as the answer needs.

    Depths are read in bands of 1, 2, 4, 8... rows (row_index), one query each. A block that
    strands nobody at depth d beats everything deeper, so a stadium's 40,000 seats are usually
    answered from its front rows (one query of a few thousand seats, not the whole bowl).
    """

    def __init__(self, *, event: Event, category: str | None, scope: _Scope, now: datetime):
        self._query = {
            "event": event,
            "category": category,
            "section": scope.section,
            "now": now,
            "ranks": scope.ranks,
        }
        self._next, self._last, self._band = scope.first_row, scope.last_row, 1
        self.rows: list[list[SeatSpot]] = []

    @property
    def complete(self) -> bool:
        return self._last is None or self._next > self._last

    def _read_band(self) -> None:
        depths = (self._next, self._next + self._band)
        self._next, self._band = depths[1], self._band * 2
        self.rows = _rows(
            [spot for row in self.rows for spot in row] + _spots_read(**self._query, depths=depths)
        )

    def ensure(self, *, count: int, taken: AbstractSet[int], spread: int) -> None:
        """Read deeper until ``spread`` rows offer a block stranding nobody, or to the back."""
        while not self.complete:
            good_rows = 0
            for row in self.rows:
                if any(pick.key[0] == 0 for pick in _row_blocks(row, count=count, taken=taken)):
                    good_rows += 1
                    if good_rows >= spread:
                        return
            self._read_band()


class _Missed(Exception):
    """No good block within the seats this attempt could lock. ``contended``: some of them were
    being claimed by another request right now."""

    def __init__(self, *, contended: bool) -> None:
        self.contended = contended


def _claim(
    *,
    buyer: User,
    event: Event,
    rows: list[list[SeatSpot]],
    pick: Pick,
    count: int,
    together: bool,
    taken: set[int],
    now: datetime,
    exact: bool,
    wait: bool,
) -> BestAvailableHold:
    """Lock the free seats of the pick's row(s) in a savepoint and hold the best block in them.

    The lock is SKIP LOCKED unless ``wait``. Seats found locked or taken are added to ``taken``.
    ``exact``: the whole hall is ranked again with that knowledge and the best pick must lie in
    the locked seats (the rule to the letter, when nobody else is claiming). Otherwise (under
    contention) the best block of the locked rows is taken if it strands no more seats than
    ``pick`` would have. A miss raises _Missed, which rolls the savepoint back and so releases
    the rows.
    """
    ids = set(pick.seat_ids)
    picked_rows = [row for row in rows if any(spot.id in ids for spot in row)]
    candidates = {spot.id for row in picked_rows for spot in row if spot.free and spot.id not in taken}
    with transaction.atomic():
        claim = lock_seats_for_hold(event=event, seat_ids=sorted(candidates), now=now, skip_locked=not wait)
        locked, prices = claim.seats, claim.prices
        free = {seat.id: seat for seat in locked if not seat.taken}
        taken |= candidates - set(free)
        best, adjacent = _best_pick(
            rows if exact else picked_rows, count=count, together=together, taken=taken
        )
        if best is None or not set(best.seat_ids) <= set(free) or best.key[0] > pick.key[0]:
            raise _Missed(contended=len(locked) < len(candidates))
        seats = [free[seat_id] for seat_id in sorted(best.seat_ids)]
        hold = hold_claim(buyer=buyer, event=event, seats=seats, prices=prices, now=now)
    return BestAvailableHold(hold=hold, adjacent=adjacent)


@dataclass(frozen=True)
class _Scope:
    """Where a request looks: its section (None: the whole hall) and the depth of its rows."""

    section: Section | None
    first_row: int
    last_row: int | None
    ranks: dict[int, int]  # section id -> rank (section_ranks)


def section_ranks(groups: list[dict]) -> dict[int, int]:
    """Section id -> its rank for best available: by display position, or, when every seat of
    the hall is placed on its plan, by the distance from the middle of its seats' box to the
    middle of the hall's (nearest first; position breaks ties). ``groups``: the hall's seats
    counted by section and category (``_scope_validate``)."""
    sections: dict[int, dict] = {}
    for group in groups:
        section = sections.setdefault(
            group["section_id"],
            {"position": group["section__position"], "seats": 0, "placed": 0, "box": None},
        )
        section["seats"] += group["seats"]
        section["placed"] += group["placed"]
        if group["placed"]:
            box = (group["x0"], group["y0"], group["x1"], group["y1"])
            old = section["box"] or box
            section["box"] = (
                min(old[0], box[0]),
                min(old[1], box[1]),
                max(old[2], box[2]),
                max(old[3], box[3]),
            )

    def by_position(item: tuple[int, dict]) -> tuple:
        return (item[1]["position"], item[0])

    ordered = sorted(sections.items(), key=by_position)
    if ordered and all(section["placed"] == section["seats"] for _, section in ordered):
        boxes = [section["box"] for _, section in ordered]
        cx = (min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2
        cy = (min(b[1] for b in boxes) + max(b[3] for b in boxes)) / 2

        def by_distance(item: tuple[int, dict]) -> tuple:
            b = item[1]["box"]
            return (round(hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy), 6), *by_position(item))

        ordered.sort(key=by_distance)
    return {section_id: rank for rank, (section_id, _) in enumerate(ordered)}


#: (hall, section name, category) -> its _Scope, per process. A hall's layout cannot change once
#: an event uses it (``layout_in_use``), so what is read here for an event never goes stale.
_scopes: dict[tuple[int, str | None, str | None], _Scope] = {}


def scopes_forget() -> None:
    """Drop the remembered scopes (tests: ids are reused from one test to the next)."""
    _scopes.clear()


def _scope_validate(*, event: Event, category: str | None, section_name: str | None) -> _Scope:
    """The request's scope, or Invalid for a section or category the hall does not have."""
    key = (event.hall_id, section_name, category)
    scope = _scopes.get(key)
    if scope is not None:
        return scope
    section = None
    if section_name is not None:
        section = Section.objects.filter(hall_id=event.hall_id, name=section_name).first()
        if section is None:
            message = f"This hall has no section {section_name!r}."
            raise Invalid(message, fields={"best_available": {"section": [message]}})
    # One query: the hall's seats by section and category, for the depth of the request's rows
    # and for the sections' ranks.
    groups = list(
        Seat.objects.filter(section__hall_id=event.hall_id)
        .values("section_id", "section__position", "category")
        .annotate(
            first=Min("row_index"),
            last=Max("row_index"),
            seats=Count("id"),
            placed=Count("y"),
            x0=Min("x"),
            x1=Max("x"),
            y0=Min("y"),
            y1=Max("y"),
        )
        .order_by()
    )
    scoped = [
        group
        for group in groups
        if (section is None or group["section_id"] == section.pk)
        and (category is None or group["category"] == category)
    ]
    bounds = {
        "first": min((group["first"] for group in scoped), default=None),
        "last": max((group["last"] for group in scoped), default=None),
    }
    if category is not None and bounds["last"] is None:
        message = f"There are no {category!r} seats here."
        raise Invalid(message, fields={"best_available": {"category": [message]}})
    scope = _Scope(
        section=section,
        first_row=bounds["first"] or 0,
        last_row=bounds["last"],
        ranks=section_ranks(groups),
    )
    if len(_scopes) >= 1000:
        _scopes.clear()
    _scopes[key] = scope
    return scope


def hold_create_best_available(
    *,
    buyer: User,
    event: Event,
    count: int,
    category: str | None = None,
    section: str | None = None,
    together: bool = True,
    now: datetime | None = None,
) -> BestAvailableHold:
    """Hold the ``count`` best available seats of an on-sale event (the module's rule).

    Before any lock: ``count`` is within the per-hold maximum and the buyer's limit, the section
    and category exist (Invalid), the event is on sale (EventNotOnSale).
    Locks, in this order: the buyer's user row (FOR NO KEY UPDATE, as hold_create, so that the
    per-buyer limit holds), then, per attempt and inside a savepoint, the free seats of the
    best pick's row in pk order with SKIP LOCKED (never waits, except on the last read: bounded
    by the lock timeout). Checks under the locks: the buyer's limit; the best pick, ranked again
    with the seats found locked or taken, lies within the locked free seats (else the savepoint
    is rolled back, releasing them, and the next pick is tried). Writes (once): the Hold, one
    UPDATE of its seats, one INSERT of audit rows, through ``hold_claim`` like hold_create.
    Raises NoAdjacentSeats (409) when no block (or, with ``together=False``, not enough seats)
    is free, SeatLimitExceeded, EventNotOnSale, Invalid, and Busy when every attempt missed.
    """
    now = now or timezone.now()
    maximum = settings.TICKETING_MAX_SEATS_PER_HOLD
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= maximum:
        message = f"Ask for 1 to {maximum} seats."
        raise Invalid(message, fields={"best_available": {"count": [message]}})
    scope = _scope_validate(event=event, category=category, section_name=section)
    event_ensure_on_sale(event=event, now=now)
    limit = event_seat_limit(event)
    if count > limit:
        raise SeatLimitExceeded(limit)
    with transaction.atomic():
        if not lock_buyer(buyer=buyer):
            raise AccountDisabled()
        buyer_ensure_within_limit(buyer=buyer, event=event, count=count, now=now)
        attempts, wait, contended = 0, False, False
        rng = random.Random()
        for _ in range(MAX_READS):
            hall = _Seats(event=event, category=category, scope=scope, now=now)
            taken: set[int] = set()
            while attempts < MAX_ATTEMPTS:
                spread = SPREAD if contended else 1
                hall.ensure(count=count, taken=taken, spread=spread)
                pick, _adjacent = _best_pick(
                    hall.rows, count=count, together=together, taken=taken, spread=spread, rng=rng
                )
                if pick is None:
                    if not taken:
                        raise NoAdjacentSeats() if together else NoAdjacentSeats("Not enough seats are left.")
                    wait = True  # all that is left is being claimed by others: queue, bounded
                    break
                attempts += 1
                try:
                    return _claim(
                        buyer=buyer,
                        event=event,
                        rows=hall.rows,
                        pick=pick,
                        count=count,
                        together=together,
                        taken=taken,
                        now=now,
                        exact=not contended,
                        wait=wait,
                    )
                except _Missed as missed:
                    contended = contended or missed.contended
    raise Busy("The best seats are being taken right now; please retry.")


def _best_pick(
    rows: list[list[SeatSpot]],
    *,
    count: int,
    together: bool,
    taken: AbstractSet[int],
    spread: int = 1,
    rng: random.Random | None = None,
) -> tuple[Pick | None, bool]:
    if spread > 1 and rng is not None:
        block = block_near_best(rows, count=count, taken=taken, spread=spread, rng=rng)
    else:
        block = block_best(rows, count=count, taken=taken)
    if block is not None or together:
        return block, True
    return singles_ranked([spot for row in rows for spot in row], count=count, taken=taken), False
