"""What a query returns: ``fetchType`` and the outputs Kestra gives for each.

``FETCH_ONE`` outputs ``row`` (the first row), ``FETCH`` outputs ``rows`` and ``size``,
``STORE`` writes every row to a file of the internal storage (Ion text, one struct a line)
and outputs ``uri`` and ``size``; ``NONE`` outputs nothing. Rows are taken from the cursor
``fetchSize`` at a time: DuckDB and SQLite stream them, while the default cursors of psycopg
and PyMySQL already hold the whole result on the client.
"""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from plugins.jdbc.ion import ion_text

Row = dict[str, Any]


class FetchType(StrEnum):
    """How the rows of a query are returned."""

    NONE = "NONE"
    FETCH_ONE = "FETCH_ONE"
    FETCH = "FETCH"
    STORE = "STORE"


def resolve_fetch_type(
    fetch_type: FetchType | None, *, fetch: bool, fetch_one: bool, store: bool
) -> FetchType:
    """``fetchType``, or the deprecated booleans in Kestra's order (fetchOne, store, fetch)."""
    if fetch_type is not None:
        return fetch_type
    if fetch_one:
        return FetchType.FETCH_ONE
    if store:
        return FetchType.STORE
    return FetchType.FETCH if fetch else FetchType.NONE


def column_names(description: Any) -> list[str]:
    """Column names of a DB-API cursor's ``description``."""
    return [str(column[0]) for column in description]


def iterate_rows(cursor: Any, batch: int) -> Iterator[Row]:
    """The rows of a DB-API cursor's current result as dicts, read ``batch`` at a time."""
    names = column_names(cursor.description)
    while True:
        chunk = cursor.fetchmany(batch)
        if not chunk:
            return
        for values in chunk:
            yield dict(zip(names, values, strict=False))


def output_value(value: Any) -> Any:
    """A driver's value as outputs carry it (JSON): dates in ISO 8601, bytes in base64."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(key): output_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [output_value(item) for item in value]
    return str(value)


def output_row(row: Row) -> Row:
    """A row as outputs carry it."""
    return {name: output_value(value) for name, value in row.items()}


def write_ion(rows: Iterator[Row], path: Path) -> int:
    """Write ``rows`` to ``path`` as Ion text, one struct a line; return how many."""
    count = 0
    with path.open("w", encoding="utf-8") as stream:
        for row in rows:
            stream.write(ion_text(row))
            stream.write("\n")
            count += 1
    return count


def fetch_outputs(
    cursor: Any,
    fetch_type: FetchType,
    fetch_size: int,
    store: Callable[[Iterator[Row]], tuple[str, int]],
) -> dict[str, Any]:
    """The outputs of the cursor's current result for ``fetch_type``.

    ``store`` writes rows to the internal storage and returns their URI and count.
    """
    if cursor.description is None or fetch_type == FetchType.NONE:
        return {}
    if fetch_type == FetchType.FETCH_ONE:
        first = cursor.fetchone()
        names = column_names(cursor.description)
        row = None if first is None else output_row(dict(zip(names, first, strict=False)))
        return {"row": row, "size": 0 if row is None else 1}
    if fetch_type == FetchType.FETCH:
        rows = [output_row(row) for row in iterate_rows(cursor, fetch_size)]
        return {"rows": rows, "size": len(rows)}
    uri, size = store(iterate_rows(cursor, fetch_size))
    return {"uri": uri, "size": size}


def store_name() -> str:
    """A fresh file name for stored rows (Kestra names them by a random id too)."""
    return f"{uuid.uuid4().hex}.ion"


__all__ = [
    "FetchType",
    "Row",
    "column_names",
    "fetch_outputs",
    "iterate_rows",
    "output_row",
    "output_value",
    "resolve_fetch_type",
    "store_name",
    "write_ion",
]
