"""Signed ticket codes a gate can verify offline, and their QR codes.

A code is ``base64url(payload || signature)`` without padding, 119 characters:

    payload   = version (1 byte, = 1) | event id | event seat id | booking id   (3 × uint64, big-endian)
    signature = Ed25519 over b"ticket:" + payload                               (64 bytes)

A ticket given to another account by a transfer gets a version-2 code, 124 characters: the same
fields, then its generation (uint32, 1 for the first transfer of the seat in that booking, 2
for the next...), so each owner's code differs and the old one can be refused at the gate.

A scanner that holds only the public key (``ticket_public_key_b64``) can tell a genuine ticket
from a forged one and read which event and seat it is for, with no network. Whether the ticket
was since cancelled or already scanned is the server's answer (services/checkin.py). The
private key is the ``TICKETING_SIGNING_KEY`` setting (base64 of a 32-byte Ed25519 seed).
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from dataclasses import dataclass
from functools import cache

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from config.errors import Invalid

CODE_VERSION = 1
TRANSFERRED_CODE_VERSION = 2
_PAYLOAD = struct.Struct(">BQQQ")
_PAYLOAD_V2 = struct.Struct(">BQQQI")
_SIGNATURE_BYTES = 64
_CONTEXT = b"ticket:"


@dataclass(frozen=True)
class TicketClaims:
    """What a verified code says, before any database lookup."""

    event_id: int
    event_seat_id: int
    booking_id: int
    generation: int = 0  # how many transfers of the seat in its booking came before this code


@cache
def _private_key(seed_b64: str) -> Ed25519PrivateKey:
    if not seed_b64:
        raise ImproperlyConfigured("TICKETING_SIGNING_KEY must be set (base64 of 32 random bytes).")
    try:
        seed = base64.b64decode(seed_b64, validate=True)
    except binascii.Error:
        seed = b""
    if len(seed) != 32:
        raise ImproperlyConfigured("TICKETING_SIGNING_KEY must be base64 of exactly 32 bytes.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _signing_key() -> Ed25519PrivateKey:
    return _private_key(settings.TICKETING_SIGNING_KEY)


@cache
def _public_key(seed_b64: str) -> Ed25519PublicKey:
    return _private_key(seed_b64).public_key()


def ticket_public_key_b64() -> str:
    """The raw 32-byte Ed25519 public key, base64: what a gate scanner needs to verify offline."""
    raw = _public_key(settings.TICKETING_SIGNING_KEY).public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def ticket_code_sign(*, event_id: int, event_seat_id: int, booking_id: int, generation: int = 0) -> str:
    """The signed code of the ticket for ``event_seat_id`` in ``booking_id``; ``generation``: the
    ticket's place among the transfers of that seat (0, the booking's own ticket: a version-1 code)."""
    if generation:
        payload = _PAYLOAD_V2.pack(TRANSFERRED_CODE_VERSION, event_id, event_seat_id, booking_id, generation)
    else:
        payload = _PAYLOAD.pack(CODE_VERSION, event_id, event_seat_id, booking_id)
    signature = _signing_key().sign(_CONTEXT + payload)
    return base64.urlsafe_b64encode(payload + signature).rstrip(b"=").decode()


def ticket_code_verify(code: object) -> TicketClaims:
    """Check the signature of a scanned code; raise Invalid for anything not signed by us."""
    forged = Invalid("This is not a valid ticket code.", fields={"code": ["Not a genuine ticket."]})
    if not isinstance(code, str) or len(code) > 200:
        raise forged
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        raise forged from None
    layout = {_PAYLOAD.size + _SIGNATURE_BYTES: _PAYLOAD, _PAYLOAD_V2.size + _SIGNATURE_BYTES: _PAYLOAD_V2}
    struct_ = layout.get(len(raw))
    if struct_ is None:
        raise forged
    payload, signature = raw[: struct_.size], raw[struct_.size :]
    try:
        _public_key(settings.TICKETING_SIGNING_KEY).verify(signature, _CONTEXT + payload)
    except InvalidSignature:
        raise forged from None
    version, event_id, event_seat_id, booking_id, *rest = struct_.unpack(payload)
    generation = rest[0] if rest else 0
    expected = TRANSFERRED_CODE_VERSION if struct_ is _PAYLOAD_V2 else CODE_VERSION
    if version != expected or (struct_ is _PAYLOAD_V2 and generation < 1):
        raise forged
    return TicketClaims(
        event_id=event_id, event_seat_id=event_seat_id, booking_id=booking_id, generation=generation
    )


def ticket_qr_svg(code: str, *, scale: int = 4, standalone: bool = False) -> str:
    """The code as an SVG QR code (error correction M, a quiet zone of 4 modules).

    Inline (for a page): a ``viewBox`` and no size, so CSS sizes it. ``standalone`` (a file, an
    email attachment): an SVG document with its width and height.
    """
    qr = segno.make(code, error="m", micro=False)
    if not standalone:
        return qr.svg_inline(scale=scale, dark="#000", light="#fff", border=4, omitsize=True)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=scale, dark="#000", light="#fff", border=4, xmldecl=True)
    return buffer.getvalue().decode()


@register("ticketing", deploy=True)
def check_signing_key(app_configs, **kwargs) -> list[Error]:
    """``check --deploy``: tickets cannot be signed without a key."""
    try:
        _signing_key()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="Set TICKETING_SIGNING_KEY.", id="ticketing.E001")]
    return []
