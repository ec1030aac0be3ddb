"""The seat map: every seat of an event with its effective status, built for a 40,000-seat rush.

A map has two parts that change at very different rates:

- the **layout** of each seat (id, section, row, number, category, price, accessible) never
  changes under an event: a hall's layout cannot be replaced once an event uses it, and prices
  change only through ``event_update``, which moves ``event.updated_at``. It is rendered once
  per process into one JSON fragment per seat (``SeatMapLayout``), kept in a small LRU keyed by
  (event id, created_at, updated_at). It is derived data: a cold process rebuilds it with one
  query, so nothing the map shows lives only in process memory;
- the **state**: one query returns only the seats that are *not* available at ``now`` (held by
  a live hold, booked, blocked), with the caller's ``mine`` flag. A seat of an expired hold is
  left out, i.e. available, with no sweeper.

The ETag is a hash of the layout key, the caller and that state: it changes exactly when the
map this caller would see changes, including when a hold expires with no write at all, and it
costs one indexed query (``event_seat_taken_idx`` holds only the seats that are not available).

The **summary** (``seat_map_summary``) is what an overview needs of a big event before any seat:
per section its seats, its counts by status, the available seats by category, the available
wheelchair spaces and the lowest price still available. It comes from the same layout and state
(the layout knows each seat's section and category; the state subtracts the taken seats), about
150 bytes per section instead of about 115 per seat: a phone draws a 40,000-seat overview from
3 kB while the whole map (250 kB compressed) is still on its way.
A 304 therefore runs two queries (the event, the state); a full map the same two when the
layout is cached, plus prices and layout rows (once per process and event) when it is not.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson
from django.db import connection

from config.errors import Invalid
from ticketing.locking import hold_live_sql
from ticketing.models import Event, EventSeat, Hold

Status = EventSeat.Status

AVAILABLE_STATUS = b'"status":"available"'
MINE = b',"mine":true'
LAYOUT_CACHE_SEATS = 200_000  # per process: about 30 MB of rendered fragments
BODY_CACHE_ENTRIES = 8  # maps with no "mine" seat (and summaries) are the same for every caller
GZIP_LEVEL = 1  # the cheapest level: a 40k map is 251 KB instead of 240 KB at level 5
GZIP_MIN_BYTES = 1024


@dataclass(frozen=True)
class SeatMapLayout:
    """The seats of an event in map order, each rendered as its JSON object when available."""

    key: bytes
    head: bytes  # '{"event":…,"sections":[…],"seats":['
    ids: list[int]  # sorted: pk order is map order
    available: list[bytes]  # '{"id":…,"status":"available"[,"accessible":true]}' per seat
    # section id -> (first index, end index, head of that section's map): a section's seats are
    # contiguous in map order (inventory_create numbers them section by section)
    sections: dict[int, tuple[int, int, bytes]]
    # for the summary: per seat (map order) its section id, category and wheelchair flag; per
    # section (layout order) its name and its seats by category
    seat_sections: list[int]
    seat_categories: list[str]
    seat_accessible: list[bool]
    section_totals: dict[int, tuple[str, dict[str, int], int]]  # id -> (name, {category: seats}, wheelchair)
    section_boxes: dict[int, tuple[float, float, float, float]]  # id -> plan box of its placed seats
    prices: dict[str, str]

    def seat(self, index: int, status: str, mine: bool) -> bytes:
        fragment = self.available[index]
        cut = fragment.rindex(AVAILABLE_STATUS)
        rendered = b'"status":"' + status.encode() + (b'"' + MINE if mine else b'"')
        return fragment[:cut] + rendered + fragment[cut + len(AVAILABLE_STATUS) :]


@dataclass(frozen=True)
class SeatMapState:
    """What a caller sees at ``now`` beyond the layout: the seats that are not available."""

    event: Event
    layout_key: bytes
    taken: list[tuple[int, str, bool]]  # (event seat id, effective status, mine), in id order
    digest: bytes  # of the layout key and the taken seats: the same for every caller without "mine"
    etag: str
    section: int | None = None  # the map of one section only

    @property
    def shared(self) -> bool:
        return not any(mine for _, _, mine in self.taken)


class _Lru:
    """A tiny thread-safe LRU (gthread workers share a process) bounded by a weight."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.weight = capacity, 0
        self.items: OrderedDict[bytes, tuple[int, object]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: bytes):
        with self.lock:
            item = self.items.get(key)
            if item is None:
                return None
            self.items.move_to_end(key)
            return item[1]

    def put(self, key: bytes, value: object, weight: int = 1) -> None:
        with self.lock:
            if key in self.items:
                return
            self.items[key] = (weight, value)
            self.weight += weight
            while self.weight > self.capacity and len(self.items) > 1:
                _, (old_weight, _) = self.items.popitem(last=False)
                self.weight -= old_weight

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.weight = 0


