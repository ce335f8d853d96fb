"""Running SQL on a connection: statements one by one, with parameters and their outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from plugins.jdbc.dialect import Dialect
from plugins.jdbc.results import FetchType, Row, fetch_outputs
from plugins.jdbc.sqltext import bind, split_statements

Store = Callable[[Iterator[Row]], tuple[str, int]]
"""Writes rows to the internal storage; returns their URI and how many."""


def run_statements(
    dialect: Dialect,
    connection: Any,
    sql: str,
    parameters: Mapping[str, Any],
    fetch_type: FetchType,
    fetch_size: int,
    store: Store,
) -> list[dict[str, Any]]:
    """Run each statement of ``sql``; return the outputs of each one that returned rows."""
    results = []
    for statement in split_statements(sql):
        cursor = dialect.cursor(connection)
        text, values = bind(statement, parameters, dialect.style)
        if values is None:
            cursor.execute(text)
        else:
            cursor.execute(text, values)
        if dialect.returns_rows(cursor, statement):
            results.append(fetch_outputs(cursor, fetch_type, fetch_size, store))
    return results


def in_transaction(dialect: Dialect, connection: Any, work: Callable[[], Any]) -> Any:
    """Run ``work`` between BEGIN and COMMIT; ROLLBACK if it raises."""
    dialect.begin(connection)
    try:
        result = work()
    except BaseException:
        dialect.end(connection, commit=False)
        raise
    dialect.end(connection, commit=True)
    return result


__all__ = ["Store", "in_transaction", "run_statements"]
