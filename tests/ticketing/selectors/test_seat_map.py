"""The seat map: every seat with its effective status, an ETag, 304, and block / unblock."""

import gzip
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from tests.factories import hall_with_layout, on_sale_event
from ticketing.models import EventSeat, SeatAudit
from ticketing.services.holds import hold_create
from ticketing.services.inventory import seats_block

pytestmark = pytest.mark.django_db


def seat_ids(event) -> list[int]:
    return list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))


def seat_map(client, event, **headers):
    return client.get(f"/api/v1/events/{event.pk}/seats/", headers=headers)


def statuses(response) -> dict[int, str]:
    return {seat["id"]: seat["status"] for seat in response.json()["seats"]}


def test_the_seat_map_lists_every_seat_in_order_with_its_price(anon_client, event):
    response = seat_map(anon_client, event)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["event"] == event.pk
    assert [seat["id"] for seat in body["seats"]] == seat_ids(event)
    first = body["seats"][0]
    assert first == {
        "id": first["id"],
        "section": "Section 1",
        "row": "A",
        "number": 1,
        "category": "vip",
        "price": "80.00",
        "status": "available",
    }
    assert body["seats"][-1]["price"] == "35.00"
    assert body["sections"] == [{"id": body["sections"][0]["id"], "name": "Section 1"}]


def test_statuses_and_mine(anon_client, buyer_client, other_client, event, buyer, other_buyer, staff):
    ids = seat_ids(event)
    hold_create(buyer=buyer, event=event, seat_ids=ids[:2])
    hold_create(buyer=other_buyer, event=event, seat_ids=ids[2:3])
    seats_block(event=event, seat_ids=ids[3:4], actor=staff)

    mine = {seat["id"] for seat in seat_map(buyer_client, event).json()["seats"] if seat.get("mine")}
    theirs = {seat["id"] for seat in seat_map(other_client, event).json()["seats"] if seat.get("mine")}
    anonymous = seat_map(anon_client, event)

    assert mine == set(ids[:2])
    assert theirs == {ids[2]}
    assert not any(seat.get("mine") for seat in anonymous.json()["seats"])
    assert [statuses(anonymous)[i] for i in ids[:5]] == ["held", "held", "held", "blocked", "available"]


def test_a_seat_of_an_expired_hold_is_available_without_any_sweeper(anon_client, event, buyer):
    ids = seat_ids(event)
    hold_create(buyer=buyer, event=event, seat_ids=ids[:1], now=timezone.now() - timedelta(hours=1))
    assert EventSeat.objects.get(pk=ids[0]).status == "held"  # nothing swept it
    assert statuses(seat_map(anon_client, event))[ids[0]] == "available"


def test_drafts_have_no_public_seat_map(anon_client, staff_client):
    event = on_sale_event(status="draft")
    assert seat_map(anon_client, event).status_code == 404
    assert seat_map(staff_client, event).status_code == 200


