"""MySQL and MariaDB on PyMySQL, pooled by an `IdlePool` (one per URL and user)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, ClassVar

from plugins.extras import require
from plugins.jdbc.dialect import Dialect, Target
from plugins.jdbc.pools import IdlePool, pool_key, shared
from plugins.jdbc.sqltext import ParamStyle
from plugins.jdbc.urls import JdbcUrl, parse_server_url

CONNECT_TIMEOUT_SECONDS = 10
"""A server that does not answer in this time is reported as unreachable."""


class MysqlDialect(Dialect):
    """``jdbc:mysql://host:3306/db`` (and ``jdbc:mariadb:``)."""

    name: ClassVar[str] = "mysql"
    style: ClassVar[ParamStyle] = "pyformat"

    def parse(self, url: str | None) -> JdbcUrl:
        """Parse a ``jdbc:mysql:`` or ``jdbc:mariadb:`` URL."""
        return parse_server_url(url or "", ("mysql", "mariadb"), 3306)

    def open(self, target: Target) -> AbstractContextManager[Any]:
        """A connection of the (URL, user)'s pool."""
        key = pool_key(self.name, target.url.display(), target.username, target.password)
        pool: IdlePool = shared(key, lambda: _new_pool(target))
        return pool.connection()


def _new_pool(target: Target) -> IdlePool:
    pymysql = require("pymysql", extra="jdbc", task_type=target.task_type)
    url = target.url
    arguments: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "database": url.database,
        "user": target.username or url.parameters.get("user") or "",
        "password": target.password or url.parameters.get("password") or "",
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "autocommit": True,
        "charset": "utf8mb4",
    }

    def connect() -> Any:
        return pymysql.connect(**arguments)

    connect().close()  # fail now, with the server's reason, rather than on first use
    return IdlePool(connect, _alive)


def _alive(connection: Any) -> bool:
    try:
        connection.ping(reconnect=False)
    except Exception:
        return False
    return True


__all__ = ["MysqlDialect"]
