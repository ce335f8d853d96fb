"""Dates as Kestra's Pebble functions see them: Java patterns, zones and ChronoUnits.

Formats are Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``) or
Kestra's named formats (``iso``, ``sql``, ``iso_instant``...), interpreted here directly
rather than through ``strftime`` so that ``SSS``, ``XXX`` and quoting mean what they mean
in Java. Names of months and days are English. With no ``timeZone`` the zone is UTC, as on
a Kestra server running in UTC.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orchestrator.templating.values import format_datetime

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]
_MONTHS += ["September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}
_OFFSET = re.compile(r"^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_ZONE_SUFFIX = re.compile(r"\[([^\]]+)\]$")
_STYLES = {
    "short": "M/d/yy, h:mm a",
    "medium": "MMM d, y, h:mm:ss a",
    "long": "MMMM d, y 'at' h:mm:ss a z",
    "full": "EEEE, MMMM d, y 'at' h:mm:ss a zzzz",
}
_PATTERNS = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
    **_STYLES,
}
_STRPTIME = {"y": "%Y", "u": "%Y", "M": "%m", "d": "%d", "H": "%H", "h": "%I", "m": "%M"}
_STRPTIME |= {"s": "%S", "S": "%f", "a": "%p", "D": "%j", "X": "%z", "x": "%z", "Z": "%z"}

Token = str | tuple[str, int]


def zone(name: str | None) -> tzinfo:
    """Resolve a Java zone id (``Europe/Paris``, ``UTC``, ``+02:00``); None means UTC.

    Raises:
        ValueError: the zone is unknown.
    """
    if name is None or name in ("UTC", "Z", "GMT", "UT"):
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{name}'") from exc


def parse(value: Any, tz: tzinfo, existing_format: str | None = None) -> datetime:
    """Read a date the way Kestra's date filters accept it.

    Datetimes pass through, dates mean noon, integers are epoch seconds, and strings are
    ISO-8601 with or without an offset (or follow ``existing_format``); a missing offset
    means ``tz``.

    Raises:
        ValueError: the value is not a date.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12, tzinfo=tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz)
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    if existing_format is not None:
        parsed = datetime.strptime(text, _strptime_pattern(existing_format))
    else:
        region = _ZONE_SUFFIX.search(text)
        if region:
            text = text[: region.start()]
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text))
        if region and parsed.tzinfo is not None:
            return parsed.astimezone(zone(region.group(1)))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def format_date(value: datetime, pattern: str, tz: tzinfo) -> str:
    """Format a date in ``tz`` with a Java pattern or one of Kestra's named formats.

    Raises:
        ValueError: the pattern is invalid.
    """
    value = value.astimezone(tz)
    named = _NAMED.get(pattern)
    if named is not None:
        return named(value)
    return "".join(
        token if isinstance(token, str) else _field(value, *token)
        for token in _compile(_PATTERNS.get(pattern, pattern))
    )


