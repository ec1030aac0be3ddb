"""release_expired_holds: record expired holds as expired, free their seats, purge old keys,
offer seats still free to the waiting lists (``waitlists_offer_available``).

Housekeeping only: an expired hold is already no hold for every reader and writer. One shot by
default; ``--every SECONDS`` loops until Ctrl-C or SIGTERM (the compose sweeper service).
Several copies may run at once on several machines: they lock with SKIP LOCKED, take disjoint
batches and never wait for a buyer.
"""

from __future__ import annotations

from ticketing.management.periodic import PeriodicCommand
from ticketing.services.holds import holds_release_expired
from ticketing.services.idempotency import idempotency_keys_purge
from ticketing.services.waitlist import waitlists_offer_available


class Command(PeriodicCommand):
    help = "Release expired holds (and purge old idempotency keys), once or every N seconds."
    default_batch_size = 500
    batch_help = "Holds per transaction."
    loop_message = "Sweeping every {every:g} s; Ctrl-C to stop."

    def run_once(self, batch_size: int, *, looping: bool) -> None:
        holds = holds_release_expired(batch_size=batch_size)
        keys = idempotency_keys_purge()
        offers = waitlists_offer_available()
        made = f" Made {offers} waiting-list offers of seats still free." if offers else ""
        self.stdout.write(f"Released {holds} expired holds; purged {keys} old idempotency keys.{made}")