_layouts = _Lru(LAYOUT_CACHE_SEATS)
_bodies = _Lru(BODY_CACHE_ENTRIES)
_summaries = _Lru(BODY_CACHE_ENTRIES)  # apart, so that summaries do not push maps out


def seat_map_layout_key(event: Event) -> bytes:
    return f"{event.pk}:{event.created_at.isoformat()}:{event.updated_at.isoformat()}".encode()


def seat_map_layout(event: Event) -> SeatMapLayout:
    """The event's rendered layout, from the process cache or built with two queries."""
    key = seat_map_layout_key(event)
    layout = _layouts.get(key)
    if layout is None:
        layout = _layout_build(event, key)
        _layouts.put(key, layout, weight=max(1, len(layout.ids)))
    return layout


def _layout_build(event: Event, key: bytes) -> SeatMapLayout:
    prices = {category: str(amount) for category, amount in event.prices.values_list("category", "amount")}
    rows = (
        EventSeat.objects.filter(event=event)
        .order_by("id")
        .values_list(
            "id",
            "seat__section_id",
            "seat__section__name",
            "seat__row_label",
            "seat__number",
            "seat__category",
            "seat__accessible",
            "seat__x",
            "seat__y",
        )
    )
    sections: dict[int, dict[str, object]] = {}
    spans: dict[int, list[int]] = {}  # section id -> [first index, end index]
    scattered: set[int] = set()  # sections whose seats are not contiguous (not made by inventory_create)
    ids: list[int] = []
    available: list[bytes] = []
    seat_sections: list[int] = []
    seat_categories: list[str] = []
    seat_accessible: list[bool] = []
    totals: dict[int, tuple[str, dict[str, int], list[int]]] = {}
    boxes: dict[int, list[float]] = {}  # section id -> [min x, min y, max x, max y] of placed seats
    for seat_id, section_id, section, row, number, category, accessible, x, y in rows.iterator(
        chunk_size=5000
    ):
        if section_id not in sections:
            sections[section_id] = {"id": section_id, "name": section}
            spans[section_id] = [len(ids), len(ids)]
            totals[section_id] = (section, {}, [0])
        elif spans[section_id][1] != len(ids):
            scattered.add(section_id)
        spans[section_id][1] = len(ids) + 1
        seat = {
            "id": seat_id,
            "section": section,
            "row": row,
            "number": number,
            "category": category,
            "price": prices.get(category),
            "status": Status.AVAILABLE.value,
        }
        if accessible:
            seat["accessible"] = True
        if x is not None and y is not None:
            # whole numbers as integers: "x":-25 rather than -25.0, 4 bytes a seat of a big map
            x, y = (int(v) if v.is_integer() else v for v in (float(x), float(y)))
            seat["x"], seat["y"] = x, y
            box = boxes.setdefault(section_id, [x, y, x, y])
            box[:] = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
        ids.append(seat_id)
        available.append(orjson.dumps(seat))
        seat_sections.append(section_id)
        seat_categories.append(sys.intern(category))  # one string per category, not per seat
        seat_accessible.append(bool(accessible))
        by_category = totals[section_id][1]
        by_category[category] = by_category.get(category, 0) + 1
        totals[section_id][2][0] += int(bool(accessible))

    def head_of(listed: list[dict[str, object]]) -> bytes:
        return orjson.dumps({"event": event.pk, "sections": listed})[:-1] + b',"seats":['

    return SeatMapLayout(
        key=key,
        head=head_of(list(sections.values())),
        ids=ids,
        available=available,
        sections={
            sid: (first, end, head_of([sections[sid]]))
            for sid, (first, end) in spans.items()
            if sid not in scattered
        },
        seat_sections=seat_sections,
        seat_categories=seat_categories,
        seat_accessible=seat_accessible,
        section_totals={
            sid: (name, by_category, wheelchair[0]) for sid, (name, by_category, wheelchair) in totals.items()
        },
        section_boxes={sid: tuple(box) for sid, box in boxes.items()},
        prices=prices,
    )


