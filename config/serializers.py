"""Input serializers that refuse what they do not know: ``{"evil": 1}`` is 400, not ignored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class RefuseUnknownFieldsMixin:
    """Mix into any input Serializer (simplejwt's too): unknown keys are a 400 ``invalid``.

    The OpenAPI schema marks these request bodies ``additionalProperties: false`` (config/openapi.py),
    so the fuzzer checks that the refusal really happens.
    """

    refuses_unknown_fields = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictInputSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    pass


class ChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField, minus one leak: its refusal quotes the input, and for a JSON object or
    array that quote is a Python repr (``"{'': None}" is not a valid choice.``). Anything but a
    string or a number is refused with a sentence of its own."""

    default_error_messages = {"not_a_choice": "Must be one of: {choices}."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, (str, int, float)):
            self.fail("not_a_choice", choices=", ".join(str(choice) for choice in self.choices))
        return super().to_internal_value(data)
