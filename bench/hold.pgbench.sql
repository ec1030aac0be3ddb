-- The database limit: every statement one POST /events/{id}/holds/ sends, as pgbench runs it.
-- Same tables, same indexes, same locks (FOR NO KEY UPDATE on the buyer, FOR UPDATE SKIP LOCKED
-- on the seats in id order). The availability check the app does in Python on the locked rows
-- is folded into the locking statement (same rows, same plan). Holds expire after 500 ms so
-- that seats keep coming back. Variables (-D): event, umin, umax, smin, span.
\set uid random(:umin, :umax)
\set k random(1, 4)
\set s :smin + random(0, :span - 1)
\set e :s + :k - 1
-- JWT authentication: the user row
SELECT "accounts_user"."id", "accounts_user"."password", "accounts_user"."last_login", "accounts_user"."is_superuser", "accounts_user"."username", "accounts_user"."first_name", "accounts_user"."last_name", "accounts_user"."email", "accounts_user"."is_staff", "accounts_user"."is_active", "accounts_user"."date_joined" FROM "accounts_user" WHERE "accounts_user"."id" = :uid LIMIT 21;
-- the event and its prices
SELECT "ticketing_event"."id", "ticketing_event"."kind", "ticketing_event"."title", "ticketing_event"."home_team", "ticketing_event"."away_team", "ticketing_event"."hall_id", "ticketing_event"."starts_at", "ticketing_event"."status", "ticketing_event"."hold_seconds", "ticketing_event"."max_seats_per_buyer", "ticketing_event"."created_at", "ticketing_event"."updated_at" FROM "ticketing_event" WHERE (NOT ("ticketing_event"."status" = 'draft') AND "ticketing_event"."id" = :event) LIMIT 21;
SELECT "ticketing_eventprice"."category" AS "category", "ticketing_eventprice"."amount" AS "amount" FROM "ticketing_eventprice" WHERE "ticketing_eventprice"."event_id" = :event ORDER BY "ticketing_eventprice"."event_id" ASC, 1 ASC;
BEGIN;
SET LOCAL lock_timeout = 2000;
SELECT "accounts_user"."id" FROM "accounts_user" WHERE "accounts_user"."id" = :uid ORDER BY "accounts_user"."id" ASC FOR NO KEY UPDATE OF "accounts_user";
SELECT COALESCE((SELECT SUM(U0."seat_count") AS "n" FROM "ticketing_hold" U0 WHERE (U0."buyer_id" = :uid AND U0."event_id" = :event AND U0."expires_at" > now() AND U0."status" = 'active') GROUP BY U0."event_id"), 0) AS "held", COALESCE((SELECT COUNT(U0."id") AS "n" FROM "ticketing_ticket" U0 INNER JOIN "ticketing_booking" U1 ON (U0."booking_id" = U1."id") WHERE (U1."buyer_id" = :uid AND U1."event_id" = :event AND U0."status" = 'active') GROUP BY U1."event_id"), 0) AS "booked" FROM "ticketing_event" WHERE "ticketing_event"."id" = :event LIMIT 21;
SELECT count(*) FILTER (WHERE t.status = 'available' OR (t.status = 'held' AND (t.hold_status <> 'active' OR t.hold_expires <= now()))) AS free FROM (SELECT "ticketing_eventseat"."id", "ticketing_eventseat"."status", "venues_seat"."category", "ticketing_hold"."status" AS hold_status, "ticketing_hold"."expires_at" AS hold_expires FROM "ticketing_eventseat" INNER JOIN "venues_seat" ON ("ticketing_eventseat"."seat_id" = "venues_seat"."id") LEFT OUTER JOIN "ticketing_hold" ON ("ticketing_eventseat"."hold_id" = "ticketing_hold"."id") WHERE ("ticketing_eventseat"."event_id" = :event AND "ticketing_eventseat"."id" BETWEEN :s AND :e) ORDER BY "ticketing_eventseat"."id" ASC FOR UPDATE OF "ticketing_eventseat" SKIP LOCKED) t \gset
\if :free = :k
INSERT INTO "ticketing_hold" ("buyer_id", "event_id", "status", "created_at", "expires_at", "seat_count", "total", "prices") VALUES (:uid, :event, 'active', now(), now() + interval '500 milliseconds', :k, 80.00 * :k, '{"vip": "80.00"}'::jsonb) RETURNING "ticketing_hold"."id" AS hold_id \gset
UPDATE "ticketing_eventseat" SET "status" = 'held', "hold_id" = :hold_id, "version" = ("ticketing_eventseat"."version" + 1) WHERE "ticketing_eventseat"."id" BETWEEN :s AND :e;
INSERT INTO "ticketing_seataudit" ("event_id", "event_seat_id", "from_status", "to_status", "action", "hold_id", "booking_id", "actor_id", "at", "reason") SELECT :event, g, 'available', 'held', 'hold', :hold_id, NULL, :uid, now(), '' FROM generate_series(:s, :e) g;
COMMIT;
-- the 201 answer: the hold, its event and its seats
SELECT "ticketing_hold"."id", "ticketing_hold"."buyer_id", "ticketing_hold"."event_id", "ticketing_hold"."status", "ticketing_hold"."created_at", "ticketing_hold"."expires_at", "ticketing_hold"."seat_count", "ticketing_hold"."total", "ticketing_hold"."prices", "ticketing_event"."id", "ticketing_event"."kind", "ticketing_event"."title", "ticketing_event"."home_team", "ticketing_event"."away_team", "ticketing_event"."hall_id", "ticketing_event"."starts_at", "ticketing_event"."status" FROM "ticketing_hold" INNER JOIN "ticketing_event" ON ("ticketing_hold"."event_id" = "ticketing_event"."id") WHERE ("ticketing_hold"."buyer_id" = :uid AND "ticketing_hold"."id" = :hold_id) LIMIT 21;
SELECT "ticketing_eventseat"."id", "ticketing_eventseat"."status", "venues_seat"."row_label", "venues_seat"."number", "venues_seat"."category", "venues_section"."name" FROM "ticketing_eventseat" INNER JOIN "venues_seat" ON ("ticketing_eventseat"."seat_id" = "venues_seat"."id") INNER JOIN "venues_section" ON ("venues_seat"."section_id" = "venues_section"."id") WHERE "ticketing_eventseat"."hold_id" IN (:hold_id) ORDER BY "ticketing_eventseat"."id" ASC;
\else
ROLLBACK;
\endif
