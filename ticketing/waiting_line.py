"""The waiting room's line in Redis: the only module that talks to it (DESIGN.md, "Waiting room").

Per event ``e`` (one hash tag, so a Redis Cluster keeps an event's keys on one node):

- ``wr:{e}:cfg``: a hash, the event's settings mirrored from the database (``opens``, ``rate``
  per minute), the admission frontier's base (``bcount``, ``btime``) and the line's ``epoch``
  (a random name given when the hash is created: a token of an older epoch belongs to a line
  that is gone). Or ``none=1`` (for an hour): the event has no waiting room;
- ``wr:{e}:line``: a sorted set of buyer ids. Who joined before opening has a random score in
  [0, 1), who joined after ``1 + n`` for the n-th arrival: the order is a random permutation of
  the early ones, then the later ones by arrival. A buyer's place is their rank;
- ``wr:{e}:seq`` (arrivals after opening), ``wr:{e}:adm`` (buyer -> when first seen admitted:
  their pass runs from then), ``wr:{e}:sold`` ("1" when no seat is left to sell);
- ``wr:events``: the events with a line (for the metrics).

Every key starts with ``TICKETING_QUEUE_KEY_PREFIX`` (``key``).

**Admission** is a function of time, with no process to run it: the first ``K(now) = bcount +
floor((now - btime) * rate / 60) + 1`` places are admitted (``btime`` is the opening at first).
So place p is admitted at ``btime + (p - bcount) * 60 / rate``: the staff-set rate, and nobody
waits past that. A frontier that ran past the end of the line while nobody came is pulled back
to the newcomer's place when they join (``bcount = n, btime = now``), so a lull saves no credit
for a burst; a change of rate restarts the frontier from where it is; a buyer whose pass ran out
goes to the back, and the frontier steps back one place so that their leaving admits nobody.

Each use case is one Lua script: one round trip, atomic (two joins of one buyer make one place).
The time is the caller's (``now``, injectable), the randomness too (``rand``, from Python).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import redis
from django.conf import settings

#: How long the "no waiting room" marker of an event stays (seconds).
NONE_TTL = 3600


def key(event_id: int | None, part: str) -> str:
    """A key of an event's line, under this deployment's prefix (``TICKETING_QUEUE_KEY_PREFIX``,
    the cache's by default): two deployments sharing one Redis never see each other's lines."""
    prefix = settings.TICKETING_QUEUE_KEY_PREFIX
    return f"{prefix}wr:events" if event_id is None else f"{prefix}wr:{{{event_id}}}:{part}"


_FRONTIER = """
local function frontier(now, bcount, btime, rate)
  if now < btime then return bcount end
  return bcount + math.floor((now - btime) * rate / 60) + 1
end
"""

# KEYS: cfg, line, seq, adm, sold. ARGV: mode (join|poll), buyer, now, rand, pass seconds, epoch.
_VISIT = (
    _FRONTIER
    + """
local cfg, line, seq, adm, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local mode, buyer, now, rand, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local c = redis.call('HMGET', cfg, 'none', 'opens', 'rate', 'bcount', 'btime', 'epoch')
if c[1] then return {'none'} end
if not c[2] then return {'nocfg'} end
local opens, rate, bcount, btime, epoch = tonumber(c[2]), tonumber(c[3]), tonumber(c[4]), tonumber(c[5]), c[6]

local function opened()
  return now >= opens or redis.call('EXISTS', seq) == 1
end

local function append()
  if not opened() then
    redis.call('ZADD', line, rand, buyer)
    return
  end
  local n = redis.call('ZCARD', line)
  if frontier(now, bcount, btime, rate) > n then
    bcount, btime = n, now
    redis.call('HSET', cfg, 'bcount', bcount, 'btime', ARGV[3])
  end
  redis.call('ZADD', line, 1 + redis.call('INCR', seq), buyer)
end

local requeued, expired, newly = 0, 0, 0
if mode == 'poll' and ARGV[6] ~= epoch then requeued = 1 end
if not redis.call('ZSCORE', line, buyer) then
  if mode == 'poll' then requeued = 1 end
  append()
end
local admitted_at = redis.call('HGET', adm, buyer)
if admitted_at and now - tonumber(admitted_at) >= ttl then
  if redis.call('ZRANK', line, buyer) < frontier(now, bcount, btime, rate) then
    bcount = bcount - 1
    redis.call('HSET', cfg, 'bcount', bcount)
  end
  redis.call('ZREM', line, buyer)
  redis.call('HDEL', adm, buyer)
  admitted_at = false
  expired = 1
  append()
end

local rank = redis.call('ZRANK', line, buyer)
local n = redis.call('ZCARD', line)
local status, ahead, waiting, admit_at, is_open = 'waiting', -1, n, '', 0
if opened() then
  is_open = 1
  local k = frontier(now, bcount, btime, rate)
  waiting = math.max(0, n - k)
  if admitted_at or rank < k then
    status, ahead = 'admitted', 0
    if not admitted_at then
      admitted_at = ARGV[3]
      redis.call('HSET', adm, buyer, admitted_at)
      newly = 1
    end
  else
    ahead = rank - k
    admit_at = tostring(btime + (rank - bcount) * 60 / rate)
  end
end
return {'ok', status, epoch, rank, ahead, waiting, admit_at, admitted_at or '', newly, requeued,
        expired, c[2], rate, redis.call('GET', sold) or '', is_open}
"""
)

# KEYS: cfg, line, seq, adm, sold, events. ARGV: event id, opens, rate, now, new epoch, nx (1|0).
_CONFIGURE = """
local cfg, line, seq, adm, sold, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
if redis.call('EXISTS', cfg) == 1 then
  if ARGV[6] == '1' then return 0 end
  if redis.call('HEXISTS', cfg, 'none') == 1 then redis.call('DEL', cfg) end
end
local opens, rate, now = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local c = redis.call('HMGET', cfg, 'opens', 'rate', 'bcount', 'btime')
if not c[1] then
  redis.call('DEL', line, seq, adm)
  redis.call('HSET', cfg, 'opens', ARGV[2], 'rate', ARGV[3], 'bcount', 0, 'btime', ARGV[2], 'epoch', ARGV[5])
  redis.call('SADD', events, ARGV[1])
  return 1
end
local old_opens, old_rate, bcount, btime = tonumber(c[1]), tonumber(c[2]), tonumber(c[3]), tonumber(c[4])
if now < old_opens and redis.call('EXISTS', seq) == 0 then
  bcount, btime = 0, opens
elseif rate ~= old_rate and now >= btime then
  bcount = bcount + math.floor((now - btime) * old_rate / 60)
  btime = now
end
redis.call('HSET', cfg, 'opens', ARGV[2], 'rate', ARGV[3], 'bcount', bcount, 'btime', tostring(btime))
return 2
"""

# KEYS: cfg, line, seq, adm, sold, events. ARGV: event id, nx (1|0), ttl.
_CLEAR = """
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('SREM', KEYS[6], ARGV[1])
redis.call('HSET', KEYS[1], 'none', 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: cfg, line, seq. ARGV: now. -> {in line, still waiting} or {} without a line.
_LENGTH = (
    _FRONTIER
    + """
local c = redis.call('HMGET', KEYS[1], 'opens', 'rate', 'bcount', 'btime')
if not c[1] then return {} end
local n = redis.call('ZCARD', KEYS[2])
local now = tonumber(ARGV[1])
if now < tonumber(c[1]) and redis.call('EXISTS', KEYS[3]) == 0 then return {n, n} end
return {n, math.max(0, n - frontier(now, tonumber(c[3]), tonumber(c[4]), tonumber(c[2])))}
"""
)


def _keys(event_id: int) -> list[str]:
    return [key(event_id, part) for part in ("cfg", "line", "seq", "adm", "sold")]


@dataclass(frozen=True)
class Visit:
    """What the line says of one buyer after a join or a poll (``line_visit``)."""

    status: str  # waiting | admitted
    epoch: str
    opened: bool  # places are drawn: position and ahead mean something
    place: int  # 0-based rank in the line
    ahead: int  # still waiting ahead of them (0 when admitted)
    waiting: int  # still waiting in all (before opening: everyone in line)
    admit_at: float | None  # when their place comes, if waiting after opening
    admitted_at: float | None
    newly_admitted: bool
    requeued: bool  # a poll whose place was gone (the line restarted): queued again
    pass_expired: bool  # their pass ran out: back of the line
    opens_at: float
    admit_per_minute: int
    sold_out: bool | None  # None: nobody said yet


class NoSettings(Exception):
    """The event's settings are not mirrored (Redis restarted, or never saved since)."""


class NoWaitingRoom(Exception):
    """The mirror says the event has no waiting room."""


_clients: dict[tuple[int, str], redis.Redis] = {}
_scripts: dict[tuple[int, str], dict[str, object]] = {}


def configured() -> bool:
    return bool(settings.TICKETING_QUEUE_REDIS_URL)


def client() -> redis.Redis:
    """One redis-py client (a connection pool) per process and URL, made after the fork."""
    url = settings.TICKETING_QUEUE_REDIS_URL
    key = (os.getpid(), url)
    found = _clients.get(key)
    if found is None:
        found = _clients[key] = redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30
        )
        _scripts[key] = {
            name: found.register_script(source)
            for name, source in (
                ("visit", _VISIT),
                ("configure", _CONFIGURE),
                ("clear", _CLEAR),
                ("length", _LENGTH),
            )
        }
    return found


def _script(name: str):
    client()
    return _scripts[(os.getpid(), settings.TICKETING_QUEUE_REDIS_URL)][name]


def line_visit(
    *, event_id: int, buyer_id: int, now: float, rand: float, pass_seconds: int, epoch: str | None = None
) -> Visit:
    """Join (``epoch`` None) or poll (with the token's epoch) the line: one script, atomic.

    A join gives the buyer a place unless they have one; a poll whose place is gone (or whose
    epoch is not the line's) queues them again, ``requeued``. Raises NoSettings or NoWaitingRoom.
    """
    mode = "join" if epoch is None else "poll"
    args = [mode, buyer_id, f"{now:.6f}", repr(rand), pass_seconds, epoch or ""]
    reply = _script("visit")(keys=_keys(event_id), args=args)
    kind = _text(reply[0])
    if kind == "nocfg":
        raise NoSettings()
    if kind == "none":
        raise NoWaitingRoom()
    (_, status, line_epoch, rank, ahead, waiting, admit_at, admitted_at, newly, requeued, expired) = reply[
        :11
    ]
    opens, rate, sold, is_open = reply[11:15]
    return Visit(
        status=_text(status),
        epoch=_text(line_epoch),
        opened=bool(is_open),
        place=int(rank),
        ahead=max(0, int(ahead)),
        waiting=int(waiting),
        admit_at=float(admit_at) if admit_at else None,
        admitted_at=float(admitted_at) if admitted_at else None,
        newly_admitted=bool(newly),
        requeued=bool(requeued),
        pass_expired=bool(expired),
        opens_at=float(opens),
        admit_per_minute=int(rate),
        sold_out=None if not sold else _text(sold) == "1",
    )


def line_configure(
    *, event_id: int, opens_at: float, admit_per_minute: int, now: float, epoch: str, only_if_missing: bool
) -> bool:
    """Mirror an event's waiting room. A new mirror starts a new line (``epoch``); an existing one
    keeps its line and frontier (a new rate applies from now on; a new opening time only before
    the line opened). ``only_if_missing``: the refill after a miss, which never overwrites what a
    staff save wrote meanwhile. Returns whether anything was written."""
    args = [event_id, f"{opens_at:.6f}", admit_per_minute, f"{now:.6f}", epoch, int(only_if_missing)]
    return bool(_script("configure")(keys=[*_keys(event_id), key(None, "events")], args=args))


def line_clear(*, event_id: int, only_if_missing: bool) -> bool:
    """Mark the event as having no waiting room (for ``NONE_TTL``), dropping any line it had."""
    args = [event_id, int(only_if_missing), NONE_TTL]
    return bool(_script("clear")(keys=[*_keys(event_id), key(None, "events")], args=args))


def line_sold_out_set(*, event_id: int, sold_out: bool) -> None:
    client().set(_keys(event_id)[4], "1" if sold_out else "0")


def lines_length(*, now: float) -> dict[int, tuple[int, int]]:
    """Event id -> (buyers in line, still waiting), for every event with a line."""
    ids = sorted(int(member) for member in client().smembers(key(None, "events")))
    length = _script("length")
    out = {}
    for event_id in ids:
        reply = length(keys=_keys(event_id)[:3], args=[f"{now:.6f}"])
        if reply:
            out[event_id] = (int(reply[0]), int(reply[1]))
    return out


def line_flush_all() -> None:
    """Tests only: the whole logical database, as a Redis restart without persistence leaves it."""
    client().flushdb()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
