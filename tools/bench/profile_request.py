"""Profile one endpoint in-process (pyinstrument): where does a request's time go?

    .venv/bin/python -m tools.bench.profile_request hold      # or: me, hold409, best, book, map, map304
    .venv/bin/python -m tools.bench.profile_request hold --queries   # also print the SQL of one request

Creates (or reuses with --reuse) the database h_bench_profile with the benchmark's fixtures,
then runs the request many times through Django's full handler, with no socket.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.bench import prepare


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "endpoint", choices=["me", "hold", "hold409", "best", "book", "map", "map304", "bigmap", "bigmap304"]
    )
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the existing h_bench_profile database")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--no-key", action="store_true", help="send no Idempotency-Key")
    parser.add_argument("--html", help="write the pyinstrument HTML report here")
    parser.add_argument("--dump", help="with --cprofile: also write the raw pstats file here")
    parser.add_argument("--all", action="store_true", help="show library frames too")
    parser.add_argument("--time-only", action="store_true", help="no profiler: just the time per request")
    parser.add_argument(
        "--cprofile", action="store_true", help="deterministic CPU profile (cProfile) instead"
    )
    args = parser.parse_args()
    db = "h_bench_profile"
    env = prepare.server_environment(db)
    if not args.reuse:
        prepare.database_recreate(db)
    prepare.django_setup(env)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from accounts.models import User
    from ticketing.models import Event, EventSeat

    if not args.reuse:
        prepare.migrate()
        prepare.fixtures_create(venue_blocks=4, buyers=3000)
        prepare.event_new(hall_id=_hall("Rush Arena"), name="p", hold_seconds=600)
        prepare.event_new(hall_id=_hall("Grand Stade"), name="big", hold_seconds=600)
    if args.endpoint in (
        "hold",
        "hold409",
        "best",
        "book",
    ):  # a fresh event: the per-buyer seat limit starts at zero
        prepare.event_new(hall_id=_hall("Rush Arena"), name="p", hold_seconds=600)
    rush = Event.objects.filter(hall__venue__name="Rush Arena").latest("id")
    big = Event.objects.filter(hall__venue__name="Grand Stade").latest("id")
    from rest_framework_simplejwt.tokens import AccessToken

    users = list(User.objects.filter(username__startswith="buyer").order_by("id")[: args.n + 5])
    tokens = [str(AccessToken.for_user(u)) for u in users]
    free = list(
        EventSeat.objects.filter(event=rush, status="available").order_by("id").values_list("id", flat=True)
    )
    client = Client()
    host = {"HTTP_HOST": "127.0.0.1"}
    holds: list[tuple[str, int]] = []

    def request(i: int):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[i % len(tokens)]}", **host}
        if args.endpoint == "me":
            return client.get("/api/v1/auth/me/", **auth)
        if args.endpoint in ("hold", "hold409"):
            seats = free[2 * i : 2 * i + 2] if args.endpoint == "hold" else free[:2]
            return client.post(
                f"/api/v1/events/{rush.id}/holds/",
                {"seat_ids": seats},
                content_type="application/json",
                **({} if args.no_key else {"HTTP_IDEMPOTENCY_KEY": f"k{i}-{time.time()}"}),
                **auth,
            )
        if args.endpoint == "best":  # the best 2 adjacent seats of the hot block (sells out at 500)
            return client.post(
                f"/api/v1/events/{rush.id}/holds/",
                {"best_available": {"count": 2, "section": "Centre"}},
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"b{i}-{time.time()}",
                **auth,
            )
        if args.endpoint == "book":
            token, hold_id = holds[i]
            return client.post(
                "/api/v1/bookings/",
                {"hold_id": hold_id},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY=f"b{i}-{time.time()}",
                **host,
            )
        event = big if args.endpoint.startswith("big") else rush
        response = client.get(f"/api/v1/events/{event.id}/seats/", HTTP_ACCEPT_ENCODING="gzip", **auth)
        if args.endpoint.endswith("304"):
            return client.get(
                f"/api/v1/events/{event.id}/seats/", HTTP_IF_NONE_MATCH=response["ETag"], **auth
            )
        return response

    if args.endpoint == "book":  # holds to book, made outside the measurement
        for i in range(args.n + 1):
            token = tokens[i % len(tokens)]
            r = client.post(
                f"/api/v1/events/{rush.id}/holds/",
                {"seat_ids": free[-2 * i - 2 :][:2] if i else free[-2:]},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                **host,
            )
            holds.append((token, r.json()["id"]))
    count = args.n if args.endpoint not in ("bigmap",) else min(args.n, 20)
    first = request(0)
    if args.queries:
        with CaptureQueriesContext(connection) as queries:
            request(1)
        for q in queries.captured_queries:
            print(f"{q['time']:>6}  {q['sql'][:220]}")
        print(len(queries.captured_queries), "queries")
    if args.cprofile:
        import cProfile
        import pstats

        cprofiler = cProfile.Profile(time.process_time)
        cprofiler.enable()
        for i in range(2, count):
            request(i)
        cprofiler.disable()
        if args.dump:
            cprofiler.dump_stats(args.dump)
        stats = pstats.Stats(cprofiler).sort_stats("cumulative")
        stats.print_stats(
            r"ticketing|config|accounts|rest_framework/(views|generics|request)|idempotency|locking|models/query.py:(\d+)\((get|__iter__|create|update|bulk_create)|atomic|transaction.py",
            45,
        )
        return 0
    profiler = Profiler(interval=0.0005)
    started, cpu = time.perf_counter(), time.process_time()
    if not args.time_only:
        profiler.start()
    for i in range(2, count):
        request(i)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{args.endpoint}: status {first.status_code}, {elapsed / (count - 2) * 1000:.2f} ms per request,"
        f" {cpu / (count - 2) * 1000:.2f} ms CPU in this process"
    )
    if args.time_only:
        return 0
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


def _hall(venue: str) -> int:
    from venues.models import Hall

    return Hall.objects.get(venue__name=venue).pk


if __name__ == "__main__":
    sys.exit(main())
