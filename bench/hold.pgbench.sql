-- The database limit: every statement one POST /events/{id}/holds/ with an Idempotency-Key
-- sends, as pgbench runs it. Same tables, indexes and locks as ticketing/services/holds.py and
-- ticketing/idempotency.py: the unlocked pre-check read (a seat already taken is answered by one
-- INSERT of the key, no transaction), else the transaction: key upsert, FOR NO KEY UPDATE on the
-- buyer, the buyer's count, FOR UPDATE SKIP LOCKED on the seats in id order, the writes, the
-- answer. The per-seat checks the app does in Python on the rows are folded into the reading
-- statements (same rows, same plans). Holds expire after 500 ms so that seats keep coming back.
-- Variables (-D): event, umin, umax, smin, span.
\set uid random(:umin, :umax)
\set k random(1, 4)
\set s :smin + random(0, :span - 1)
\set e :s + :k - 1
\set r random(1, 2000000000)
-- CONN_HEALTH_CHECKS, then JWT authentication: the user row
SELECT 1;
SELECT "accounts_user"."id", "accounts_user"."password", "accounts_user"."last_login", "accounts_user"."is_superuser", "accounts_user"."username", "accounts_user"."first_name", "accounts_user"."last_name", "accounts_user"."email", "accounts_user"."is_staff", "accounts_user"."is_active", "accounts_user"."date_joined" FROM "accounts_user" WHERE "accounts_user"."id" = :uid LIMIT 21;
-- the event (event_public_get)
SELECT id, kind, title, home_team, away_team, hall_id, starts_at, status, hold_seconds, max_seats_per_buyer, created_at, updated_at FROM ticketing_event WHERE id = :event AND status <> 'draft';
-- hold_precheck (seat_states): the committed state of the seats, no lock, no join
SELECT count(*) FILTER (WHERE t.status <> 'available' AND NOT (t.status = 'held' AND t.expired IS NOT NULL)) AS taken FROM (SELECT es.id, es.status, (SELECT 1 FROM ticketing_hold h WHERE h.id = es.hold_id AND h.status = 'active' AND h.expires_at <= now()) AS expired FROM ticketing_eventseat es WHERE es.event_id = :event AND es.id BETWEEN :s AND :e ORDER BY es.id) t \gset
\if :taken > 0
-- a refusal under a new key: one INSERT, no transaction
INSERT INTO ticketing_idempotencykey (user_id, key, request_hash, created_at, status_code, response) VALUES (:uid, 'pgb-' || :client_id || '-' || :r, repeat('a', 64), now(), 409, '{"code": "seats_unavailable", "detail": "taken", "seats": []}') ON CONFLICT (user_id, key) DO NOTHING RETURNING id;
\else
BEGIN;
INSERT INTO ticketing_idempotencykey (user_id, key, request_hash, created_at) VALUES (:uid, 'pgb-' || :client_id || '-' || :r, repeat('a', 64), now()) ON CONFLICT (user_id, key) DO UPDATE SET request_hash = CASE WHEN ticketing_idempotencykey.created_at > now() - interval '24 hours' THEN ticketing_idempotencykey.request_hash ELSE excluded.request_hash END, status_code = CASE WHEN ticketing_idempotencykey.created_at > now() - interval '24 hours' THEN ticketing_idempotencykey.status_code END, response = CASE WHEN ticketing_idempotencykey.created_at > now() - interval '24 hours' THEN ticketing_idempotencykey.response END, created_at = CASE WHEN ticketing_idempotencykey.created_at > now() - interval '24 hours' THEN ticketing_idempotencykey.created_at ELSE excluded.created_at END RETURNING id AS key_id \gset
SELECT id FROM accounts_user WHERE id = :uid FOR NO KEY UPDATE OF accounts_user;
SELECT (SELECT coalesce(sum(h.seat_count), 0) FROM ticketing_hold h WHERE h.buyer_id = :uid AND h.event_id = :event AND h.status = 'active' AND h.expires_at > now()) + (SELECT count(*) FROM ticketing_ticket t JOIN ticketing_booking b ON b.id = t.booking_id WHERE b.buyer_id = :uid AND b.event_id = :event AND t.status = 'active');
SELECT count(*) FILTER (WHERE t.status = 'available' OR (t.status = 'held' AND t.expired IS NOT NULL)) AS free FROM (SELECT es.id, es.seat_id, es.status, es.hold_id, (SELECT 1 FROM ticketing_hold h WHERE h.id = es.hold_id AND h.status = 'active' AND h.expires_at <= now()) AS expired, s.section_id, sec.name, s.row_label, s.number, s.category, CAST(p.amount AS TEXT) FROM ticketing_eventseat es JOIN venues_seat s ON s.id = es.seat_id JOIN venues_section sec ON sec.id = s.section_id LEFT JOIN ticketing_eventprice p ON p.event_id = es.event_id AND p.category = s.category WHERE es.event_id = :event AND es.id BETWEEN :s AND :e ORDER BY es.id FOR UPDATE OF es SKIP LOCKED) t \gset
\if :free = :k
INSERT INTO ticketing_hold (buyer_id, event_id, status, created_at, expires_at, seat_count, total, prices) VALUES (:uid, :event, 'active', now(), now() + interval '500 milliseconds', :k, 80.00 * :k, '{"vip": "80.00"}') RETURNING id AS hold_id \gset
UPDATE ticketing_eventseat SET status = 'held', hold_id = :hold_id WHERE id BETWEEN :s AND :e;
INSERT INTO ticketing_seataudit (event_id, event_seat_id, from_status, to_status, action, hold_id, booking_id, actor_id, at, reason) SELECT :event, g, 'available', 'held', 'hold', :hold_id, NULL, :uid, now(), '' FROM generate_series(:s, :e) g;
UPDATE ticketing_idempotencykey SET status_code = 201, response = '{"id": 1, "status": "active", "seats": []}' WHERE id = :key_id;
\else
UPDATE ticketing_idempotencykey SET status_code = 409, response = '{"code": "seats_unavailable", "seats": []}' WHERE id = :key_id;
\endif
COMMIT;
\endif
