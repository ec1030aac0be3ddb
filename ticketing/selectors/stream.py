"""Reads of the live seat stream (SPEC §8): a message's wire form, and what a (re)connecting
subscriber is sent before the proxy holds its connection."""

from __future__ import annotations

import orjson

from ticketing.models import Event, SeatStream, SeatStreamMessage
from ticketing.selectors.seat_map import seat_map_state

#: How long the browser waits before reconnecting a dropped stream (the SSE ``retry`` field).
RECONNECT_MS = 3000


def stream_channel(event_id: int) -> str:
    """The GRIP channel of an event's seat stream."""
    return f"seats-{event_id}"


def sse_message(seq: int, etag: str, changes: list, *, kind: str = "seats") -> str:
    """One Server-Sent Events message: ``id: <seq>``, ``event: seats`` (or ``reset``) and
    ``data: {"seq", "etag", "changes": [{"id", "status"}]}``."""
    data = {
        "seq": seq,
        "etag": etag,
        "changes": [{"id": seat_id, "status": status} for seat_id, status in changes],
    }
    return f"id: {seq}\nevent: {kind}\ndata: {orjson.dumps(data).decode()}\n\n"


def stream_opening(*, event: Event, last_event_id: str | None, now) -> str:
    """What a subscriber gets when it connects, before the live messages.

    First connection (no ``Last-Event-ID``): a ``seats`` message with no changes, giving the
    stream's number and ETag now, so the client knows where it stands. Resuming: the messages it
    missed, from those kept (``TICKETING_STREAM_RETAIN_SECONDS``); if they are not all kept any
    more, or the number is not one this stream gave, a ``reset``: the client re-reads the map.
    """
    stream = SeatStream.objects.filter(event=event).first()
    seq = stream.seq if stream else 0
    etag = stream.etag if stream and stream.etag else seat_map_state(event=event, user_id=None, now=now).etag
    opening = f"retry: {RECONNECT_MS}\n\n"
    last = _parse_id(last_event_id)
    if last is None:
        return opening + sse_message(seq, etag, [])
    if last == seq:
        return opening
    if last < seq:
        missed = list(
            SeatStreamMessage.objects.filter(event=event, seq__gt=last)
            .order_by("seq")
            .values_list("seq", "etag", "changes")
        )
        if missed and missed[0][0] == last + 1 and missed[-1][0] - last == len(missed):
            return opening + "".join(sse_message(n, tag, changes) for n, tag, changes in missed)
    return opening + sse_message(seq, etag, [], kind="reset")


def _parse_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return -1  # not one of ours: a reset
    return number if 0 <= number < 2**63 else -1
