"""The one parse step every API request body goes through: JSON, bounded, storable.

DRF's own JSONParser catches ``ValueError`` only: ``"[" * 1000`` raised ``RecursionError`` (a
500), integers past 64 bits and lone surrogates (``"\\ud800"``) reached the serializers and then
failed elsewhere (the Idempotency-Key fingerprint, the database). Here, before any view sees it
(``JsonBodyMiddleware`` runs it on every JSON body sent to the API):

- the text is UTF-8 JSON; ``NaN``, ``Infinity`` and numbers that overflow a double are refused;
  the size is bounded earlier, by ``BodySizeLimitMiddleware``;
- nesting is at most ``API_JSON_MAX_DEPTH`` arrays/objects (the deepest valid body, a hall
  layout, has 4);
- every integer fits a signed 64-bit column (the widest the database stores);
- every string and key is valid Unicode text: no lone surrogate (``"\\ud800"``).

Anything else is a ``ParseError``, answered as ``400 invalid`` by the one exception handler.
The standard library's decoder is used, not orjson: orjson silently reads an integer past
64 bits as a float, which no bound can then see.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _bounded_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise ParseError("A number in the body is too large to be stored.") from exc
    if not INT_MIN <= value <= INT_MAX:
        raise ParseError("A number in the body is too large to be stored.")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ParseError("A number in the body is too large.")
    return value


def _no_constant(name: str) -> Any:
    raise ParseError(f"{name} is not a JSON number.")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError("A string in the body is not valid Unicode text.") from exc


def json_body_check(data: Any, *, max_depth: int) -> None:
    """Raise ParseError if ``data`` nests deeper than ``max_depth`` or holds a string that is
    not valid Unicode. Iterative: no depth of input can exhaust the Python stack."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            for key in value:
                _check_text(key)
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            if isinstance(value, str):
                _check_text(value)
            continue
        if depth > max_depth:
            raise ParseError(f"JSON nested deeper than {max_depth} levels.")
        pending.extend((child, depth + 1) for child in children)


def json_body_parse(raw: bytes) -> Any:
    """The parse step: strict JSON, then ``json_body_check``; ParseError on anything else."""
    try:
        data = json.loads(
            raw.decode("utf-8"),
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except RecursionError as exc:  # nesting deeper than the decoder's own limit
        raise ParseError(f"JSON nested deeper than {settings.API_JSON_MAX_DEPTH} levels.") from exc
    except UnicodeDecodeError as exc:
        raise ParseError("The body is not UTF-8 text.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    json_body_check(data, max_depth=settings.API_JSON_MAX_DEPTH)
    return data


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


PARSED = "api_json_body"  # the attribute JsonBodyMiddleware sets on the Django request


class HardenedJSONParser(JSONParser):
    """DRF's DEFAULT_PARSER_CLASSES: the body ``JsonBodyMiddleware`` already parsed (every JSON
    body of an API request, whether its view reads it or not), else the stream, parsed the
    same way."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        request = (parser_context or {}).get("request")
        django_request = getattr(request, "_request", None)
        if django_request is not None and hasattr(django_request, PARSED):
            return getattr(django_request, PARSED)
        return json_body_parse(stream.read() if stream is not None else b"")
