"""ISO-8601 durations (``PT1M30S``), as Kestra writes timeouts, intervals and delays."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

import isodate
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_SECONDS = re.compile(r"^\d+(\.\d+)?$")


def parse_duration(value: Any) -> timedelta:
    """Parse an ISO-8601 duration (``PT0.25S``, ``P1D``) or a number of seconds.

    Kestra accepts lower-case unit letters (``PT0.25s``), so the text is upper-cased first.
    Calendar units (years, months) have no fixed length and are refused.

    Raises:
        ValueError: the value is not a duration.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    text = value.strip().upper()
    if _SECONDS.match(text):
        return timedelta(seconds=float(text))
    try:
        parsed = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(f"not an ISO-8601 duration such as PT30S or P1D: {value!r}") from exc
    if not isinstance(parsed, timedelta):
        raise ValueError(f"durations in years or months have no fixed length: {value!r}")
    return parsed


def format_duration(value: timedelta) -> str:
    """Format a timedelta as an ISO-8601 duration (``PT1M30S``)."""
    text: str = isodate.duration_isoformat(value)
    return text


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration"}),
]
"""A timedelta read from and written as an ISO-8601 duration."""


def _duration_or_template(value: Any) -> timedelta | str:
    if isinstance(value, str) and "{{" in value:
        return value
    return parse_duration(value)


def _format_duration_or_template(value: timedelta | str) -> str:
    return value if isinstance(value, str) else format_duration(value)


DurationOrTemplate = Annotated[
    timedelta | str,
    BeforeValidator(_duration_or_template),
    PlainSerializer(_format_duration_or_template, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration"}),
]
"""A duration, or a template that renders to one at run time (``"{{ inputs.delay }}"``)."""
