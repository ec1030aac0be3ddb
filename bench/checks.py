"""Invariant checks from the raw tables, against what the buyers were told.

- every 201 booking a buyer saw exists, is confirmed, belongs to that buyer and has exactly the
  seats of the answer (active tickets, seats ``booked`` by it);
- no event seat has two active tickets, nor two confirmed bookings;
- every booked seat has exactly one active ticket of a confirmed booking, and the reverse;
- seats of holds released with a 204 are no longer held by them;
- after the hold time, no seat is stuck: none is still held, and every seat a buyer held but
  did not book can be held again, over HTTP, by a fresh buyer (``stuck_seats``).
Plus the product's own ``check_inventory`` command when it exists (exit code 0 = clean).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.load import Ledger
from bench.prepare import Buyer

ROOT = Path(__file__).resolve().parent.parent


def _rows(sql: str, params: list[Any]) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _one(sql: str, params: list[Any]) -> int:
    return _rows(sql, params)[0][0]


def tables_check(*, event_id: int, ledger: Ledger) -> dict[str, int]:
    """Violations seen in the tables right after a run (all should be 0)."""
    double_active = _one(
        """SELECT count(*) FROM (
             SELECT t.event_seat_id FROM ticketing_ticket t
               JOIN ticketing_eventseat es ON es.id = t.event_seat_id
              WHERE es.event_id = %s AND t.status = 'active'
              GROUP BY t.event_seat_id HAVING count(*) > 1) d""",
        [event_id],
    )
    double_confirmed = _one(
        """SELECT count(*) FROM (
             SELECT t.event_seat_id FROM ticketing_ticket t
               JOIN ticketing_booking b ON b.id = t.booking_id
              WHERE b.event_id = %s AND b.status = 'confirmed'
              GROUP BY t.event_seat_id HAVING count(DISTINCT b.id) > 1) d""",
        [event_id],
    )
    booked_without_ticket = _one(
        """SELECT count(*) FROM ticketing_eventseat es
            WHERE es.event_id = %s AND es.status = 'booked' AND NOT EXISTS (
                  SELECT 1 FROM ticketing_ticket t JOIN ticketing_booking b ON b.id = t.booking_id
                   WHERE t.event_seat_id = es.id AND t.status = 'active'
                     AND b.status = 'confirmed' AND b.id = es.booking_id)""",
        [event_id],
    )
    ticket_without_booked_seat = _one(
        """SELECT count(*) FROM ticketing_ticket t
             JOIN ticketing_eventseat es ON es.id = t.event_seat_id
            WHERE es.event_id = %s AND t.status = 'active'
              AND (es.status <> 'booked' OR es.booking_id IS DISTINCT FROM t.booking_id)""",
        [event_id],
    )
    # What the buyers saw, against what the tables say.
    seen = ledger.bookings
    stored: dict[int, tuple[int, str, list[int]]] = {}
    if seen:
        for booking_id, buyer_id, status, seats in _rows(
            """SELECT b.id, b.buyer_id, b.status,
                      coalesce(array_agg(t.event_seat_id ORDER BY t.event_seat_id)
                               FILTER (WHERE t.status = 'active' AND es.booking_id = b.id
                                       AND es.status = 'booked'), '{}')
                 FROM ticketing_booking b
                 LEFT JOIN ticketing_ticket t ON t.booking_id = b.id
                 LEFT JOIN ticketing_eventseat es ON es.id = t.event_seat_id
                WHERE b.id = ANY(%s) GROUP BY b.id""",
            [list(seen)],
        ):
            stored[booking_id] = (buyer_id, status, list(seats))
    missing = sum(1 for booking_id in seen if booking_id not in stored)
    mismatched = sum(
        1
        for booking_id, answer in seen.items()
        if booking_id in stored and stored[booking_id] != (answer["buyer"], "confirmed", answer["seats"])
    )
    unseen = _one(
        "SELECT count(*) FROM ticketing_booking WHERE event_id = %s AND NOT (id = ANY(%s))",
        [event_id, list(seen)],
    )
    released = [hold_id for hold_id, hold in ledger.holds.items() if hold["outcome"] == "released"]
    still_held_after_release = (
        _one("SELECT count(*) FROM ticketing_eventseat WHERE hold_id = ANY(%s)", [released])
        if released
        else 0
    )
    return {
        "double_bookings": double_active + double_confirmed,
        "bookings_missing": missing,
        "bookings_mismatched": mismatched,
        "booked_seat_without_ticket": booked_without_ticket,
        "ticket_without_booked_seat": ticket_without_booked_seat,
        "released_but_still_held": still_held_after_release,
        "bookings_unseen_by_buyers": unseen,
    }


def live_holds_left(*, event_ids: list[int]) -> float:
    """Seconds until the last hold of these events expires (0 when none is live)."""
    return float(
        _one(
            """SELECT coalesce(extract(epoch FROM max(expires_at) - now()), 0)
                 FROM ticketing_hold WHERE event_id = ANY(%s) AND status = 'active'""",
            [event_ids],
        )
        or 0
    )


def stuck_check(
    *, base_url: str, event_id: int, block: set[int], once_held: set[int], checkers: list[Buyer]
) -> dict[str, int]:
    """After the hold time: no seat of the block is stuck.

    In the tables, no seat is still ``held`` by a live hold. Over HTTP, as fresh buyers: the map
    shows no seat of the block ``held``, and every seat a buyer once held but did not book
    (released, abandoned, failed booking) that the map shows available can be held again (10
    per hold, fresh buyers for the per-buyer limit); those holds are then released.
    """
    in_sql = _one(
        """SELECT count(*) FROM ticketing_eventseat es JOIN ticketing_hold h ON h.id = es.hold_id
            WHERE es.event_id = %s AND es.status = 'held' AND h.status = 'active' AND h.expires_at > now()""",
        [event_id],
    )
    with httpx.Client(base_url=base_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {checkers[0].token}"}
        seats = orjson.loads(client.get(f"/api/v1/events/{event_id}/seats/", headers=headers).content)[
            "seats"
        ]
        shown = {seat["id"]: seat["status"] for seat in seats if seat["id"] in block}
        held_on_map = sum(1 for status in shown.values() if status == "held")
        free = sorted(seat_id for seat_id in once_held if shown.get(seat_id) == "available")
        refused, made = 0, []
        for index in range(0, len(free), 10):
            buyer = checkers[(index // 10) % len(checkers)]
            answer = client.post(
                f"/api/v1/events/{event_id}/holds/",
                json={"seat_ids": free[index : index + 10]},
                headers={"Authorization": f"Bearer {buyer.token}"},
            )
            if answer.status_code == 201:
                made.append((buyer, answer.json()["id"]))
            else:
                refused += len(free[index : index + 10])
        for buyer, hold_id in made:
            client.delete(f"/api/v1/holds/{hold_id}/", headers={"Authorization": f"Bearer {buyer.token}"})
    return {"stuck_seats": in_sql + held_on_map + refused, "freed_seats_reheld": len(free) - refused}


def check_inventory_command(env: dict[str, str]) -> int | None:
    """Exit code of ``manage.py check_inventory`` (None when the command does not exist yet)."""
    if not (ROOT / "ticketing" / "management" / "commands" / "check_inventory.py").exists():
        return None
    result = subprocess.run(
        [sys.executable, "manage.py", "check_inventory"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
    return result.returncode