_LIVE = hold_live_sql("h", active="%(active)s", now="%(now)s")
_STATE_SQL = f"""
    SELECT es.id AS id, es.status AS status,
           (es.status = %(held)s AND {_LIVE} AND h.buyer_id = %(user)s) AS mine
      FROM {EventSeat._meta.db_table} es LEFT JOIN {Hold._meta.db_table} h ON h.id = es.hold_id
     WHERE es.event_id = %(event)s AND es.status <> %(available)s
       AND es.id BETWEEN %(first)s AND %(last)s
       AND (es.status <> %(held)s OR ({_LIVE}))
     ORDER BY es.id
"""  # noqa: S608 - table names come from model metadata, values are parameters


def seat_map_state(
    *, event: Event, user_id: int | None, now: datetime, section: int | None = None
) -> SeatMapState:
    """The seats that are not available at ``now``, and the ETag of the caller's map. One query.

    The effective status is decided in the query: a held seat counts only while its hold is
    live (``hold_live_sql``, the expiry rule of ticketing/locking.py), so a seat of an expired
    hold is simply not in the result (available). Hand-written: it runs on every map request
    and 304, and the ORM spent more CPU building it than the database running it (DESIGN.md §8:
    a 304 8.5 -> 4.3 ms of CPU); measured again in process on PostgreSQL, 200 calls, best of 5,
    back to back on the shared 2-core box (load 5-9), two runs: this statement 0.66-1.76 ms, its
    ORM form 4.33-9.25 ms.
    ``es.status <> 'available'`` is the predicate of event_seat_taken_idx: the statuses are
    parameters, and psycopg binds them client-side, so PostgreSQL plans with the literal and
    uses the partial index.
    ``section``: the map of that section only (Invalid if the hall has no such section): its
    seats are one id range, and its ETag changes only when one of them does.
    """
    first, last = 0, 2**63 - 1
    if section is not None:
        layout = seat_map_layout(event)
        if section not in layout.sections:
            message = f"This event has no map of section {section}."
            raise Invalid(message, fields={"section": [message]})
        start, end, _ = layout.sections[section]
        first, last = layout.ids[start], layout.ids[end - 1]
    params = {
        "active": Hold.Status.ACTIVE,
        "available": Status.AVAILABLE,
        "held": Status.HELD,
        "now": connection.ops.adapt_datetimefield_value(now),
        "user": user_id if user_id is not None else -1,
        "event": event.pk,
        "first": first,
        "last": last,
    }
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, params)
        # by column name, resolved once: no dict per row (a 40k on-sale map has thousands)
        column = {name: index for index, (name, *_) in enumerate(cursor.description)}
        seat_id, status, mine = column["id"], column["status"], column["mine"]
        taken = [(row[seat_id], row[status], bool(row[mine])) for row in cursor.fetchall()]
    layout_key = seat_map_layout_key(event)
    scope = b"" if section is None else f"|section {section}".encode()
    digest = hashlib.blake2b(layout_key + scope + b"|" + orjson.dumps(taken), digest_size=16).digest()
    etag = hashlib.blake2b(digest + f"|{user_id}".encode(), digest_size=12).hexdigest()
    return SeatMapState(
        event=event, layout_key=layout_key, taken=taken, digest=digest, etag=f'"{etag}"', section=section
    )


