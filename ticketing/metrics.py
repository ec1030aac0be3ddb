"""The ticketing figures an operator watches, read from the database at each scrape.

Registered with ``config.metrics`` by ``TicketingConfig.ready``:
- ``ticketing_sweeper_lag_seconds``: how long the oldest hold has been expired while still
  marked active (the sweeper's lag; 0 when it is keeping up). Seats of an expired hold are
  already free for buyers (the expiry rule needs no sweeper), so this measures housekeeping;
- ``ticketing_outbox_backlog`` and ``ticketing_outbox_oldest_seconds``: emails owed and not sent
  yet, and the age of the oldest (the notifier's lag);
- ``ticketing_stream_publisher_idle_seconds``: since the leading stream publisher's last run
  (about its ``--every`` when it runs; growing: no publisher runs, and the live maps are stale
  until one does); ``ticketing_stream_unpublished_messages`` and
  ``ticketing_stream_unpublished_oldest_seconds``: messages made and not yet taken by the GRIP
  proxy (the proxy down), and the age of the oldest. How many watch, and how many messages the
  proxy sent, is the proxy's own figure (Pushpin's ``prometheus_port``, README);
- ``ticketing_queue_waiting{event}`` and ``ticketing_queue_in_line{event}``: buyers still
  waiting in each event's waiting room, and in its line in all (admitted ones included), read
  from Redis (``ticketing/waiting_line.py``: one script per event with a line).
A few indexed queries per scrape; a scrape that cannot reach the database (or Redis) reports
nothing for these (the request metrics still come).
"""

from __future__ import annotations

import time

import redis
from django.db import DatabaseError
from django.db.models import Count, F, Min, OuterRef, Subquery, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from ticketing import waiting_line
from ticketing.models import Hold, Notification, SeatStream, SeatStreamCursor, SeatStreamMessage


class TicketingCollector:
    def describe(self):
        return []  # read at scrape time only, never when registered

    def collect(self):
        now = timezone.now()
        try:
            oldest_expired = Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lt=now).aggregate(
                oldest=Min("expires_at")
            )["oldest"]
            outbox = Notification.objects.filter(sent_at__isnull=True).aggregate(
                n=Count("id"), oldest=Min("created_at")
            )
            cursor = SeatStreamCursor.objects.filter(pk=1).values_list("expired_through", flat=True).first()
            # two statements, whatever the number of events behind
            unpublished = (
                SeatStream.objects.filter(seq__gt=F("published_seq")).aggregate(
                    n=Sum(F("seq") - F("published_seq"))
                )["n"]
                or 0
            )
            done = SeatStream.objects.filter(event=OuterRef("event")).values("published_seq")
            oldest_unpublished = SeatStreamMessage.objects.filter(seq__gt=Subquery(done)).aggregate(
                oldest=Min("at")
            )["oldest"]
        except DatabaseError:
            return
        yield GaugeMetricFamily(
            "ticketing_sweeper_lag_seconds",
            "How long the oldest expired hold has waited for the sweeper (0: keeping up).",
            value=(now - oldest_expired).total_seconds() if oldest_expired else 0.0,
        )
        yield GaugeMetricFamily(
            "ticketing_outbox_backlog", "Emails owed and not sent yet.", value=outbox["n"]
        )
        yield GaugeMetricFamily(
            "ticketing_outbox_oldest_seconds",
            "Age of the oldest email not sent yet (0: none).",
            value=(now - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0.0,
        )
        if cursor is not None:
            yield GaugeMetricFamily(
                "ticketing_stream_publisher_idle_seconds",
                "Since the leading seat-stream publisher's last run.",
                value=(now - cursor).total_seconds(),
            )
        yield GaugeMetricFamily(
            "ticketing_stream_unpublished_messages",
            "Seat-stream messages made and not yet taken by the GRIP proxy.",
            value=unpublished,
        )
        yield GaugeMetricFamily(
            "ticketing_stream_unpublished_oldest_seconds",
            "Age of the oldest seat-stream message not yet taken by the proxy (0: none).",
            value=(now - oldest_unpublished).total_seconds() if oldest_unpublished else 0.0,
        )


class WaitingRoomCollector:
    def describe(self):
        return []

    def collect(self):
        if not waiting_line.configured():
            return
        try:
            lengths = waiting_line.lines_length(now=time.time())
        except redis.RedisError:
            return
        waiting = GaugeMetricFamily(
            "ticketing_queue_waiting", "Buyers waiting in the event's waiting room.", labels=["event"]
        )
        in_line = GaugeMetricFamily(
            "ticketing_queue_in_line",
            "Buyers in the event's waiting-room line, admitted ones included.",
            labels=["event"],
        )
        for event_id, (total, still) in lengths.items():
            waiting.add_metric([str(event_id)], still)
            in_line.add_metric([str(event_id)], total)
        yield waiting
        yield in_line


COLLECTOR = TicketingCollector()
QUEUE_COLLECTOR = WaitingRoomCollector()
