"""The live seat stream's publisher (ticketing/services/stream.py) and what a subscriber is sent
(ticketing/selectors/stream.py): numbered messages with the anonymous map's ETag, expiries
included, nothing lost or reordered across a crash or a late commit, one leader pushing."""

from __future__ import annotations

import threading
from datetime import timedelta

import orjson
import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import UserFactory, on_sale_event
from tests.races.harness import race, requires_postgres
from tests.ticketing.helpers import after_expiry, booked, held, seat_ids
from ticketing.models import SeatStream, SeatStreamMessage
from ticketing.selectors.seat_map import seat_map_state
from ticketing.selectors.stream import stream_opening
from ticketing.services.holds import hold_create, holds_release
from ticketing.services.stream import stream_run

pytestmark = pytest.mark.django_db(transaction=True)


class FakePusher:
    def __init__(self, *, fail: bool = False) -> None:
        self.pushed: list[tuple[str, dict]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def push(self, channel: str, content: str) -> None:
        if self.fail:
            raise ConnectionError("proxy down")
        data = orjson.loads(content.split("data: ", 1)[1])
        with self.lock:
            self.pushed.append((channel, data))

    def seqs(self, event) -> list[int]:
        return [data["seq"] for channel, data in self.pushed if channel == f"seats-{event.pk}"]


def run(pusher=None, me="p1", now=None):
    return stream_run(pusher=pusher, me=me, now=now)


def started(pusher=None):
    """The cursor exists and stands now (a fresh database's first runs only set it up)."""
    run(pusher)
    run(pusher)


def messages(event) -> list[SeatStreamMessage]:
    return list(SeatStreamMessage.objects.filter(event=event).order_by("seq"))


def test_a_hold_becomes_one_numbered_message_with_the_anonymous_maps_etag():
    event, buyer, pusher = on_sale_event(), UserFactory(), FakePusher()
    started(pusher)
    ids = seat_ids(event, 2)
    held(buyer, event, ids)
    result = run(pusher)
    assert (result.messages, result.pushed) == (1, 1)
    (message,) = messages(event)
    assert message.seq == 1
    assert message.changes == [[ids[0], "held"], [ids[1], "held"]]
    assert message.etag == seat_map_state(event=event, user_id=None, now=timezone.now()).etag
    assert pusher.pushed == [
        (
            f"seats-{event.pk}",
            {"seq": 1, "etag": message.etag, "changes": [{"id": i, "status": "held"} for i in ids]},
        )
    ]
    assert run(pusher).messages == 0  # nothing changed: nothing sent


def test_changes_of_one_run_are_coalesced_to_each_seats_final_status_and_numbered_in_order():
    event, buyer, pusher = on_sale_event(), UserFactory(), FakePusher()
    started(pusher)
    a, b, c = seat_ids(event, 3)
    hold = held(buyer, event, [a, b])
    holds_release(hold_ids=[hold.id], actor=buyer)  # a and b: held then available, one run
    booked(buyer, event, [c])
    run(pusher)
    held(buyer, event, [a])
    run(pusher)
    first, second = messages(event)
    assert (first.seq, first.changes) == (1, [[a, "available"], [b, "available"], [c, "booked"]])
    assert (second.seq, second.changes) == (2, [[a, "held"]])
    assert pusher.seqs(event) == [1, 2]
    assert SeatStream.objects.get(event=event).published_seq == 2


def test_an_expiry_is_published_with_no_write_by_anyone():
    event, buyer, pusher = on_sale_event(), UserFactory(), FakePusher()
    started(pusher)
    (seat,) = seat_ids(event, 1)
    hold = held(buyer, event, [seat])
    run(pusher)
    assert run(pusher, now=hold.expires_at - timedelta(seconds=1)).messages == 0
    later = after_expiry(hold)
    run(pusher, now=later)
    last = messages(event)[-1]
    assert last.changes == [[seat, "available"]]
    assert last.etag == seat_map_state(event=event, user_id=None, now=later).etag
    assert run(pusher, now=later + timedelta(seconds=1)).messages == 0  # published once


def test_a_crash_before_the_commit_loses_nothing(monkeypatch):
    event, buyer, pusher = on_sale_event(), UserFactory(), FakePusher()
    started(pusher)
    (seat,) = seat_ids(event, 1)
    held(buyer, event, [seat])
    import ticketing.services.stream as stream

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(stream, "_append_messages", crash)
    with pytest.raises(RuntimeError):
        run(pusher)
    monkeypatch.undo()
    run(pusher)  # the watermark did not move: the same change, once
    assert [(m.seq, m.changes) for m in messages(event)] == [(1, [[seat, "held"]])]
    assert pusher.seqs(event) == [1]


def test_messages_the_proxy_did_not_take_are_pushed_by_the_next_run_in_order():
    event, buyer = on_sale_event(), UserFactory()
    down, up = FakePusher(fail=True), FakePusher()
    started(up)
    a, b = seat_ids(event, 2)
    held(buyer, event, [a])
    run(down)
    held(buyer, event, [b])
    run(down)
    assert SeatStream.objects.get(event=event).published_seq == 0
    run(up)
    assert up.seqs(event) == [1, 2]
    assert SeatStream.objects.get(event=event).published_seq == 2


def test_only_the_leader_publishes_until_its_lease_runs_out(settings):
    settings.TICKETING_STREAM_LEASE_SECONDS = 10
    event, buyer, pusher = on_sale_event(), UserFactory(), FakePusher()
    started(pusher)
    a, b = seat_ids(event, 2)
    held(buyer, event, [a])
    assert run(pusher, me="p1").messages == 1
    held(buyer, event, [b])
    assert run(pusher, me="p2").skipped  # p1 leads
    taken_over = run(pusher, me="p2", now=timezone.now() + timedelta(seconds=11))
    assert taken_over.messages == 1 and not taken_over.skipped
    assert run(pusher, me="p1").skipped  # p2 leads now
    assert pusher.seqs(event) == [1, 2]


def test_a_subscriber_is_told_where_the_stream_stands_and_resumes_from_what_is_kept():
    event, buyer, pusher = on_sale_event(), UserFactory(), FakePusher()
    started(pusher)
    a, b = seat_ids(event, 2)
    now = timezone.now()
    opening = stream_opening(event=event, last_event_id=None, now=now)
    assert "id: 0\nevent: seats\n" in opening
    held(buyer, event, [a])
    run(pusher)
    held(buyer, event, [b])
    run(pusher)
    resumed = stream_opening(event=event, last_event_id="1", now=now)
    assert "id: 1\n" not in resumed and "id: 2\nevent: seats\n" in resumed
    assert stream_opening(event=event, last_event_id="2", now=now) == "retry: 3000\n\n"
    SeatStreamMessage.objects.filter(event=event, seq=1).delete()  # purged
    assert "event: reset" in stream_opening(event=event, last_event_id="0", now=now)
    assert "event: reset" in stream_opening(event=event, last_event_id="99", now=now)
    assert "event: reset" in stream_opening(event=event, last_event_id="junk", now=now)


@requires_postgres
def test_a_change_committed_after_a_later_one_is_not_skipped():
    """The watermark is a snapshot, not an id: a transaction that wrote its audit row first and
    commits last is still published (an "id > last id" watermark skips it for good)."""
    event, pusher = on_sale_event(), FakePusher()
    early, late = UserFactory(), UserFactory()
    started(pusher)
    a, b = seat_ids(event, 2)
    written, release = threading.Event(), threading.Event()

    def slow_hold():
        try:
            with transaction.atomic():
                hold_create(buyer=early, event=event, seat_ids=[a])  # audit id taken now
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_hold)
    thread.start()
    assert written.wait(10)
    held(late, event, [b])  # a higher audit id, committed first
    run(pusher)
    release.set()
    thread.join(10)
    run(pusher)
    assert [m.changes for m in messages(event)] == [[[b, "held"]], [[a, "held"]]]