def seat_map_render(state: SeatMapState, *, gzip_ok: bool) -> tuple[bytes, bool]:
    """The map as JSON bytes, gzip-compressed when the caller accepts it and it is worth it.

    ``{"event", "sections": [{"id", "name"}], "seats": [{"id", "section", "row", "number",
    "category", "price", "status", "mine"?, "accessible"?, "x"?, "y"?}]}`` in map order (x and y
    where the layout places the seat on the hall's plan). Maps without a
    ``mine`` seat are identical for every caller and shared through a small cache.
    Returns (body, whether it is gzip-compressed).
    """
    cache_key = state.digest + (b"|gz" if gzip_ok else b"|json")
    cached = _bodies.get(cache_key) if state.shared else None
    if cached is not None:
        return cached
    layout = seat_map_layout(state.event)
    start, end, head = (0, len(layout.ids), layout.head)
    if state.section is not None:
        start, end, head = layout.sections[state.section]
    pieces = layout.available[start:end]
    ids = layout.ids
    for seat_id, status, mine in state.taken:
        index = bisect_left(ids, seat_id, start, end)
        if index < end and ids[index] == seat_id:
            pieces[index - start] = layout.seat(index, status, mine)
    body = head + b",".join(pieces) + b"]}"
    result = (body, False)
    if gzip_ok and len(body) > GZIP_MIN_BYTES:
        result = (gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), True)
    if state.shared:
        _bodies.put(cache_key, result)
    return result


def seat_map_get(*, event: Event, user_id: int | None, now: datetime, section: int | None = None) -> dict:
    """The map as a dict (for callers that want Python objects rather than bytes)."""
    state = seat_map_state(event=event, user_id=user_id, now=now, section=section)
    return orjson.loads(seat_map_render(state, gzip_ok=False)[0])


def seat_map_summary_etag(state: SeatMapState) -> str:
    """The summary's ETag: of the state, never equal to a map's (the two are different bodies)."""
    return '"summary-' + state.etag.strip('"') + '"'


def seat_map_summary(state: SeatMapState, *, gzip_ok: bool) -> tuple[bytes, bool]:
    """The overview of the map: per section, its counts, what is left by category, and from what price.

    ``{"event", "sections": [{"id", "name", "total", "available", "held", "booked", "blocked",
    "left": {category: available seats}, "accessible_left", "accessible_total", "from_price",
    "box"}]}`` in layout
    order; ``from_price`` is the lowest price of an available seat (null when none is), ``box``
    the section's [min x, min y, max x, max y] on the hall's plan (null if its seats have no
    x/y). Built from the
    cached layout and ``state`` (one pass over the taken seats), so it costs what a map request
    costs minus the rendering; shared by every caller with the same state.
    Returns (body, whether it is gzip-compressed).
    """
    cache_key = state.digest + (b"|summary gz" if gzip_ok else b"|summary json")
    cached = _summaries.get(cache_key)
    if cached is not None:
        return cached
    layout = seat_map_layout(state.event)
    left = {sid: dict(by_category) for sid, (_, by_category, _) in layout.section_totals.items()}
    wheelchair = {sid: count for sid, (_, _, count) in layout.section_totals.items()}
    taken = {sid: {Status.HELD.value: 0, Status.BOOKED.value: 0, Status.BLOCKED.value: 0} for sid in left}
    ids = layout.ids
    for seat_id, status, _ in state.taken:
        index = bisect_left(ids, seat_id)
        if index < len(ids) and ids[index] == seat_id:
            sid = layout.seat_sections[index]
            left[sid][layout.seat_categories[index]] -= 1
            taken[sid][status] += 1
            wheelchair[sid] -= layout.seat_accessible[index]
    sections = []
    for sid, (name, by_category, wheelchair_total) in layout.section_totals.items():
        prices = [layout.prices[c] for c, n in left[sid].items() if n and layout.prices.get(c) is not None]
        sections.append(
            {
                "id": sid,
                "name": name,
                "total": sum(by_category.values()),
                "available": sum(left[sid].values()),
                **taken[sid],
                "left": left[sid],
                "accessible_left": wheelchair[sid],
                "accessible_total": wheelchair_total,
                "from_price": min(prices, key=Decimal) if prices else None,
                "box": layout.section_boxes.get(sid),
            }
        )
    body = orjson.dumps({"event": state.event.pk, "sections": sections})
    result = (body, False)
    if gzip_ok and len(body) > GZIP_MIN_BYTES:
        result = (gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), True)
    _summaries.put(cache_key, result)
    return result
