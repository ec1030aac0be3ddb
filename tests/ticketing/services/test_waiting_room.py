"""The waiting room's line (services/waiting_room.py over ticketing/waiting_line.py), on a real
Redis (db 7): fairness at opening, arrival order after, the staff-set rate, one place per buyer,
passes, a Redis restart, the sold-out hint."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from config.authentication import user_from_claims
from config.errors import Invalid, NotFound, QueuePassInvalid, QueuePassRequired
from tests.factories import on_sale_event
from ticketing import waiting_line
from ticketing.models import Event, EventSeat
from ticketing.services import waiting_room as wr
from ticketing.services.waiting_room import (
    queue_pass_check,
    queue_pass_sign,
    waiting_room_join,
    waiting_room_poll,
    waiting_room_validate,
)

pytestmark = pytest.mark.django_db


def with_waiting_room(event: Event, *, opens_at: datetime, per_minute: int) -> Event:
    """Set in the row only (no save signal): the first visit mirrors it from the database."""
    Event.objects.filter(pk=event.pk).update(
        waiting_room_opens_at=opens_at, waiting_room_admit_per_minute=per_minute
    )
    event.refresh_from_db()
    return event


@pytest.fixture
def opens_at():
    return (timezone.now() + timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def room(queue_redis, opens_at):
    """An on-sale event whose waiting room opens in an hour and lets 60 buyers a minute through."""
    return with_waiting_room(on_sale_event(), opens_at=opens_at, per_minute=60)


def buyer(number: int):
    return user_from_claims(10_000 + number)  # the line needs only the id: no user row


def join(event, number, now):
    return waiting_room_join(event_id=event.pk, buyer=buyer(number), now=now)


def place_of(answer) -> int:
    """0-based place in the line, from a poll after opening."""
    return 0 if answer.status == "admitted" else answer.position


# --- shapes ------------------------------------------------------------------------------


def test_before_opening_says_how_many_wait_and_when_it_opens(room, opens_at):
    first = join(room, 1, opens_at - timedelta(minutes=10))
    second = join(room, 2, opens_at - timedelta(minutes=5))
    assert second.status == "waiting" and second.opened is False
    assert second.position is None and second.ahead is None  # places are drawn at opening
    assert second.waiting == 2 and second.opens_at == opens_at
    assert second.estimated_wait_s == 300
    assert first.token != second.token and first.pass_ is None


def test_joining_twice_keeps_the_place_and_the_token(room, opens_at):
    now = opens_at + timedelta(seconds=1)
    for number in range(5):
        join(room, number, now)
    again = join(room, 3, now + timedelta(seconds=1))
    assert again.token == join(room, 3, now).token
    assert waiting_line.client().zcard(waiting_line.key(room.pk, "line")) == 5


def test_no_waiting_room_is_not_found(queue_redis):
    event = on_sale_event()
    with pytest.raises(NotFound):
        waiting_room_join(event_id=event.pk, buyer=buyer(1))


def test_a_draft_has_no_line(queue_redis, opens_at):
    draft = with_waiting_room(on_sale_event(status=Event.Status.DRAFT), opens_at=opens_at, per_minute=10)
    with pytest.raises(NotFound):
        waiting_room_join(event_id=draft.pk, buyer=buyer(1))


# --- fairness ------------------------------------------------------------------------------


def test_early_joiners_get_a_random_order_at_opening_and_late_ones_queue_behind(room, opens_at, monkeypatch):
    # given: 30 buyers before opening (a seeded draw), then 10 after it, one a second apart
    monkeypatch.setattr(wr, "rng", random.Random(1234))
    early, late = list(range(30)), list(range(100, 110))
    for number in early:
        join(room, number, opens_at - timedelta(minutes=30) + timedelta(seconds=number))
    for i, number in enumerate(late):
        join(room, number, opens_at + timedelta(seconds=0.1 + i * 0.01))
    # when: everyone polls just after opening (only place 0 is admitted yet)
    at = opens_at + timedelta(seconds=0.5)
    places = {
        number: place_of(waiting_room_poll(event_id=room.pk, token=join(room, number, at).token, now=at))
        for number in early + late
    }
    # then: the early ones hold places 0-29 in the seeded draw's order, not in their join order
    draw = random.Random(1234)
    scores = {number: draw.random() for number in early}
    assert sorted(early, key=lambda n: places[n]) == sorted(early, key=scores.get)
    assert sorted(early, key=lambda n: places[n]) != early
    assert sorted(places[n] for n in early) == list(range(30))
    # and the late ones follow, in arrival order
    assert [places[n] for n in late] == list(range(30, 40))


def test_nobody_starves_each_place_is_admitted_by_its_time(room, opens_at):
    # given: 60 a minute is one a second; 20 early buyers and 5 late ones
    tokens = {n: join(room, n, opens_at - timedelta(minutes=1)).token for n in range(20)}
    tokens |= {n: join(room, n, opens_at + timedelta(seconds=1)).token for n in range(20, 25)}
    # when / then: place p is waiting just before opens_at + p seconds and admitted at it
    seen = {}
    for second in range(26):
        at = opens_at + timedelta(seconds=second)
        for n in range(25):
            answer = waiting_room_poll(event_id=room.pk, token=tokens[n], now=at)
            if answer.status == "admitted" and n not in seen:
                seen[n] = second
            if answer.status == "waiting":
                assert answer.estimated_wait_s >= 1
    assert sorted(seen.values()) == list(range(25))  # one a second, everybody by second 24


def test_the_wait_estimate_is_the_admission_time(room, opens_at):
    for number in range(10):
        join(room, number, opens_at - timedelta(minutes=1))
    at = opens_at + timedelta(seconds=2.5)  # places 0, 1, 2 admitted
    answers = [waiting_room_poll(event_id=room.pk, token=join(room, n, at).token, now=at) for n in range(10)]
    waiting = sorted((a for a in answers if a.status == "waiting"), key=lambda a: a.position)
    assert sum(a.status == "admitted" for a in answers) == 3
    assert [(a.position, a.ahead, a.estimated_wait_s) for a in waiting] == [
        (p, p - 1, p) for p in range(1, 8)
    ]
    assert all(a.waiting == 7 for a in answers)


def test_a_lull_saves_no_credit_for_a_burst(room, opens_at):
    # given: the line opened an hour ago and nobody came (3,600 places of "credit" at 60/min)
    later = opens_at + timedelta(hours=1)
    # when: 5 buyers arrive at once
    answers = [join(room, number, later) for number in range(5)]
    # then: the first goes through at once, the others one a second after
    assert [a.status for a in answers] == ["admitted", "waiting", "waiting", "waiting", "waiting"]
    assert [a.estimated_wait_s for a in answers[1:]] == [1, 2, 3, 4]


def test_a_new_rate_applies_from_now_on(room, opens_at):
    for number in range(20):
        join(room, number, opens_at - timedelta(minutes=1))
    at = opens_at + timedelta(seconds=4.5)  # places 0-4 admitted at 60/min
    # when: staff lower the rate to 6 a minute (one every 10 s); the save's commit mirrors it
    room = with_waiting_room(room, opens_at=opens_at, per_minute=6)
    wr.waiting_room_mirror(event=room, now=at)
    tokens = [join(room, n, at).token for n in range(20)]
    admitted = sum(waiting_room_poll(event_id=room.pk, token=t, now=at).status == "admitted" for t in tokens)
    later = at + timedelta(seconds=10)
    admitted_later = sum(
        waiting_room_poll(event_id=room.pk, token=t, now=later).status == "admitted" for t in tokens
    )
    # then: the five already through stay through, and one more comes each 10 s
    assert (admitted, admitted_later) == (5, 6)


# --- one place, one admission ------------------------------------------------------------


def test_concurrent_joins_of_one_buyer_make_one_place(room, opens_at):
    barrier, tokens, errors = threading.Barrier(8), [], []

    def worker():
        try:
            barrier.wait()
            tokens.append(join(room, 7, opens_at + timedelta(seconds=3)).token)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    join(room, 1, opens_at + timedelta(seconds=1))  # the line exists (mirrored) before the race
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(tokens)) == 1
    assert waiting_line.client().zcard(waiting_line.key(room.pk, "line")) == 2


def test_an_admitted_buyer_polling_again_gets_the_same_pass_and_one_admission(room, opens_at):
    from config.metrics import QUEUE_ADMISSIONS

    counter = QUEUE_ADMISSIONS.labels(str(room.pk))
    before = counter._value.get()
    token = join(room, 1, opens_at + timedelta(seconds=1)).token
    answers = [
        waiting_room_poll(event_id=room.pk, token=token, now=opens_at + timedelta(seconds=s))
        for s in (1, 30, 60)
    ]
    assert {a.status for a in answers} == {"admitted"}
    assert len({a.pass_ for a in answers}) == 1
    assert answers[0].pass_expires_at == opens_at + timedelta(seconds=1, minutes=15)
    assert counter._value.get() - before == 1
    # the next buyer is not let through on the first one's slot
    second = join(room, 2, opens_at + timedelta(seconds=1.5))
    assert second.status == "waiting" and second.position == 1


def test_a_pass_that_ran_out_sends_its_buyer_to_the_back_and_admits_nobody_early(room, opens_at, settings):
    settings.TICKETING_QUEUE_PASS_MINUTES = 1
    for number in range(100):
        join(room, number, opens_at - timedelta(minutes=1))
    first = next(
        n
        for n in range(100)
        if waiting_room_poll(event_id=room.pk, token=join(room, n, opens_at).token, now=opens_at).status
        == "admitted"
    )
    at = opens_at + timedelta(seconds=61.5)  # places 0-61 admitted; the first pass ran out at 60 s
    answer = waiting_room_poll(event_id=room.pk, token=join(room, first, opens_at).token, now=at)
    assert answer.status == "waiting" and answer.pass_expired is True
    assert answer.position == 100 - 61  # behind everyone still waiting
    admitted = sum(
        waiting_room_poll(event_id=room.pk, token=join(room, n, at).token, now=at).status == "admitted"
        for n in range(100)
        if n != first
    )
    assert admitted == 61  # 62 places through in all, minus the one whose pass ran out


# --- a Redis restart ------------------------------------------------------------------------


def test_a_redis_restart_requeues_the_waiting_and_keeps_passes_valid(room, opens_at):
    admitted = join(room, 1, opens_at + timedelta(seconds=1))
    waiting = join(room, 2, opens_at + timedelta(seconds=1))
    assert admitted.status == "admitted" and waiting.status == "waiting"
    # when: Redis restarts without persistence
    waiting_line.line_flush_all()
    # then: the pass still works, from its signature alone
    at = opens_at + timedelta(seconds=2)
    queue_pass_check(event=room, buyer_id=buyer(1).pk, value=admitted.pass_, now=at)
    # and the waiting buyer is queued again, told so, with a token of the new line
    again = waiting_room_poll(event_id=room.pk, token=waiting.token, now=at)
    assert again.requeued is True and again.token != waiting.token
    assert waiting_room_poll(event_id=room.pk, token=again.token, now=at).requeued is False


def test_the_settings_come_back_from_the_database_after_a_restart(room, opens_at):
    join(room, 1, opens_at)
    waiting_line.line_flush_all()
    answer = join(room, 2, opens_at + timedelta(seconds=30))
    assert answer.admit_per_minute == 60 and answer.opens_at == opens_at


# --- the pass ------------------------------------------------------------------------------


def test_pass_checks(room, opens_at):
    now = opens_at + timedelta(minutes=1)
    good = queue_pass_sign(event_id=room.pk, buyer_id=5, expires=int(now.timestamp()) + 60)
    queue_pass_check(event=room, buyer_id=5, value=good, now=now)
    with pytest.raises(QueuePassRequired):
        queue_pass_check(event=room, buyer_id=5, value=None, now=now)
    refused = {
        "another buyer's": (good, 6, room),
        "expired": (queue_pass_sign(event_id=room.pk, buyer_id=5, expires=int(now.timestamp())), 5, room),
        "forged": (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), 5, room),
        "another event's": (queue_pass_sign(event_id=room.pk + 1, buyer_id=5, expires=10**10), 5, room),
        "a token, not a pass": (wr.queue_token_sign(event_id=room.pk, buyer_id=5, epoch="ab"), 5, room),
        "garbage": ("p1.1.2.3", 5, room),
    }
    for name, (value, buyer_id, event) in refused.items():
        with pytest.raises(QueuePassInvalid):
            queue_pass_check(event=event, buyer_id=buyer_id, value=value, now=now)
            pytest.fail(name)


def test_without_a_waiting_room_any_pass_is_ignored(db):
    event = on_sale_event()
    queue_pass_check(event=event, buyer_id=1, value=None, now=timezone.now())
    queue_pass_check(event=event, buyer_id=1, value="anything", now=timezone.now())


def test_a_token_of_another_event_or_forged_is_invalid(room, opens_at):
    token = join(room, 1, opens_at).token
    with pytest.raises(Invalid):
        waiting_room_poll(event_id=room.pk + 1, token=token)
    with pytest.raises(Invalid):
        parts = token.split(".")
        parts[2] = str(int(parts[2]) + 1)  # another buyer, the signature kept
        waiting_room_poll(event_id=room.pk, token=".".join(parts))
    with pytest.raises(Invalid):
        waiting_room_poll(event_id=room.pk, token=None)


# --- staff settings, the sold-out hint -----------------------------------------------------


def test_settings_validation(queue_redis, settings, opens_at):
    now = timezone.now()
    waiting_room_validate(opens_at=None, admit_per_minute=None, event=None, now=now)
    for opens, rate in [(opens_at, None), (None, 5), (opens_at, 0), (opens_at, 100_001)]:
        with pytest.raises(Invalid):
            waiting_room_validate(opens_at=opens, admit_per_minute=rate, event=None, now=now)
    opened = Event(waiting_room_opens_at=now - timedelta(minutes=1), waiting_room_admit_per_minute=5)
    with pytest.raises(Invalid):
        waiting_room_validate(opens_at=opens_at, admit_per_minute=5, event=opened, now=now)
    waiting_room_validate(opens_at=opened.waiting_room_opens_at, admit_per_minute=9, event=opened, now=now)
    settings.TICKETING_QUEUE_REDIS_URL = ""
    with pytest.raises(Invalid, match="needs Redis"):
        waiting_room_validate(opens_at=opens_at, admit_per_minute=5, event=None, now=now)


def test_sold_out_hint_follows_blocks(room, opens_at, staff, django_capture_on_commit_callbacks):
    from ticketing.services.inventory import seats_block, seats_unblock

    token = join(room, 1, opens_at - timedelta(minutes=1)).token
    assert waiting_room_poll(event_id=room.pk, token=token, now=opens_at).sold_out is False
    ids = list(EventSeat.objects.filter(event=room).values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        seats_block(event=room, seat_ids=ids, actor=staff)
    assert waiting_room_poll(event_id=room.pk, token=token, now=opens_at).sold_out is True
    with django_capture_on_commit_callbacks(execute=True):
        seats_unblock(event=room, seat_ids=ids[:1], actor=staff)
    assert waiting_room_poll(event_id=room.pk, token=token, now=opens_at).sold_out is False
