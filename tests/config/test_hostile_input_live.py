"""The hostile-input cases over real HTTP to gunicorn, bytes on a socket, as the probe sent them.

Django's test client cannot send a chunked body, and gunicorn (not the test client) decides what
a request with ``Transfer-Encoding: chunked`` looks like to the application.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from tests.live_server import gunicorn
from tests.world import make_world


def send(url: str, raw: bytes) -> tuple[int, dict]:
    """One request on its own connection; the status and the JSON body of the answer."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"application/json" in head, head
    if b"transfer-encoding: chunked" in head.lower():
        decoded = b""
        while True:
            size, _, rest = body.partition(b"\r\n")
            if not int(size, 16):
                break
            decoded, body = decoded + rest[: int(size, 16)], rest[int(size, 16) + 2 :]
        body = decoded
    return status, json.loads(body)


def request(path: str, body: bytes, *, token: str = "", extra: str = "", chunked: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append("Connection: close")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if extra:
        lines.append(extra)
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@pytest.mark.django_db(transaction=True)
def test_hostile_bodies_over_gunicorn():
    world = make_world()
    seat = world.free_seat_ids()[0]
    holds = f"/api/v1/events/{world.event.pk}/holds/"
    token = str(RefreshToken.for_user(world.buyer).access_token)
    with gunicorn(workers=1, env={"JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"]}) as server:
        # 8. a chunked hold: refused as such, never "seat_ids: This field is required."
        hold = b'{"seat_ids": [%d]}' % seat
        status, body = send(server.url, request(holds, hold, token=token, chunked=True))
        assert (status, body["code"]) == (411, "length_required"), body
        # 1. deep nesting, anonymous
        deep = b"[" * 1000 + b"]" * 1000
        status, body = send(server.url, request("/api/v1/auth/token/", deep))
        assert (status, body["code"]) == (400, "invalid"), body
        # 2. integers past 64 bits under an Idempotency-Key
        big = b'{"seat_ids": [18446744073709551616]}'
        status, body = send(server.url, request(holds, big, token=token, extra="Idempotency-Key: live-1"))
        assert (status, body["code"]) == (400, "invalid"), body
        # 7. a malformed Authorization header is a sentence
        bad_header = "Authorization: Bearer a b"
        status, body = send(server.url, request("/api/v1/bookings/", b"{}", extra=bad_header))
        assert (status, body["code"]) == (401, "not_authenticated"), body
        assert "ErrorDetail" not in body["detail"]
        # and the same hold, sent with a Content-Length, works
        status, body = send(server.url, request(holds, hold, token=token))
        assert status == 201, body
        assert "Traceback" not in server.log()


def raw_get(line: str, headers: list[str] = ()) -> bytes:
    return ("\r\n".join([line, "Host: 127.0.0.1", *headers, "Connection: close"]) + "\r\n\r\n").encode()


@pytest.mark.django_db(transaction=True)
def test_requests_gunicorn_refuses_are_answered_in_json():
    # given: gunicorn's own limits (limit_request_line 4094, limit_request_fields 100,
    # limit_request_field_size 8190), checked before the application sees the request
    cases = {
        "a 10 kB request line": (raw_get(f"GET /api/v1/events/?q={'a' * 10_000} HTTP/1.1"), 414),
        "too many headers": (raw_get("GET /healthz HTTP/1.1", [f"X-H{i}: v" for i in range(150)]), 431),
        "a 10 kB header": (raw_get("GET /healthz HTTP/1.1", [f"X-Big: {'b' * 10_000}"]), 431),
        "not HTTP": (b"HELLO\r\n\r\n", 400),
    }
    with gunicorn(workers=1) as server:
        for name, (raw, expected) in cases.items():
            # when
            status, body = send(server.url, raw)  # asserts a JSON Content-Type
            # then
            assert status == expected, name
            assert set(body) == {"code", "detail"} and body["code"] != "server_error", name
            assert "a" * 100 not in body["detail"] and "b" * 100 not in body["detail"], name
