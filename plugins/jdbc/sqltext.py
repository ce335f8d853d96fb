"""SQL text: split a script into statements and bind Kestra's ``:name`` parameters.

Both walk the text once, skipping what is quoted ('...', "...", `...`, $tag$...$tag$) or
commented (-- and /* */), so a ``;`` or ``:x`` inside a literal is left alone, and
PostgreSQL's ``::type`` cast is not a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from plugins.jdbc.errors import JdbcQueryError

ParamStyle = Literal["pyformat", "dollar", "named"]
"""How a driver spells a named parameter: ``%(x)s`` (psycopg, PyMySQL), ``$x`` (DuckDB),
``:x`` (sqlite3)."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class _Piece:
    """A run of SQL text: code (where ``;`` and ``:x`` mean something) or quoted text."""

    text: str
    code: bool


def _pieces(sql: str) -> Iterator[_Piece]:
    index, start, length = 0, 0, len(sql)
    while index < length:
        char = sql[index]
        end = None
        if char in "'\"`":
            end = _closing(sql, index + 1, char)
        elif sql.startswith("--", index):
            newline = sql.find("\n", index)
            end = length if newline < 0 else newline
        elif sql.startswith("/*", index):
            close = sql.find("*/", index + 2)
            end = length if close < 0 else close + 2
        elif char == "$" and (tag := _DOLLAR_TAG.match(sql, index)):
            close = sql.find(tag.group(0), tag.end())
            end = length if close < 0 else close + len(tag.group(0))
        if end is None:
            index += 1
            continue
        if index > start:
            yield _Piece(sql[start:index], True)
        yield _Piece(sql[index:end], False)
        index = start = end
    if start < length:
        yield _Piece(sql[start:], True)


def _closing(sql: str, index: int, quote: str) -> int:
    while True:
        found = sql.find(quote, index)
        if found < 0:
            return len(sql)
        if sql.startswith(quote * 2, found):  # a doubled quote is an escaped one
            index = found + 2
            continue
        return found + 1


def split_statements(sql: str) -> list[str]:
    """Split a script on the ``;`` outside literals and comments; empty statements dropped."""
    statements, current = [], []
    for piece in _pieces(sql):
        if not piece.code:
            current.append(piece.text)
            continue
        parts = piece.text.split(";")
        current.append(parts[0])
        for part in parts[1:]:
            statements.append("".join(current))
            current = [part]
    statements.append("".join(current))
    return [statement.strip() for statement in statements if _has_code(statement)]


def _has_code(statement: str) -> bool:
    return any(piece.code and piece.text.strip() for piece in _pieces(statement))


def bind(
    sql: str, parameters: Mapping[str, Any], style: ParamStyle
) -> tuple[str, dict[str, Any] | None]:
    """Rewrite ``:name`` parameters in the driver's style; return the SQL and its values.

    Without parameters (or none used) the SQL is returned untouched, with None.

    Raises:
        JdbcQueryError: the SQL uses a parameter missing from ``parameters``.
    """
    if not parameters:
        return sql, None
    used: dict[str, Any] = {}
    out: list[str] = []
    for piece in _pieces(sql):
        out.append(
            piece.text if not piece.code else _bind_code(piece.text, parameters, used, style)
        )
    if not used:
        return sql, None
    text = "".join(out)
    if style == "pyformat":
        text = _escape_percent(text)
    return text, used


def _bind_code(
    code: str, parameters: Mapping[str, Any], used: dict[str, Any], style: ParamStyle
) -> str:
    out, index = [], 0
    while index < len(code):
        char = code[index]
        name = _NAME.match(code, index + 1) if char == ":" else None
        follows_colon = index > 0 and code[index - 1] == ":"
        if name is None or follows_colon or code.startswith("::", index):
            out.append(char)
            index += 1
            continue
        key = name.group(0)
        if key not in parameters:
            raise JdbcQueryError(f"the SQL uses the parameter ':{key}', absent from parameters")
        used[key] = parameters[key]
        out.append({"pyformat": f"\x00({key})s", "dollar": f"${key}", "named": f":{key}"}[style])
        index = name.end()
    return "".join(out)


def _escape_percent(text: str) -> str:
    # A literal % must be doubled once the driver formats parameters; the markers put in by
    # _bind_code (a NUL before them, which SQL text cannot hold) become real placeholders.
    return text.replace("%", "%%").replace("\x00", "%")


def first_keyword(statement: str) -> str:
    """The statement's first word outside comments, upper-cased (``SELECT``, ``INSERT``)."""
    for piece in _pieces(statement):
        if piece.code and (word := _NAME.search(piece.text)):
            return word.group(0).upper()
        if not piece.code and not piece.text.startswith(("--", "/*")):
            return ""
    return ""


__all__ = ["ParamStyle", "bind", "first_keyword", "split_statements"]
