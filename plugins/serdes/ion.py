"""Kestra's row files: Amazon Ion text, one value per line.

Reading goes line by line, so a file of any size streams: a line that is JSON (Ion's JSON
subset, what most rows are) is parsed by the standard library, any other Ion line
(``{id:1,at:2024-01-01T00:00:00Z}``, as Kestra writes) by ``amazon.ion``. Writing keeps
each row JSON when it has only JSON values, so Kestrel's core item tasks read it, and
writes the rest (timestamps, decimals, bytes) as Ion text.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from types import ModuleType
from typing import IO, Any

from plugins.extras import require
from plugins.serdes.errors import SerdesError

_VERSION_MARKER = "$ion_1_0"
_DATE_PRECISIONS = ("YEAR", "MONTH", "DAY")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _simpleion(task_type: str) -> ModuleType:
    return require("amazon.ion.simpleion", extra="serdes", task_type=task_type)


def read_rows(lines: Iterable[str], source: str, task_type: str) -> Iterator[Any]:
    """Yield the value of each non-empty line of an Ion text file, as plain Python values.

    Args:
        lines: the file's text lines (a text stream).
        source: the file's URI, named in errors.
        task_type: the task reading, named if the driver is missing.

    Raises:
        SerdesError: a line is not an Ion value.
    """
    simpleion: ModuleType | None = None
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text == _VERSION_MARKER:
            continue
        try:
            yield json.loads(text)
            continue
        except ValueError:
            pass
        if simpleion is None:
            simpleion = _simpleion(task_type)
        try:
            value = simpleion.loads(text)
        except Exception as exc:  # amazon.ion raises bare exceptions of several kinds
            raise SerdesError(f"{source} line {number} is not an Ion value: {exc}") from exc
        yield plain(value)


def plain(value: Any) -> Any:
    """Turn amazon.ion's values (IonPy types, Timestamp, null) into plain Python ones."""
    kind = type(value).__name__
    if value is None or kind == "IonPyNull":
        return None
    if kind == "IonPySymbol" or kind == "SymbolToken":  # a named tuple of (text, sid, ...)
        return str(value.text)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, bool) or kind == "IonPyBool":  # IonPyBool subclasses int
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Decimal):
        return Decimal(value)
    if isinstance(value, datetime.datetime):
        if getattr(getattr(value, "precision", None), "name", None) in _DATE_PRECISIONS:
            return value.date()
        return datetime.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            value.tzinfo,
        )
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def dumps_row(value: Any, task_type: str) -> str:
    """One row as a line of Ion text (JSON when it holds only JSON values), newline ended."""
    try:
        return _JSON.encode(value) + "\n"
    except (TypeError, ValueError):
        pass
    text: str = _simpleion(task_type).dumps(
        _ion_ready(value, task_type), binary=False, omit_version_marker=True
    )
    return text + "\n"


def _ion_ready(value: Any, task_type: str) -> Any:
    """Values amazon.ion cannot write as they are: dates (a day-precise timestamp), times."""
    if isinstance(value, Mapping):
        return {str(key): _ion_ready(item, task_type) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_ion_ready(item, task_type) for item in value]
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        core = require("amazon.ion.core", extra="serdes", task_type=task_type)
        return core.Timestamp(
            value.year, value.month, value.day, precision=core.TimestampPrecision.DAY
        )
    if isinstance(value, datetime.time):
        return value.isoformat()
    return value


def write_rows(rows: Iterable[Any], out: IO[str], task_type: str) -> int:
    """Write ``rows`` to a text stream, one per line; return how many."""
    count = 0
    for row in rows:
        out.write(dumps_row(row, task_type))
        count += 1
    return count


__all__ = ["dumps_row", "plain", "read_rows", "write_rows"]
