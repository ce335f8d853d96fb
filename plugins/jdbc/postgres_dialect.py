"""PostgreSQL on psycopg 3, pooled by psycopg-pool (one pool per URL and user)."""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from plugins.extras import require
from plugins.jdbc.dialect import Dialect, Target
from plugins.jdbc.pools import MAX_IDLE, pool_key, shared
from plugins.jdbc.sqltext import ParamStyle
from plugins.jdbc.urls import JdbcUrl, parse_server_url

CONNECT_TIMEOUT_SECONDS = 10
"""A server that does not answer in this time is reported as unreachable."""

POOL_WAIT_SECONDS = 30.0
"""How long a run waits for a connection of a busy or broken pool."""


class PostgresDialect(Dialect):
    """``jdbc:postgresql://host:5432/db``."""

    name: ClassVar[str] = "postgresql"
    style: ClassVar[ParamStyle] = "pyformat"

    def parse(self, url: str | None) -> JdbcUrl:
        """Parse a ``jdbc:postgresql:`` URL."""
        return parse_server_url(url or "", ("postgresql", "postgres"), 5432)

    def open(self, target: Target) -> AbstractContextManager[Any]:
        """A connection of the (URL, user)'s pool, the pool made on first use."""
        key = pool_key(self.name, _pool_url(target.url), target.username, target.password)
        pool = shared(key, lambda: _new_pool(target))
        return pool.connection(timeout=POOL_WAIT_SECONDS)  # type: ignore[no-any-return]

    def copy_module(self, target: Target) -> Any:
        """The psycopg module (``CopyIn``/``CopyOut`` use its SQL composition)."""
        return require("psycopg", extra="jdbc", task_type=target.task_type)


LIBPQ_PARAMETERS = frozenset(
    {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "application_name"}
    | {"options", "connect_timeout", "target_session_attrs", "gssencmode", "channel_binding"}
)
"""URL parameters libpq knows, passed on as they are."""


def _pool_url(url: JdbcUrl) -> str:
    # The parameters may hold secrets (sslpassword): only their digest is part of the key.
    parameters = "&".join(f"{k}={v}" for k, v in sorted(url.parameters.items()))
    return f"{url.display()}#{hashlib.sha256(parameters.encode()).hexdigest()}"


def connection_arguments(target: Target) -> dict[str, Any]:
    """The psycopg connection keywords for ``target``.

    URL parameters libpq knows pass on; the JDBC driver's own ``ssl``, ``currentSchema``
    and ``ApplicationName`` are translated; the others mean nothing to libpq and are left.
    """
    url = target.url
    parameters = url.parameters
    arguments: dict[str, Any] = {
        key: value for key, value in parameters.items() if key in LIBPQ_PARAMETERS
    }
    if parameters.get("ssl", "").lower() == "true" and "sslmode" not in arguments:
        arguments["sslmode"] = "require"
    if parameters.get("currentSchema"):
        arguments["options"] = f"-c search_path={parameters['currentSchema']}"
    if parameters.get("ApplicationName"):
        arguments.setdefault("application_name", parameters["ApplicationName"])
    arguments.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    arguments.update(host=url.host, port=url.port)
    if url.database:
        arguments["dbname"] = url.database
    user = target.username or url.parameters.get("user")
    password = target.password or url.parameters.get("password")
    if user:
        arguments["user"] = user
    if password:
        arguments["password"] = password
    return arguments


def _new_pool(target: Target) -> Any:
    psycopg = require("psycopg", extra="jdbc", task_type=target.task_type)
    psycopg_pool = require("psycopg_pool", extra="jdbc", task_type=target.task_type)
    arguments = connection_arguments(target)
    # One direct connection first: the pool retries in the background and would turn a
    # refused connection or a bad password into a bare timeout; this gives the real reason.
    psycopg.connect(**arguments).close()
    return psycopg_pool.ConnectionPool(
        kwargs={**arguments, "autocommit": True},
        min_size=1,
        max_size=MAX_IDLE,
        open=True,
        check=psycopg_pool.ConnectionPool.check_connection,
        name=f"kestrel-{target.url.display()}",
    )


__all__ = ["CONNECT_TIMEOUT_SECONDS", "PostgresDialect", "connection_arguments"]