@requires_postgres
def test_several_publishers_at_once_push_every_message_exactly_once():
    event, pusher = on_sale_event(hall=None), FakePusher()
    buyers = [UserFactory() for _ in range(6)]
    started(pusher)
    ids = seat_ids(event)
    stop = threading.Event()
    left = [6]
    counting = threading.Lock()

    def publisher(name):
        def work():
            while not stop.is_set():
                stream_run(pusher=pusher, me=name)
            return "ok"

        return work

    def buyer(index):
        def work():
            for seat in ids[index::6]:
                hold_create(buyer=buyers[index], event=event, seat_ids=[seat])
            with counting:
                left[0] -= 1
                if not left[0]:
                    stop.set()
            return "ok"

        return work

    result = race([publisher(f"p{n}") for n in range(3)] + [buyer(n) for n in range(6)], timeout=60)
    assert all(r == "ok" for r in result.results), result.results
    run(pusher, me="p0", now=timezone.now() + timedelta(minutes=1))  # whoever led: all pushed
    seqs = pusher.seqs(event)
    assert seqs == list(range(1, len(seqs) + 1))  # each once, in order
    final = {}
    for _, data in pusher.pushed:
        final.update({change["id"]: change["status"] for change in data["changes"]})
    assert final == dict.fromkeys(ids, "held")