def test_an_unknown_event_is_404_json(anon_client):
    response = anon_client.get("/api/v1/events/999999/seats/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- ETag and 304 ----------------------------------------------------------------------------


def test_if_none_match_with_the_current_tag_is_304_without_a_body(anon_client, event):
    etag = seat_map(anon_client, event)["ETag"]
    again = seat_map(anon_client, event, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_a_stale_tag_gets_the_full_map(anon_client, event):
    response = seat_map(anon_client, event, **{"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert len(response.json()["seats"]) == 10


def test_the_tag_changes_when_a_seat_changes(anon_client, event, staff):
    etag = seat_map(anon_client, event)["ETag"]
    seats_block(event=event, seat_ids=seat_ids(event)[:1], actor=staff)
    response = seat_map(anon_client, event, **{"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_tag_changes_when_prices_change(anon_client, staff_client, event):
    etag = seat_map(anon_client, event)["ETag"]
    staff_client.patch(f"/api/v1/events/{event.pk}/", {"prices": {"vip": "99.00"}}, format="json")
    response = seat_map(anon_client, event, **{"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["seats"][0]["price"] == "99.00"


def test_the_tag_changes_when_a_hold_expires_with_no_write(anon_client, event, buyer, monkeypatch):
    # given a live hold and the tag of the map that shows it
    ids = seat_ids(event)
    start = timezone.now()
    hold = hold_create(buyer=buyer, event=event, seat_ids=ids[:1], now=start)
    etag = seat_map(anon_client, event)["ETag"]
    assert seat_map(anon_client, event, **{"If-None-Match": etag}).status_code == 304
    audit_rows = SeatAudit.objects.count()
    # when time passes beyond its expiry, and nothing at all is written
    monkeypatch.setattr(timezone, "now", lambda: hold.expires_at + timedelta(seconds=1))
    response = seat_map(anon_client, event, **{"If-None-Match": etag})
    # then the old tag no longer matches and the seat shows available
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert statuses(response)[ids[0]] == "available"
    assert SeatAudit.objects.count() == audit_rows
    assert EventSeat.objects.get(pk=ids[0]).status == "held"


def test_each_user_has_their_own_tag(anon_client, buyer_client, event):
    assert seat_map(anon_client, event)["ETag"] != seat_map(buyer_client, event)["ETag"]


def test_gzip_when_asked(anon_client, event):
    plain = seat_map(anon_client, event)
    zipped = seat_map(anon_client, event, **{"Accept-Encoding": "gzip, br"})
    assert zipped["Content-Encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(zipped.content)) == plain.json()
    assert "Accept-Encoding" in zipped["Vary"]


# --- Query counts ----------------------------------------------------------------------------


def event_with(seats: int):
    """An on-sale event of ``seats`` seats: sections of 2 rows of up to 50 seats."""
    per_section = min(seats, 100)
    return on_sale_event(hall=hall_with_layout(sections=seats // per_section, rows=2, seats=per_section // 2))


@pytest.mark.parametrize("seats", [10, 1000])
def test_the_seat_map_runs_a_constant_number_of_queries(anon_client, django_assert_num_queries, seats):
    event = event_with(seats)
    assert EventSeat.objects.filter(event=event).count() == seats
    # event, state (ETag), prices, layout rows (a new event: the layout is not cached yet)
    with django_assert_num_queries(4):
        response = seat_map(anon_client, event)
    assert len(response.json()["seats"]) == seats


@pytest.mark.parametrize("seats", [10, 1000])
def test_a_304_runs_a_constant_number_of_queries(anon_client, django_assert_num_queries, seats):
    event = event_with(seats)
    etag = seat_map(anon_client, event)["ETag"]
    # event, state (ETag)
    with django_assert_num_queries(2):
        assert seat_map(anon_client, event, **{"If-None-Match": etag}).status_code == 304


# --- One section's map --------------------------------------------------------------------------


def section_map(client, event, section, **headers):
    return client.get(f"/api/v1/events/{event.pk}/seats/?section={section}", headers=headers)


def test_a_section_map_has_that_sections_seats_only_with_their_state(buyer_client, buyer):
    event = event_with(300)  # three sections of 100 seats
    full = seat_map(buyer_client, event).json()
    first, second = full["sections"][0], full["sections"][1]
    in_second = [seat["id"] for seat in full["seats"] if seat["section"] == second["name"]]
    hold_create(buyer=buyer, event=event, seat_ids=in_second[:2])
    response = section_map(buyer_client, event, second["id"])
    assert response.status_code == 200
    body = response.json()
    assert body["sections"] == [second]
    assert [seat["id"] for seat in body["seats"]] == in_second
    assert [(seat["status"], seat.get("mine")) for seat in body["seats"][:3]] == [
        ("held", True),
        ("held", True),
        ("available", None),
    ]
    whole = {seat["id"]: seat for seat in seat_map(buyer_client, event).json()["seats"]}
    assert all(whole[seat["id"]] == seat for seat in body["seats"])  # the same seats as in the full map
    assert section_map(buyer_client, event, first["id"]).json()["sections"] == [first]


def test_a_section_map_has_its_own_tag_that_other_sections_do_not_move(anon_client, buyer):
    event = event_with(300)
    full = seat_map(anon_client, event).json()
    first, second = full["sections"][0], full["sections"][1]
    etag = section_map(anon_client, event, second["id"])["ETag"]
    assert etag != seat_map(anon_client, event)["ETag"]
    in_first = [seat["id"] for seat in full["seats"] if seat["section"] == first["name"]]
    in_second = [seat["id"] for seat in full["seats"] if seat["section"] == second["name"]]
    hold_create(buyer=buyer, event=event, seat_ids=in_first[:1])  # another section changes
    assert section_map(anon_client, event, second["id"], **{"If-None-Match": etag}).status_code == 304
    hold_create(buyer=buyer, event=event, seat_ids=in_second[:1])  # this one changes
    response = section_map(anon_client, event, second["id"], **{"If-None-Match": etag})
    assert response.status_code == 200 and response["ETag"] != etag


@pytest.mark.parametrize("section", ["0", "abc", "-1", "", "99999999"])
def test_an_unknown_or_malformed_section_is_invalid(anon_client, event, section):
    response = section_map(anon_client, event, section)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "section" in response.json()["fields"]


# --- Block and unblock -----------------------------------------------------------------------


def block(client, event, ids, reason="camera platform"):
    return client.post(
        f"/api/v1/events/{event.pk}/seats/block/", {"seat_ids": ids, "reason": reason}, format="json"
    )


def unblock(client, event, ids):
    return client.post(f"/api/v1/events/{event.pk}/seats/unblock/", {"seat_ids": ids}, format="json")


def test_staff_block_and_unblock_seats(staff_client, anon_client, event, staff):
    ids = seat_ids(event)[:3]
    response = block(staff_client, event, ids)
    assert response.status_code == 200
    assert response.json() == {"changed": 3}
    assert set(EventSeat.objects.filter(id__in=ids).values_list("status", "block_reason")) == {
        ("blocked", "camera platform")
    }
    assert [statuses(seat_map(anon_client, event))[i] for i in ids] == ["blocked"] * 3
    audit = SeatAudit.objects.filter(event_seat_id__in=ids, action="block")
    assert audit.count() == 3
    assert set(audit.values_list("actor", "from_status", "to_status")) == {(staff.pk, "available", "blocked")}

    # blocking again changes nothing; unblocking frees them
    assert block(staff_client, event, ids).json() == {"changed": 0}
    assert unblock(staff_client, event, ids).json() == {"changed": 3}
    assert set(EventSeat.objects.filter(id__in=ids).values_list("status", "block_reason")) == {
        ("available", "")
    }
    assert unblock(staff_client, event, ids).json() == {"changed": 0}


def test_a_held_seat_cannot_be_blocked(staff_client, event, buyer):
    ids = seat_ids(event)
    hold_create(buyer=buyer, event=event, seat_ids=ids[:1])
    response = block(staff_client, event, ids[:2])
    assert response.status_code == 409
    assert response.json()["code"] == "seats_unavailable"
    assert response.json()["seats"] == [{"id": ids[0], "status": "held"}]
    assert EventSeat.objects.get(pk=ids[1]).status == "available"  # all or nothing


def test_a_seat_of_an_expired_hold_can_be_blocked(staff_client, event, buyer):
    ids = seat_ids(event)
    hold_create(buyer=buyer, event=event, seat_ids=ids[:1], now=timezone.now() - timedelta(hours=1))
    assert block(staff_client, event, ids[:1]).json() == {"changed": 1}
    assert EventSeat.objects.get(pk=ids[0]).hold is None


@pytest.mark.parametrize(
    "seat_ids_value",
    [[], "1", [1, 1], ["a"], [0], [999999]],
    ids=["empty", "not-a-list", "duplicates", "not-integers", "zero", "unknown"],
)
def test_bad_seat_ids_are_invalid(staff_client, event, seat_ids_value):
    response = block(staff_client, event, seat_ids_value)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "seat_ids" in response.json()["fields"]


def test_seats_of_another_event_are_invalid(staff_client, event):
    other = on_sale_event()
    response = block(staff_client, event, seat_ids(other)[:1])
    assert response.status_code == 400
    assert "seat_ids" in response.json()["fields"]
