"""Rows as Amazon Ion text, one struct a line: Kestra's internal row format.

Ion text is a superset of JSON, so strings and structs are written as JSON writes them;
what JSON lacks is written in Ion's own syntax: timestamps, decimals, floats with an
exponent, blobs. The serdes tasks and ``ionToJson`` read these files back.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def ion_text(value: Any) -> str:
    """Return ``value`` (a row value from a database driver) as Ion text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat() + "T"
    if isinstance(value, bytes | bytearray | memoryview):
        return "{{" + base64.b64encode(bytes(value)).decode("ascii") + "}}"
    if isinstance(value, Mapping):
        fields = ",".join(f"{_string(str(key))}:{ion_text(item)}" for key, item in value.items())
        return "{" + fields + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(ion_text(item) for item in value) + "]"
    if isinstance(value, time | timedelta):
        return _string(str(value))
    return _string(str(value))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = repr(value)
    return text if "e" in text else f"{text}e0"


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        return _string(str(value))
    sign, digits, exponent = value.as_tuple()
    coefficient = "".join(str(digit) for digit in digits) or "0"
    return f"{'-' if sign else ''}{coefficient}d{exponent}"


def _timestamp(value: datetime) -> str:
    text = value.isoformat()
    # Ion requires an offset; a naive value is local to the server: Ion's "-00:00" says so.
    return text if value.tzinfo is not None else f"{text}-00:00"


__all__ = ["ion_text"]
