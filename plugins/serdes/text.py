"""Ion values as JSON or as CSV/Excel text: what formats without Ion's types get."""

from __future__ import annotations

import base64
import datetime
import json
from decimal import Decimal
from typing import Any


def json_default(value: Any) -> Any:
    """``json.dumps``'s fallback: timestamps in ISO 8601, decimals as numbers, bytes base64."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not serialisable")


def to_json(value: Any) -> str:
    """One value as compact JSON text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=json_default)


def as_text(value: Any) -> str:
    """One field as CSV text: empty for null, JSON for maps and lists, ISO for timestamps."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return to_json(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return str(json_default(value))
    return str(value)


__all__ = ["as_text", "json_default", "to_json"]
