"""publish_seat_changes: turn committed seat changes into the live stream's messages and push
them to the GRIP proxy (GRIP_URL), once or every N seconds (``--every 0.2`` in production).

Several copies may run (one per machine): one leads and pushes, the others take over when its
lease (TICKETING_STREAM_LEASE_SECONDS) runs out. A crash or a database restart loses nothing:
the next run starts from the watermark committed with the last messages (DESIGN.md, "The live
seat stream").
"""

from __future__ import annotations

from ticketing.management.periodic import PeriodicCommand
from ticketing.services.stream import publisher_name, stream_run
from ticketing.stream_proxy import grip_pusher


class Command(PeriodicCommand):
    help = (
        "Publish the seat changes committed since the last run to the live stream, once or every N seconds."
    )
    batch_help = "Unused (a run takes every change committed since the last one)."
    loop_message = "Publishing seat changes every {every:g} s; Ctrl-C to stop."

    def handle(self, *args, **options) -> None:
        self.me = publisher_name()
        self.pusher = grip_pusher()
        if self.pusher is None:
            self.stderr.write("GRIP_URL is not set: messages are kept for resuming, nothing is pushed.")
        try:
            super().handle(*args, **options)
        finally:
            if self.pusher is not None:
                self.pusher.close()

    def run_once(self, batch_size: int, *, looping: bool) -> None:
        run = stream_run(pusher=self.pusher, me=self.me)
        if run.skipped:
            if not looping:
                self.stdout.write("Another publisher leads (or holds the cursor right now): nothing done.")
            return
        if run.messages or run.pushed or not looping:
            lag = "" if run.lag_seconds is None else f", oldest change {run.lag_seconds * 1000:.0f} ms ago"
            self.stdout.write(f"{run.messages} messages made, {run.pushed} pushed{lag}.")
