"""Structured logs: one JSON object per line, each with the request id of the request it serves.

``request_id`` comes from a context variable that ``config.middleware.RequestIdMiddleware`` sets
for the duration of a request (``None`` outside requests: management commands, gunicorn's own
lines). Extra keys passed with ``logger.info(..., extra={...})`` become top-level keys.

    {"time": "2025-01-01T12:00:00.123Z", "level": "INFO", "logger": "ticketing.seats",
     "message": "seat held", "request_id": "4f0c...", "event_seat": 1234, ...}
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in payload and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(payload, default=str).decode()


class RequestIdFilter(logging.Filter):
    """For plain-text logs: adds ``record.request_id`` so a format string can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


def logging_config(*, level: str = "INFO", fmt: str = "json") -> dict:
    """The LOGGING dict for settings: JSON lines (``fmt="json"``) or readable text."""
    formatter = (
        {"()": "config.logging.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Django's own "Not Found: /x" / "Bad Request" lines duplicate the access log.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }
