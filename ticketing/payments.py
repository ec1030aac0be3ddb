"""The payment gateway interface, the fake gateway, and the setting that chooses one.

A gateway adapter does two things, both retry-safe through an idempotency key the caller
chooses: ``charge`` money from a payment token, and ``refund`` a charge. It never touches the
database and is never called while a database transaction is open (see services/payments.py).

``TICKETING_PAYMENT_GATEWAY`` is the dotted path of the class (default: ``FakeGateway``).
What a real provider adapter needs is in DESIGN.md §7 ("Payments").
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from config.errors import PaymentDeclined, PaymentUnavailable


@dataclass(frozen=True)
class Charge:
    charge_id: str


@dataclass(frozen=True)
class Refund:
    refund_id: str


class PaymentGateway(ABC):
    """What every provider adapter implements. Amounts are Decimal in ``currency`` units."""

    #: Stored on each Payment row, so that a refund goes back to the gateway that charged.
    name: ClassVar[str]
    #: Token used when the client sends none (only the fake gateway has one).
    default_token: ClassVar[str | None] = None

    @abstractmethod
    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str],
    ) -> Charge:
        """Take ``amount`` from the payment method behind ``token``.

        The same ``idempotency_key`` must return the first attempt's outcome and never charge
        twice. Raises PaymentDeclined (a definitive no) or PaymentUnavailable (unknown or
        transient: the caller may retry with the same key).
        """

    @abstractmethod
    def refund(self, *, charge_id: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
        """Give ``amount`` of the charge back; the same key never refunds twice.

        Raises PaymentUnavailable when the outcome is unknown (retry with the same key).
        """


@dataclass
class FakeGateway(PaymentGateway):
    """A deterministic, in-process gateway for the demo and the tests.

    Tokens (anything else is declined as ``invalid_token``):

    - ``tok_ok`` (the default), or any token starting with ``tok_ok``: the charge succeeds;
    - ``tok_declined``: declined, ``card_declined``;
    - ``tok_insufficient_funds``: declined, ``insufficient_funds``;
    - ``tok_unavailable``: the gateway is down (503 ``payment_unavailable``, nothing charged).

    Charge and refund ids are derived from the idempotency key, so a retry with the same key
    is the same charge even across processes. ``calls`` records the last ``CALLS_KEPT`` calls
    for the tests (bounded: the demo server runs for days and the benchmark charges thousands).
    """

    name: ClassVar[str] = "fake"
    default_token: ClassVar[str | None] = "tok_ok"  # noqa: S105 - a fake card, not a secret
    DECLINES: ClassVar[dict[str, str]] = {
        "tok_declined": "card_declined",
        "tok_insufficient_funds": "insufficient_funds",
    }
    CALLS_KEPT: ClassVar[int] = 1000

    calls: list[tuple[str, str, Decimal]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _record(self, kind: str, key: str, amount: Decimal) -> None:
        with self._lock:
            self.calls.append((kind, key, amount))
            del self.calls[: -self.CALLS_KEPT]

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str],
    ) -> Charge:
        self._record("charge", idempotency_key, amount)
        if token == "tok_unavailable":  # noqa: S105 - a documented fake token
            raise PaymentUnavailable()
        if token in self.DECLINES:
            raise PaymentDeclined(decline_code=self.DECLINES[token])
        if not token.startswith("tok_ok"):
            raise PaymentDeclined("The payment token is not valid.", decline_code="invalid_token")
        digest = hashlib.sha256(f"charge:{idempotency_key}".encode()).hexdigest()[:24]
        return Charge(charge_id=f"fake_ch_{digest}")

    def refund(self, *, charge_id: str, amount: Decimal, currency: str, idempotency_key: str) -> Refund:
        self._record("refund", idempotency_key, amount)
        digest = hashlib.sha256(f"refund:{idempotency_key}".encode()).hexdigest()[:24]
        return Refund(refund_id=f"fake_re_{digest}")


@cache
def _gateway(path: str) -> PaymentGateway:
    return import_string(path)()


def payment_gateway() -> PaymentGateway:
    """The configured gateway (one instance per process and setting)."""
    return _gateway(settings.TICKETING_PAYMENT_GATEWAY)
