"""Ticketing's domain errors. Codes are part of the API contract: never change them."""

from __future__ import annotations

from collections.abc import Sequence

from config.errors import ApiError, Conflict


class SeatsUnavailable(Conflict):
    code = "seats_unavailable"

    def __init__(self, seats: Sequence[dict]) -> None:
        seats = sorted(seats, key=lambda seat: seat["id"])
        verb = "is" if len(seats) == 1 else "are"
        detail = f"{len(seats)} of the requested seats {verb} no longer available."
        super().__init__(detail, seats=list(seats))


class EventNotOnSale(Conflict):
    code = "event_not_on_sale"
    default_detail = "This event is not on sale."


class HoldExpired(Conflict):
    code = "hold_expired"
    default_detail = "This hold has expired or was already released or booked."


class SeatLimitExceeded(Conflict):
    code = "seat_limit_exceeded"

    def __init__(self, limit: int) -> None:
        super().__init__(f"You can hold or book at most {limit} seats for this event.", limit=limit)


class AlreadyCancelled(Conflict):
    code = "already_cancelled"
    default_detail = "This booking is already cancelled."


class CancellationClosed(Conflict):
    code = "cancellation_closed"
    default_detail = "The event has started; bookings can no longer be cancelled."


class IdempotencyKeyReused(ApiError):
    code = "idempotency_key_reused"
    http_status = 422
    default_detail = "This Idempotency-Key was already used with a different request."


class TicketCheckedIn(Conflict):
    code = "ticket_checked_in"
    default_detail = (
        "A ticket of this booking has been checked in at the gate; it can no longer be cancelled."
    )
