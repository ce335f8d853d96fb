"""Kestra's JDBC URLs, parsed into what a Python driver needs (and a display without secrets).

``jdbc:postgresql://host:5432/db?sslmode=require``, ``jdbc:mysql://host:3306/db``
(``jdbc:mariadb:`` too), ``jdbc:duckdb:/path/to.db`` (nothing after the colon: in memory),
``jdbc:sqlite:/path/to.db`` (``:memory:`` or nothing: in memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from plugins.jdbc.errors import JdbcUrlError

SECRET_PARAMETERS = frozenset({"password", "motherduck_token", "token", "sslpassword"})
"""Query parameters of a URL that are masked whenever the URL is shown."""


@dataclass(frozen=True)
class JdbcUrl:
    """A parsed JDBC URL: a network server (host, port, database) or a file (path)."""

    scheme: str
    host: str | None = None
    port: int | None = None
    database: str | None = None
    path: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)

    def display(self) -> str:
        """The URL to show in messages: no ``jdbc:`` prefix, secret parameters masked."""
        if self.host is None:
            return f"{self.scheme}:{self.path or ':memory:'}"
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}/{self.database or ''}"

    def secrets(self) -> set[str]:
        """Values in the URL that must never be shown (passwords, tokens)."""
        return {
            value
            for key, value in self.parameters.items()
            if key.lower() in SECRET_PARAMETERS and value
        }


def parse_server_url(url: str, schemes: tuple[str, ...], default_port: int) -> JdbcUrl:
    """Parse ``jdbc:<scheme>://host[:port]/database[?k=v&...]`` for a network database.

    Raises:
        JdbcUrlError: the URL is not one of ``schemes``.
    """
    scheme, rest = _split(url, schemes)
    if not rest.startswith("//"):
        # jdbc:postgresql:database is the local server's database.
        name, _, query = rest.partition("?")
        return JdbcUrl(scheme, "127.0.0.1", default_port, name or None, None, _query(query))
    parts = urlsplit(f"x:{rest}")
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise JdbcUrlError(f"bad port in the JDBC URL {scheme}://{parts.hostname}") from exc
    host = parts.hostname or "127.0.0.1"
    database = unquote(parts.path.lstrip("/")) or None
    parameters = _query(parts.query)
    if parts.username:
        parameters.setdefault("user", unquote(parts.username))
    if parts.password:
        parameters.setdefault("password", unquote(parts.password))
    return JdbcUrl(scheme, host, port, database, None, parameters)


def parse_file_url(url: str | None, schemes: tuple[str, ...]) -> JdbcUrl:
    """Parse ``jdbc:<scheme>:<path>[?k=v]`` for an embedded database (None: in memory).

    Raises:
        JdbcUrlError: the URL is not one of ``schemes``.
    """
    if url is None:
        return JdbcUrl(schemes[0], path=None)
    scheme, rest = _split(url, schemes)
    path, _, query = rest.partition("?")
    if path.startswith("//"):
        path = path[2:]
    memory = path in ("", ":memory:", "memory:")
    return JdbcUrl(scheme, path=None if memory else path, parameters=_query(query))


def _split(url: str, schemes: tuple[str, ...]) -> tuple[str, str]:
    text = url.strip()
    for scheme in schemes:
        prefix = f"jdbc:{scheme}:"
        if text.lower().startswith(prefix):
            return scheme, text[len(prefix) :]
    expected = " or ".join(f"jdbc:{scheme}:..." for scheme in schemes)
    shown = text.split("?", 1)[0]
    raise JdbcUrlError(f"'{shown}' is not a JDBC URL of this database (expected {expected})")


def _query(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))


__all__ = ["JdbcUrl", "parse_file_url", "parse_server_url"]
