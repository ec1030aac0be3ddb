"""A thin end-to-end pass through the buyer's API: hold, book, cancel."""

from ticketing.models import EventSeat


def test_hold_book_cancel_frees_seats(event, buyer_client):
    # given
    seat_ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True)[:2])
    # when
    hold = buyer_client.post(f"/api/v1/events/{event.id}/holds/", {"seat_ids": seat_ids}, format="json")
    booking = buyer_client.post("/api/v1/bookings/", {"hold_id": hold.json()["id"]}, format="json")
    cancel = buyer_client.post(f"/api/v1/bookings/{booking.json()['id']}/cancel/")
    # then
    assert hold.status_code == 201, hold.json()
    assert booking.status_code == 201, booking.json()
    assert len(booking.json()["tickets"]) == 2
    assert cancel.json()["status"] == "cancelled"
    assert set(EventSeat.objects.filter(id__in=seat_ids).values_list("status", flat=True)) == {"available"}
