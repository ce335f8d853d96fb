"""Kestra's date filters: ``date``, ``dateAdd`` and the ``timestamp`` family."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.templating import dates


def date(
    value: Any,
    format: str = "iso",
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
    locale: str | None = None,
) -> str:
    """Format a date with a Java pattern or a named format, in ``timeZone`` (UTC)."""
    zone = dates.zone(timeZone)
    return dates.format_date(dates.parse(value, zone, existingFormat), format, zone)


def date_add(
    value: Any,
    amount: int,
    unit: str,
    format: str = "iso",
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
    locale: str | None = None,
) -> str:
    """Add ``amount`` ChronoUnits (``DAYS``, ``HOURS``...) to a date and format it."""
    zone = dates.zone(timeZone)
    moved = dates.add(dates.parse(value, zone, existingFormat), int(amount), str(unit).upper())
    return dates.format_date(moved, format, zone)


def _timestamp(scale: int) -> Callable[..., int]:
    def timestamp(
        value: Any,
        timeZone: str | None = None,  # noqa: N803
        existingFormat: str | None = None,  # noqa: N803
    ) -> int:
        moment = dates.parse(value, dates.zone(timeZone), existingFormat)
        seconds = int(moment.timestamp())
        return seconds * scale + moment.microsecond * scale // 1_000_000

    timestamp.__doc__ = "Epoch time of a date, in seconds or finer units."
    return timestamp


DATE_FILTERS: dict[str, Callable[..., Any]] = {
    "date": date,
    "dateAdd": date_add,
    "timestamp": _timestamp(1),
    "timestampMilli": _timestamp(1_000),
    "timestampMicro": _timestamp(1_000_000),
    "timestampNano": _timestamp(1_000_000_000),
}