def add(value: datetime, amount: int, unit: str) -> datetime:
    """Add an amount of a Java ``ChronoUnit`` (``DAYS``, ``HOURS``, ``MONTHS``...).

    Units of a day or more follow the calendar (the local time stays the same across a
    daylight-saving change); shorter ones add an exact duration.

    Raises:
        ValueError: the unit is unknown.
    """
    exact = {"NANOS": 1e-9, "MICROS": 1e-6, "MILLIS": 1e-3, "SECONDS": 1, "MINUTES": 60}
    exact |= {"HOURS": 3600, "HALF_DAYS": 43200}
    if unit in exact:
        delta = timedelta(seconds=amount * exact[unit])
        return (value.astimezone(UTC) + delta).astimezone(value.tzinfo)
    if unit in ("DAYS", "WEEKS"):
        return value + timedelta(days=amount * (7 if unit == "WEEKS" else 1))
    months = {"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}
    if unit not in months:
        raise ValueError(f"unknown time unit '{unit}'")
    total = value.year * 12 + value.month - 1 + amount * months[unit]
    year, month = divmod(total, 12)
    day = min(value.day, monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = i + 1
            text: list[str] = []
            while end < len(pattern):
                if pattern[end] == "'":
                    if pattern.startswith("''", end):
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            if end >= len(pattern) and not pattern.startswith("''", i):
                raise ValueError(f"unterminated quote in date pattern '{pattern}'")
            tokens.append("".join(text) or "'")
            i = end + 1
        elif char.isascii() and char.isalpha():
            run = len(pattern[i:]) - len(pattern[i:].lstrip(char))
            tokens.append((char, run))
            i += run
        elif char in "#{}":
            raise ValueError(f"reserved character {char!r} in date pattern '{pattern}'")
        else:
            if char not in "[]":
                tokens.append(char)
            i += 1
    return tuple(tokens)


def _strptime_pattern(pattern: str) -> str:
    out: list[str] = []
    for token in _compile(_PATTERNS.get(pattern, pattern)):
        if isinstance(token, str):
            out.append(token.replace("%", "%%"))
            continue
        letter, count = token
        if letter in "yu" and count == 2:
            out.append("%y")
        elif letter == "M" and count >= 3:
            out.append("%b" if count == 3 else "%B")
        elif letter == "E":
            out.append("%a" if count <= 3 else "%A")
        elif letter in _STRPTIME:
            out.append(_STRPTIME[letter])
        else:
            raise ValueError(f"pattern letter '{letter}' cannot be parsed")
    return "".join(out)


def _pad(number: int, count: int) -> str:
    return str(number).zfill(count)


def _offset(value: datetime, count: int, zulu: bool) -> str:
    delta = value.utcoffset() or timedelta()
    seconds = int(delta.total_seconds())
    if seconds == 0 and zulu:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    colon = ":" if count in (3, 5) else ""
    if count == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    text = f"{sign}{hours:02d}{colon}{minutes:02d}"
    return text + (f"{colon}{secs:02d}" if count >= 4 and secs else "")


def _field(value: datetime, letter: str, count: int) -> str:
    if letter in "yuY":
        year = value.isocalendar()[0] if letter == "Y" else value.year
        return f"{year % 100:02d}" if count == 2 else _pad(year, count)
    if letter in "ML":
        if count >= 3:
            name = _MONTHS[value.month - 1]
            return {3: name[:3], 4: name}.get(count, name[0])
        return _pad(value.month, count)
    if letter in "Eec" and (letter == "E" or count >= 3):
        name = _DAYS[value.weekday()]
        return name if count == 4 else name[0] if count == 5 else name[:3]
    simple = {
        "d": value.day,
        "D": value.timetuple().tm_yday,
        "H": value.hour,
        "k": value.hour or 24,
        "K": value.hour % 12,
        "h": value.hour % 12 or 12,
        "m": value.minute,
        "s": value.second,
        "e": (value.weekday() + 1) % 7 + 1,
        "c": (value.weekday() + 1) % 7 + 1,
        "w": value.isocalendar()[1],
        "n": value.microsecond * 1000,
        "A": (value.hour * 3600 + value.minute * 60 + value.second) * 1000
        + value.microsecond // 1000,
    }
    if letter in simple:
        return _pad(simple[letter], count)
    if letter in "Qq":
        quarter = (value.month - 1) // 3 + 1
        if count == 3:
            return f"Q{quarter}"
        return f"{_ORDINALS[quarter]} quarter" if count == 4 else _pad(quarter, count)
    if letter == "S":
        return f"{value.microsecond * 1000:09d}".ljust(count, "0")[:count]
    if letter == "a":
        return "AM" if value.hour < 12 else "PM"
    if letter == "G":
        return "Anno Domini" if count == 4 else "AD"
    if letter in "Xx":
        return _offset(value, count, zulu=letter == "X")
    if letter == "Z":
        if count == 4:
            return "GMT" + ("" if not value.utcoffset() else _offset(value, 3, False))
        return _offset(value, 3, True) if count == 5 else _offset(value, 2, False)
    if letter == "O":
        return "GMT" + (
            "" if not value.utcoffset() else _offset(value, 3 if count == 4 else 1, False)
        )
    if letter == "V":
        return _zone_id(value)
    if letter == "z":
        return value.tzname() or _zone_id(value)
    raise ValueError(f"unknown pattern letter '{letter}'")


def _zone_id(value: datetime) -> str:
    if isinstance(value.tzinfo, ZoneInfo):
        return value.tzinfo.key
    return _offset(value, 3, True)


def _local_time(value: datetime) -> str:
    text = value.strftime("%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def _region(value: datetime) -> str:
    return f"[{value.tzinfo.key}]" if isinstance(value.tzinfo, ZoneInfo) else ""


def _instant(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC))


def _rfc_1123(value: datetime) -> str:
    offset = "GMT" if not value.utcoffset() else _offset(value, 2, False)
    day = _DAYS[value.weekday()][:3]
    month = _MONTHS[value.month - 1][:3]
    return f"{day}, {value.day} {month} {value.year} {value.strftime('%H:%M:%S')} {offset}"


_NAMED: dict[str, Callable[[datetime], str]] = {
    "iso_local_date": lambda v: v.date().isoformat(),
    "iso_date": lambda v: v.date().isoformat() + _offset(v, 3, True),
    "iso_local_time": _local_time,
    "iso_time": lambda v: _local_time(v) + _offset(v, 3, True),
    "iso_offset_time": lambda v: _local_time(v) + _offset(v, 3, True),
    "iso_local_date_time": lambda v: f"{v.date().isoformat()}T{_local_time(v)}",
    "iso_offset_date_time": lambda v: (
        f"{v.date().isoformat()}T{_local_time(v)}" + _offset(v, 3, True)
    ),
    "iso_date_time": lambda v: (
        f"{v.date().isoformat()}T{_local_time(v)}" + _offset(v, 3, True) + _region(v)
    ),
    "iso_zoned_date_time": lambda v: (
        f"{v.date().isoformat()}T{_local_time(v)}" + _offset(v, 3, True) + _region(v)
    ),
    "iso_instant": _instant,
    "iso_ordinal_date": lambda v: f"{v.year}-{v.timetuple().tm_yday:03d}" + _offset(v, 3, True),
    "iso_week_date": lambda v: "{}-W{:02d}-{}".format(*v.isocalendar()) + _offset(v, 3, True),
    "rfc_1123_date_time": _rfc_1123,
}
