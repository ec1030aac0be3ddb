"""The live seat stream (SPEC §8): committed seat changes turned into numbered messages per event
and handed to the GRIP proxy (Pushpin), which holds the subscribers' connections.

One run of a publisher (``stream_run``, command ``publish_seat_changes``):

1. One REPEATABLE READ transaction, so everything it reads is one snapshot. It locks the cursor
   row with SKIP LOCKED (``lock_stream_cursor``: another publisher's run holds it → this run
   skips its turn) and finds the seats changed since the previous run:

   - the audit rows committed since the previous run's snapshot. On PostgreSQL each audit row
     carries its transaction id (``txid``, set by the column's default); the rows to take are
     those not visible in the snapshot the previous run saved. Unlike "id greater than the last
     one", this never skips a row whose transaction took its id earlier and committed later,
     and never takes one twice. On SQLite writers are serialised, so audit ids are commit order
     and the last id read is the watermark;
   - the seats of holds that expired since the previous run (``expired_through``): an expiry
     changes the map with no write by anyone.

   It reads each such seat's effective status in the same snapshot (the expiry rule of
   ``Hold.is_live``), and for every event with changes appends a message numbered one after the
   event's last, with the ETag the anonymous map has in that snapshot. Then it saves the
   snapshot (or the audit id) and the expiry watermark. The watermark and the messages commit
   together: a crash before the commit leaves the watermark where it was, and the next run makes
   the same messages again; after it, nothing is read twice.

2. After the commit, the **leader** (the publisher holding the lease on the cursor row, renewed by
   each of its runs) pushes every message past ``published_seq``, in order, and records how far
   it got. Messages committed but not pushed (a crash, the proxy down) are pushed by the next
   run. Several publishers may run: one is the leader and pushes; the others take over when its
   lease runs out. Only around such a take-over, or a crash between a push and its record, can a
   message reach the proxy twice; a client ignores a number it has seen.

Each message lists the effective status of every seat that changed, not the steps, so a seat
held and released within one run is sent once with its final status, and applying messages
in order gives the map of the last one's snapshot.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F
from django.utils import timezone

from ticketing.locking import lock_stream_cursor
from ticketing.models import (
    Event,
    EventSeat,
    Hold,
    SeatAudit,
    SeatStream,
    SeatStreamCursor,
    SeatStreamMessage,
)
from ticketing.selectors.seat_map import seat_map_state
from ticketing.selectors.stream import sse_message, stream_channel

log = logging.getLogger(__name__)

#: Audit rows read per run at most; a bigger backlog (blocking a whole stand) takes a few runs.
AUDIT_BATCH = 20_000


def publisher_name() -> str:
    """This process's name as a leader: host, pid and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class StreamRun:
    """What one run did. ``skipped``: another publisher's run held the cursor, or leads."""

    messages: int = 0
    pushed: int = 0
    skipped: bool = False
    lag_seconds: float | None = None  # from the oldest change taken to its message's commit
    events: list[int] = field(default_factory=list)


def stream_run(*, pusher, me: str, now: datetime | None = None) -> StreamRun:
    """One publisher run: make the messages of the changes committed since the last run, then
    push what is not pushed yet (the leader only). ``pusher``: ``ticketing.stream_proxy``'s, or
    None (messages are kept for resuming, nothing is pushed)."""
    run = StreamRun()
    made = _make_messages(run, me=me, now=now)
    if made is None:  # skipped: not the leader, or another run holds the cursor
        run.skipped = True
        return run
    if pusher is not None:
        run.pushed = stream_push_pending(pusher)
    return run


def _make_messages(run: StreamRun, *, me: str, now: datetime | None) -> bool | None:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:  # a test's transaction: as it is
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        try:
            cursor_row = lock_stream_cursor()
        except DatabaseError as error:  # RR: the row changed since this snapshot (another run)
            if "could not serialize" not in str(error):
                raise
            return None
        if cursor_row is not None:
            now = now or timezone.now()
            if cursor_row.leader != me and cursor_row.lease_until and cursor_row.lease_until > now:
                return None  # another publisher leads
            _collect(run, cursor_row, now=now)
            cursor_row.leader = me
            cursor_row.lease_until = now + timedelta(seconds=settings.TICKETING_STREAM_LEASE_SECONDS)
            cursor_row.save()
            return True
        if SeatStreamCursor.objects.filter(pk=1).exists():
            return None  # another publisher's run holds it
    # A fresh database: the cursor row starts now, with nothing behind it (its first run reads
    # no audit, only remembers where it stands).
    SeatStreamCursor.objects.get_or_create(pk=1)
    return None


