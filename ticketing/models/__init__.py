from ticketing.models.audit import SeatAudit
from ticketing.models.bookings import Booking, Ticket
from ticketing.models.events import Event, EventPrice
from ticketing.models.holds import Hold
from ticketing.models.idempotency import IdempotencyKey
from ticketing.models.inventory import EventSeat
from ticketing.models.notifications import Notification
from ticketing.models.payments import Payment
from ticketing.models.seasons import Season, SeasonEvent, SeasonPrice
from ticketing.models.stream import SeatStream, SeatStreamCursor, SeatStreamMessage
from ticketing.models.ticket_types import TicketType
from ticketing.models.waitlist import WaitlistEntry

__all__ = [
    "Booking",
    "Event",
    "EventPrice",
    "EventSeat",
    "Hold",
    "IdempotencyKey",
    "Notification",
    "Payment",
    "Season",
    "SeasonEvent",
    "SeasonPrice",
    "SeatAudit",
    "SeatStream",
    "SeatStreamCursor",
    "SeatStreamMessage",
    "Ticket",
    "TicketType",
    "WaitlistEntry",
]
