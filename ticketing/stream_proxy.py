"""The GRIP proxy (Pushpin) as the stream publisher and the stream view see it.

``GRIP_URL`` (e.g. ``http://127.0.0.1:5561?key=<secret>``) names the proxy's publish endpoint
and the key it signs forwarded requests with (``Grip-Sig``, Pushpin's ``sig_key``). Unset: no
proxy, the stream endpoint answers 204 and clients poll the map (the SQLite demo).
gripcontrol (the GRIP library Pushpin's authors keep) does the protocol.
"""

from __future__ import annotations

from django.conf import settings
from gripcontrol import GripPubControl, parse_grip_uri, validate_sig


def grip_config() -> dict | None:
    return parse_grip_uri(settings.GRIP_URL) if settings.GRIP_URL else None


def grip_proxied(request) -> bool:
    """The request came through our GRIP proxy: its Grip-Sig verifies with the proxy's key.
    Without a key in GRIP_URL, any request bearing a Grip-Sig is taken as proxied."""
    config = grip_config()
    token = request.headers.get("Grip-Sig")
    if config is None or not token:
        return False
    key = config.get("key")
    return True if key is None else validate_sig(token, key)


class GripPusher:
    """Pushes SSE text to a channel's subscribers through the proxy's HTTP publish endpoint."""

    def __init__(self, config: dict) -> None:
        self.control = GripPubControl(config)

    def push(self, channel: str, content: str) -> None:
        self.control.publish_http_stream(channel, content, blocking=True)

    def close(self) -> None:
        self.control.finish()


def grip_pusher() -> GripPusher | None:
    config = grip_config()
    return GripPusher(config) if config else None
