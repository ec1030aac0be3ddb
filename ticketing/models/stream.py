from django.db import models


class SeatStream(models.Model):
    """The live stream of one event's seat changes: where it stands (SPEC §8).

    ``seq`` numbers the event's messages 1, 2, 3... with no gap; ``etag`` is the anonymous seat
    map's ETag after message ``seq``; ``published_seq``: the messages up to it have been handed
    to the GRIP proxy (those after it are pushed by the next publisher run).
    """

    event = models.OneToOneField(
        "ticketing.Event", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    seq = models.PositiveBigIntegerField(default=0)
    etag = models.CharField(max_length=40, blank=True)
    published_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"seat stream of event {self.event_id} at {self.seq}"


class SeatStreamMessage(models.Model):
    """One message of an event's stream, kept a few minutes so a client can resume from it.

    ``changes``: ``[[event seat id, status], ...]`` by seat id, each seat's effective status when
    the message was made (a later message about the same seat supersedes it).
    """

    event = models.ForeignKey("ticketing.Event", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    etag = models.CharField(max_length=40)
    changes = models.JSONField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "seq"], name="seat_stream_message_event_seq"),
        ]
        indexes = [models.Index(fields=["at"], name="seat_stream_message_at_idx")]

    def __str__(self) -> str:
        return f"event {self.event_id} #{self.seq}"


class SeatStreamCursor(models.Model):
    """The publishers' one row: how far the seat audit has been turned into messages.

    ``snapshot``: on PostgreSQL, the ``pg_snapshot`` the last run read the audit in (the next run
    takes the rows that were not visible in it); ``audit_id``: on SQLite, whose writers are
    serialised, the last audit row read. ``expired_through``: holds expiring up to this instant
    have been published. ``leader`` / ``lease_until``: the one publisher that pushes messages;
    another takes over once the lease has run out.
    """

    snapshot = models.TextField(blank=True)
    audit_id = models.BigIntegerField(default=0)
    expired_through = models.DateTimeField(null=True, blank=True)
    leader = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"seat stream cursor (leader {self.leader or 'none'})"