def _collect(run: StreamRun, cursor_row: SeatStreamCursor, *, now: datetime) -> None:
    """Inside the run's transaction: the changed seats → messages; advance the cursor."""
    changed: dict[int, set[int]] = defaultdict(set)  # event → seat ids
    oldest: datetime | None = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_snapshot()::text")
            snapshot = cursor.fetchone()[0]
            if cursor_row.snapshot:
                cursor.execute(
                    f"SELECT event_id, event_seat_id, at FROM {SeatAudit._meta.db_table}"  # noqa: S608
                    " WHERE txid >= pg_snapshot_xmin(%s::pg_snapshot)"
                    " AND NOT pg_visible_in_snapshot(txid, %s::pg_snapshot)",
                    [cursor_row.snapshot, cursor_row.snapshot],
                )
                for event_id, seat_id, at in cursor.fetchall():
                    changed[event_id].add(seat_id)
                    oldest = at if oldest is None or at < oldest else oldest
        cursor_row.snapshot = snapshot
    else:
        rows = list(
            SeatAudit.objects.filter(id__gt=cursor_row.audit_id)
            .order_by("id")
            .values_list("id", "event_id", "event_seat_id", "at")[:AUDIT_BATCH]
        )
        if not cursor_row.audit_id and not cursor_row.expired_through:
            rows = []  # the cursor's first run: start from here, nothing behind it
            cursor_row.audit_id = SeatAudit.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for audit_id, event_id, seat_id, at in rows:
            changed[event_id].add(seat_id)
            oldest = at if oldest is None or at < oldest else oldest
            cursor_row.audit_id = audit_id
    if cursor_row.expired_through is not None:
        expired = EventSeat.objects.filter(
            status=EventSeat.Status.HELD,
            hold__status=Hold.Status.ACTIVE,
            hold__expires_at__gt=cursor_row.expired_through,
            hold__expires_at__lte=now,
        ).values_list("event_id", "id", "hold__expires_at")
        for event_id, seat_id, expires_at in expired:
            changed[event_id].add(seat_id)
            oldest = expires_at if oldest is None or expires_at < oldest else oldest
    cursor_row.expired_through = now
    if changed:
        _append_messages(changed, now=now)
        run.messages = len(changed)
        run.events = sorted(changed)
        run.lag_seconds = (timezone.now() - oldest).total_seconds() if oldest else None
    cutoff = now - timedelta(seconds=settings.TICKETING_STREAM_RETAIN_SECONDS)
    SeatStreamMessage.objects.filter(at__lt=cutoff).delete()


def _append_messages(changed: dict[int, set[int]], *, now: datetime) -> None:
    seat_ids = [seat_id for seats in changed.values() for seat_id in seats]
    status: dict[int, str] = {}
    live = ExpressionWrapper(Hold.live_q(now, prefix="hold__"), output_field=BooleanField())
    for start in range(0, len(seat_ids), 5000):
        rows = (
            EventSeat.objects.filter(id__in=seat_ids[start : start + 5000])
            .annotate(live=live)
            .values_list("id", "status", "live")
        )
        for seat_id, seat_status, hold_live in rows:
            # the expiry rule (Hold.live_q): a seat of an expired hold is available
            expired = seat_status == EventSeat.Status.HELD and not hold_live
            status[seat_id] = EventSeat.Status.AVAILABLE if expired else seat_status
    events = Event.objects.in_bulk(list(changed))
    streams = SeatStream.objects.in_bulk(list(changed))
    messages, fresh, moved = [], [], []
    for event_id, seats in sorted(changed.items()):
        event = events.get(event_id)
        if event is None:
            continue
        etag = seat_map_state(event=event, user_id=None, now=now).etag
        stream = streams.get(event_id)
        if stream is None:
            stream = SeatStream(event_id=event_id)
            fresh.append(stream)
        else:
            moved.append(stream)
        stream.seq += 1
        stream.etag = etag
        changes = [[seat_id, status[seat_id]] for seat_id in sorted(seats) if seat_id in status]
        messages.append(
            SeatStreamMessage(event_id=event_id, seq=stream.seq, etag=etag, changes=changes, at=now)
        )
    SeatStream.objects.bulk_create(fresh)
    SeatStream.objects.bulk_update(moved, ["seq", "etag"])
    SeatStreamMessage.objects.bulk_create(messages)


def stream_push_pending(pusher) -> int:
    """Push, in order, every message past its stream's ``published_seq``; record how far each
    stream got. A push that fails stops that event's stream there (the next run goes on)."""
    pushed = 0
    for stream in SeatStream.objects.filter(seq__gt=F("published_seq")):
        messages = SeatStreamMessage.objects.filter(event_id=stream.event_id, seq__gt=stream.published_seq)
        done = stream.published_seq
        for message in messages.order_by("seq"):
            if message.seq != done + 1 and done:
                break  # purged meanwhile: a gap the clients see and re-read the map for
            try:
                pusher.push(
                    stream_channel(stream.event_id), sse_message(message.seq, message.etag, message.changes)
                )
            except Exception as error:  # the proxy down: the next run pushes from here
                log.warning(
                    "seat stream of event %s: push failed at %s: %s", stream.event_id, message.seq, error
                )
                break
            done = message.seq
            pushed += 1
        if done != stream.published_seq:
            SeatStream.objects.filter(pk=stream.pk, published_seq__lt=done).update(published_seq=done)
    return pushed
