"""Waiting room services: join and poll the line, the admission pass, the settings' mirror.

The line lives in Redis (``ticketing/waiting_line.py``, the rules of places and admission); this
module signs what buyers carry and answers them. Nothing here reads the database on a poll: the
token says who and which event, the event's settings are mirrored into Redis when staff save
them (or, after a Redis restart, by the first request that misses them: one read of the event).

- **Queue token** ``q1.<event>.<buyer>.<epoch>.<signature>``: names the buyer's place in one
  line (``epoch``); the same join gives the same token. It is not secret from its buyer and is
  worth nothing to anybody else: what it yields, the pass, is bound to the buyer.
- **Admission pass** ``p1.<event>.<buyer>.<expiry>.<signature>``: lets that buyer hold seats of
  that event until ``expiry`` (Unix seconds), ``TICKETING_QUEUE_PASS_MINUTES`` after they were
  first seen admitted. Checked from its signature alone, on the hold paths only.

Both are HMAC-SHA256 under ``TICKETING_QUEUE_KEY``, each with its own context string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.checks import Error, register
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import Invalid, NotFound, QueuePassInvalid, QueuePassRequired, WaitingRoomUnavailable
from config.metrics import QUEUE_ADMISSIONS
from ticketing import waiting_line
from ticketing.models import Event, EventSeat
from ticketing.selectors.events import event_public_get

logger = logging.getLogger("ticketing.waiting_room")

TOKEN_MAX_LENGTH = 200
#: The randomness of the places drawn at opening (tests seed or replace it).
rng = random.SystemRandom()
#: spreads the polls (``poll_pace``); apart from ``rng`` so the places drawn do not depend on it
_pace = random.Random()


@dataclass(frozen=True)
class QueueAnswer:
    """What ``POST``/``GET /events/{id}/queue/`` answer."""

    status: str  # waiting | admitted
    token: str
    position: int | None  # 1 = next; None before opening (places are drawn then)
    ahead: int | None
    estimated_wait_s: int
    waiting: int
    opens_at: datetime
    opened: bool
    admit_per_minute: int
    poll_after_s: int
    requeued: bool
    pass_expired: bool
    sold_out: bool
    pass_: str | None = None
    pass_expires_at: datetime | None = None

    def as_dict(self) -> dict:
        body = {
            "status": self.status,
            "token": self.token,
            "position": self.position,
            "ahead": self.ahead,
            "estimated_wait_s": self.estimated_wait_s,
            "waiting": self.waiting,
            "opens_at": self.opens_at,
            "opened": self.opened,
            "admit_per_minute": self.admit_per_minute,
            "poll_after_s": self.poll_after_s,
            "requeued": self.requeued,
            "pass_expired": self.pass_expired,
            "sold_out": self.sold_out,
        }
        if self.pass_ is not None:
            body["pass"] = self.pass_
            body["pass_expires_at"] = self.pass_expires_at
        return body


# --- Staff: the settings ---------------------------------------------------------------------


def waiting_room_validate(
    *, opens_at: datetime | None, admit_per_minute: int | None, event: Event | None, now: datetime
) -> None:
    """A waiting room is both fields or neither; the rate within bounds; Redis and the key
    configured; and once the line has opened its opening time stays (it may be removed).
    Raises Invalid on the ``waiting_room`` field."""

    def refuse(message: str) -> None:
        raise Invalid(message, fields={"waiting_room": [message]})

    if opens_at is None and admit_per_minute is None:
        return
    if opens_at is None or admit_per_minute is None:
        refuse("A waiting room needs both opens_at and admit_per_minute.")
    if not 1 <= admit_per_minute <= Event.ADMIT_PER_MINUTE_MAX:
        refuse(f"admit_per_minute is from 1 to {Event.ADMIT_PER_MINUTE_MAX}.")
    if not waiting_line.configured():
        refuse(
            "A waiting room needs Redis: set TICKETING_QUEUE_REDIS_URL (or CACHE_URL=redis://...)"
            " on the server."
        )
    if not settings.TICKETING_QUEUE_KEY:
        refuse("A waiting room needs TICKETING_QUEUE_KEY set on the server.")
    current = event.waiting_room_opens_at if event is not None else None
    if current is not None and current <= now and opens_at != current:
        refuse("The waiting room has opened: its opening time can no longer change (remove it instead).")


def waiting_room_mirror(*, event: Event, now: datetime | None = None) -> None:
    """Write the event's waiting room (or its absence) to Redis, after a save committed: a new
    rate applies from now on, removing it drops the line. Drafts have none for buyers. A Redis
    that cannot be reached is logged: the mirror then keeps what it had until the next save."""
    if not waiting_line.configured():
        return
    now = now or timezone.now()
    try:
        if event.has_waiting_room and event.status != Event.Status.DRAFT:
            waiting_line.line_configure(
                event_id=event.pk,
                opens_at=event.waiting_room_opens_at.timestamp(),
                admit_per_minute=event.waiting_room_admit_per_minute,
                now=now.timestamp(),
                epoch=secrets.token_hex(4),
                only_if_missing=False,
            )
            waiting_room_sold_out_refresh(event_id=event.pk)
        else:
            waiting_line.line_clear(event_id=event.pk, only_if_missing=False)
    except redis.RedisError:
        logger.warning("waiting room of event %s not mirrored: Redis unavailable", event.pk, exc_info=True)


def waiting_room_event_saved(event: Event) -> None:
    """Every save of an event row (services, admin): mirror it once the transaction commits."""
    if not waiting_line.configured():
        return
    fields = {"status", "waiting_room_opens_at", "waiting_room_admit_per_minute"}
    if fields & event.get_deferred_fields():
        transaction.on_commit(lambda: waiting_room_mirror(event=Event.objects.get(pk=event.pk)))
    else:
        transaction.on_commit(lambda: waiting_room_mirror(event=event))


def waiting_room_seats_changed(*, event: Event) -> None:
    """Seats of ``event`` were booked, blocked or given back: once committed, the sold-out hint
    that waiting buyers read is refreshed. Costs an attribute test without a waiting room."""
    if not event.has_waiting_room or not waiting_line.configured():
        return
    transaction.on_commit(lambda: waiting_room_sold_out_refresh(event_id=event.pk))


def waiting_room_sold_out_refresh(*, event_id: int) -> None:
    """Sold out = no seat available or held: one read (outside any lock), one Redis SET."""
    sellable = EventSeat.objects.filter(
        event_id=event_id, status__in=[EventSeat.Status.AVAILABLE, EventSeat.Status.HELD]
    ).exists()
    try:
        waiting_line.line_sold_out_set(event_id=event_id, sold_out=not sellable)
    except redis.RedisError:
        logger.warning("sold-out hint of event %s not written: Redis unavailable", event_id)


# --- Buyers: join and poll -------------------------------------------------------------------


def waiting_room_join(*, event_id: int, buyer: User, now: datetime | None = None) -> QueueAnswer:
    """Take a place in the event's line (the same one when already in it) and say where it is.

    Reads no database while the event's settings are mirrored (``buyer`` may be built from the
    access token's claims alone). NotFound: no such event, a draft, or no waiting room;
    WaitingRoomUnavailable (503 busy) when Redis cannot be reached.
    """
    now = now or timezone.now()
    if not waiting_line.configured():
        if event_public_get(event_id).has_waiting_room:
            raise WaitingRoomUnavailable()
        raise NotFound("This event has no waiting room.")
    visit = _visit(event_id=event_id, buyer_id=buyer.pk, now=now, epoch=None)
    return _answer(event_id=event_id, buyer_id=buyer.pk, visit=visit, now=now)


def waiting_room_poll(*, event_id: int, token: str | None, now: datetime | None = None) -> QueueAnswer:
    """Where the token's buyer stands now; admitted, with their pass. No database read while the
    settings are mirrored. A token whose place is gone (Redis restarted and lost the line, or
    staff removed and set the waiting room again) queues its buyer again: ``requeued``.
    Invalid: no token, or one forged or of another event.
    """
    now = now or timezone.now()
    buyer_id, epoch = queue_token_read(token, event_id=event_id)
    if not waiting_line.configured():
        raise WaitingRoomUnavailable()
    visit = _visit(event_id=event_id, buyer_id=buyer_id, now=now, epoch=epoch)
    return _answer(event_id=event_id, buyer_id=buyer_id, visit=visit, now=now)


def _visit(*, event_id: int, buyer_id: int, now: datetime, epoch: str | None) -> waiting_line.Visit:
    arguments = {
        "event_id": event_id,
        "buyer_id": buyer_id,
        "now": now.timestamp(),
        "rand": rng.random(),
        "pass_seconds": settings.TICKETING_QUEUE_PASS_MINUTES * 60,
        "epoch": epoch,
    }
    try:
        try:
            return waiting_line.line_visit(**arguments)
        except waiting_line.NoSettings:
            _settings_refill(event_id=event_id, now=now)
            return waiting_line.line_visit(**arguments)
    except (waiting_line.NoWaitingRoom, waiting_line.NoSettings):
        raise NotFound("This event has no waiting room.") from None
    except redis.RedisError:
        logger.warning("waiting room of event %s: Redis unavailable", event_id, exc_info=True)
        raise WaitingRoomUnavailable() from None


def _settings_refill(*, event_id: int, now: datetime) -> None:
    """The mirror is missing (a Redis restart): one read of the event, written only if nothing
    else wrote it meanwhile (a staff save wins over this older read)."""
    event = event_public_get(event_id)  # NotFound for drafts and unknown ids
    if not event.has_waiting_room:
        waiting_line.line_clear(event_id=event_id, only_if_missing=True)
        return
    written = waiting_line.line_configure(
        event_id=event_id,
        opens_at=event.waiting_room_opens_at.timestamp(),
        admit_per_minute=event.waiting_room_admit_per_minute,
        now=now.timestamp(),
        epoch=secrets.token_hex(4),
        only_if_missing=True,
    )
    if written:
        waiting_room_sold_out_refresh(event_id=event_id)


def _answer(*, event_id: int, buyer_id: int, visit: waiting_line.Visit, now: datetime) -> QueueAnswer:
    poll = settings.TICKETING_QUEUE_POLL_SECONDS
    at = now.timestamp()
    opens_at = datetime.fromtimestamp(visit.opens_at, tz=UTC)
    common = {
        "token": queue_token_sign(event_id=event_id, buyer_id=buyer_id, epoch=visit.epoch),
        "waiting": visit.waiting,
        "opens_at": opens_at,
        "opened": visit.opened,
        "admit_per_minute": visit.admit_per_minute,
        "requeued": visit.requeued,
        "pass_expired": visit.pass_expired,
        "sold_out": bool(visit.sold_out),
    }
    if visit.status == "admitted":
        if visit.newly_admitted:
            QUEUE_ADMISSIONS.labels(str(event_id)).inc()
        expires = int(visit.admitted_at + settings.TICKETING_QUEUE_PASS_MINUTES * 60)
        return QueueAnswer(
            status="admitted",
            position=0,
            ahead=0,
            estimated_wait_s=0,
            poll_after_s=poll,
            pass_=queue_pass_sign(event_id=event_id, buyer_id=buyer_id, expires=expires),
            pass_expires_at=datetime.fromtimestamp(expires, tz=UTC),
            **common,
        )
    if not visit.opened:  # places are drawn at opening: say only when that is
        wait = max(0, math.ceil(visit.opens_at - at))
        return QueueAnswer(
            status="waiting",
            position=None,
            ahead=None,
            estimated_wait_s=wait,
            poll_after_s=poll_pace(wait, opening=True),
            **common,
        )
    wait = max(0, math.ceil((visit.admit_at or at) - at))
    return QueueAnswer(
        status="waiting",
        position=visit.ahead + 1,
        ahead=visit.ahead,
        estimated_wait_s=wait,
        poll_after_s=poll_pace(wait, opening=False),
        **common,
    )


def poll_pace(wait: int, *, opening: bool) -> int:
    """When a waiting buyer should ask again (seconds), so that a crowd's polls stay few and
    spread out. Before opening: just after it, each buyer at a random moment of the first third of
    ``TICKETING_QUEUE_POLL_SECONDS`` (a crowd polling at the same instant was the flash crowd's
    whole p99: places are drawn already, so asking a little later loses nobody their turn).
    After: a third to a half of the estimated wait (drawn, so that buyers who asked together do
    not come back together), at least 1 s and at most ``TICKETING_QUEUE_POLL_SECONDS``: a buyer
    far back asks rarely, one near the front every second, and the last poll comes at most a
    second after their turn."""
    most = settings.TICKETING_QUEUE_POLL_SECONDS
    if opening:
        return max(1, wait + _pace.randint(0, max(0, most // 3)))
    return max(1, min(most, math.ceil(wait * _pace.uniform(0.3, 0.5))))


# --- What buyers carry: the token and the pass --------------------------------------------


def _signature(context: str, message: str) -> str:
    key = settings.TICKETING_QUEUE_KEY
    if not key:
        raise WaitingRoomUnavailable(
            "The waiting room is not configured on this server (TICKETING_QUEUE_KEY)."
        )
    digest = hmac.new(key.encode(), f"{context}:{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _parts(value: str | None, prefix: str) -> list[str] | None:
    """The four fields of ``<prefix>.<a>.<b>.<c>.<signature>`` if well formed and signed."""
    if not value or len(value) > TOKEN_MAX_LENGTH or not value.isascii():
        return None
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != prefix:
        return None
    context = "queue-token" if prefix == "q1" else "queue-pass"
    if not hmac.compare_digest(_signature(context, ".".join(parts[1:4])), parts[4]):
        return None
    return parts


def queue_token_sign(*, event_id: int, buyer_id: int, epoch: str) -> str:
    message = f"{event_id}.{buyer_id}.{epoch}"
    return f"q1.{message}.{_signature('queue-token', message)}"


def queue_token_read(token: str | None, *, event_id: int) -> tuple[int, str]:
    """(buyer id, epoch) of a token of this event, or Invalid on the Queue-Token header."""
    parts = _parts(token, "q1")
    if parts is None or parts[1] != str(event_id):
        message = "Send the token POST /events/{id}/queue/ gave you for this event in the Queue-Token header."
        raise Invalid(message, fields={"Queue-Token": [message]})
    return int(parts[2]), parts[3]


def queue_pass_sign(*, event_id: int, buyer_id: int, expires: int) -> str:
    message = f"{event_id}.{buyer_id}.{expires}"
    return f"p1.{message}.{_signature('queue-pass', message)}"


def queue_pass_check(*, event: Event, buyer_id: int, value: str | None, now: datetime) -> None:
    """On an event with a waiting room, ``value`` must be this buyer's live pass for this event:
    none is QueuePassRequired, any other QueuePassInvalid (both 403). From the signature alone,
    no read; without a waiting room, one attribute test."""
    if event.waiting_room_opens_at is None:
        return
    if not value:
        raise QueuePassRequired()
    parts = _parts(value, "p1")
    if (
        parts is None
        or parts[1] != str(event.pk)
        or parts[2] != str(buyer_id)
        or not parts[3].isdigit()
        or int(parts[3]) <= now.timestamp()
    ):
        raise QueuePassInvalid()


@register("ticketing", deploy=True)
def check_queue_key(app_configs, **kwargs) -> list[Error]:
    """``check --deploy``: queue tokens and passes cannot be signed without a key."""
    if settings.TICKETING_QUEUE_KEY:
        return []
    message = "TICKETING_QUEUE_KEY must be set (the waiting room signs its tokens and passes with it)."
    return [Error(message, hint="Set TICKETING_QUEUE_KEY to a long random string.", id="ticketing.E002")]
