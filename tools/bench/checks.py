"""After a run: the product's invariant checks, plus what only the benchmark knows.

The rules of the inventory (no seat sold twice, seat states agree with holds, bookings and
tickets, counts add up) are the product's own: ``ticketing.selectors.invariants``, the selector
``manage.py check_inventory`` runs; ``tables_check`` calls it for the run's event. What stays
here needs the buyers' side of the story, which the product cannot see:
- every 201 booking a buyer was told about exists, is confirmed, belongs to that buyer and has
  exactly the seats of the answer (``bookings_missing``, ``bookings_mismatched``);
- seats of holds released with a 204 are no longer held by them (``released_but_still_held``);
- after the hold time, no seat is stuck: no live hold is left (the product's counts), the map
  shows no seat held and every seat a buyer held but did not book can be held again, over HTTP,
  by a fresh buyer (``stuck_seats``).
Plus the ``check_inventory`` command itself, run as the operators run it (exit code 0 = clean).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import orjson

from tools.bench.load import Ledger
from tools.bench.prepare import Buyer

ROOT = Path(__file__).resolve().parents[2]
DOUBLE_SALE_RULES = {"double_ticket"}  # the product's rule for a seat sold twice
#: figures of a run's checks that count what happened, not what went wrong
NOT_VIOLATIONS = ("bookings_unseen_by_buyers", "freed_seats_reheld")


def violation_count(run_checks: dict[str, int]) -> int:
    """The violations among a run's checks (``tables_check`` and ``stuck_check``)."""
    return sum(v for k, v in run_checks.items() if k not in NOT_VIOLATIONS)


def tables_check(*, event_id: int, ledger: Ledger) -> dict[str, int]:
    """Violations right after a run (all should be 0, ``bookings_unseen_by_buyers`` aside)."""
    from ticketing.models import Booking, EventSeat, Ticket
    from ticketing.selectors.invariants import inventory_check

    report = inventory_check(event_id=event_id)
    for violation in report.violations[:20]:
        sys.stderr.write(f"VIOLATION {violation}\n")
    doubles = sum(1 for v in report.violations if v.rule in DOUBLE_SALE_RULES)
    # What the buyers were told, against what the tables say.
    seen = ledger.bookings
    stored = {}
    for booking in Booking.objects.filter(id__in=list(seen)).only("id", "buyer_id", "status"):
        seats = Ticket.objects.filter(
            booking=booking,
            status=Ticket.Status.ACTIVE,
            event_seat__booking=booking,
            event_seat__status=EventSeat.Status.BOOKED,
        ).values_list("event_seat_id", flat=True)
        stored[booking.id] = (booking.buyer_id, booking.status, sorted(seats))
    missing = sum(1 for booking_id in seen if booking_id not in stored)
    told = {booking_id: (a["buyer"], Booking.Status.CONFIRMED, a["seats"]) for booking_id, a in seen.items()}
    mismatched = sum(1 for booking_id in stored if stored[booking_id] != told[booking_id])
    unseen = Booking.objects.filter(event_id=event_id).exclude(id__in=list(seen)).count()
    released = [hold_id for hold_id, hold in ledger.holds.items() if hold["outcome"] == "released"]
    still_held = EventSeat.objects.filter(hold_id__in=released).count()
    return {
        "double_bookings": doubles,
        "invariant_violations": len(report.violations) - doubles,
        "bookings_missing": missing,
        "bookings_mismatched": mismatched,
        "released_but_still_held": still_held,
        "bookings_unseen_by_buyers": unseen,
    }


def live_holds_left(*, event_ids: list[int]) -> float:
    """Seconds until the last hold of these events expires (0 when none is live)."""
    from django.db.models import Max
    from django.utils import timezone

    from ticketing.models import Hold

    last = Hold.objects.filter(event_id__in=event_ids, status=Hold.Status.ACTIVE).aggregate(
        last=Max("expires_at")
    )["last"]
    return max(0.0, (last - timezone.now()).total_seconds()) if last else 0.0


def stuck_check(
    *, base_url: str, event_id: int, block: set[int], once_held: set[int], checkers: list[Buyer]
) -> dict[str, int]:
    """After the hold time: no seat of the block is stuck.

    In the tables (the product's ``inventory_counts``), no seat is held by a live hold. Over
    HTTP, as fresh buyers: the map shows no seat of the block ``held``, and every seat a buyer
    once held but did not book (released, abandoned, failed booking) that the map shows
    available can be held again (10 per hold, fresh buyers for the per-buyer limit); those
    holds are then released.
    """
    from ticketing.selectors.invariants import inventory_counts

    in_sql = sum(counts.held for counts in inventory_counts(event_id=event_id))  # by live holds
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


def check_inventory_command(env: dict[str, str]) -> int:
    """Exit code of ``manage.py check_inventory``, run as the operators run it."""
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
