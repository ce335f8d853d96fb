"""DuckDB and SQLite: databases in a file (or in memory) of the worker itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

from plugins.extras import require
from plugins.jdbc.dialect import Dialect, Target
from plugins.jdbc.pools import IdlePool, pool_key, release, shared
from plugins.jdbc.sqltext import ParamStyle, first_keyword
from plugins.jdbc.urls import JdbcUrl, parse_file_url

_WRITES = frozenset(
    {"CREATE", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "COPY", "ATTACH", "DETACH"}
    | {"INSTALL", "LOAD", "SET", "RESET", "CHECKPOINT", "TRUNCATE", "BEGIN", "COMMIT"}
    | {"ROLLBACK", "USE", "EXPORT", "IMPORT", "VACUUM", "MERGE"}
)

SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
"""How long a statement waits for another connection's lock on the file."""


class FileDialect(Dialect):
    """A database in a file of the worker."""

    def release(self, path: Path) -> None:
        """Close the shared handle or pool of a database file (one a single run used)."""
        release(pool_key(self.name, str(Path(path).resolve()), None, None))


class DuckDbDialect(FileDialect):
    """``jdbc:duckdb:/path/to.db``, or ``jdbc:duckdb:`` for a database in memory."""

    name: ClassVar[str] = "duckdb"
    style: ClassVar[ParamStyle] = "dollar"

    def parse(self, url: str | None) -> JdbcUrl:
        """Parse a ``jdbc:duckdb:`` URL (None: in memory)."""
        return parse_file_url(url, ("duckdb",))

    def open(self, target: Target) -> AbstractContextManager[Any]:
        """A cursor of the file's one shared connection (a new database for memory)."""
        duckdb = require("duckdb", extra="jdbc", task_type=target.task_type)
        path = target.url.path
        if path is None:
            # Each run gets its own database in memory, as Kestra gives each task one.
            return _closing(duckdb.connect(":memory:"))
        # DuckDB lets one process open a file once; runs share that handle by cursors.
        key = pool_key(self.name, str(Path(path).resolve()), None, None)
        database = shared(key, lambda: duckdb.connect(path))
        return _closing(database.cursor())

    def cursor(self, connection: Any) -> Any:
        """The connection itself: a DuckDB ``cursor()`` is another session of the database."""
        return connection

    def returns_rows(self, cursor: Any, statement: str) -> bool:
        """DuckDB answers a write with a ``Count`` row; JDBC, and so Kestra, see no rows."""
        return cursor.description is not None and first_keyword(statement) not in _WRITES


class SqliteDialect(FileDialect):
    """``jdbc:sqlite:/path/to.db``, or ``jdbc:sqlite::memory:``."""

    name: ClassVar[str] = "sqlite"
    style: ClassVar[ParamStyle] = "named"

    def parse(self, url: str | None) -> JdbcUrl:
        """Parse a ``jdbc:sqlite:`` URL (None: in memory)."""
        return parse_file_url(url, ("sqlite",))

    def open(self, target: Target) -> AbstractContextManager[Any]:
        """A connection of the file's pool (a new database for memory)."""
        path = target.url.path
        if path is None:
            return _closing(_sqlite_connect(":memory:"))
        key = pool_key(self.name, str(Path(path).resolve()), None, None)
        pool: IdlePool = shared(key, lambda: IdlePool(lambda: _sqlite_connect(path), _open))
        return pool.connection()


def _sqlite_connect(path: str) -> Any:
    import sqlite3

    if path != ":memory:" and not Path(path).parent.is_dir():
        raise FileNotFoundError(f"no folder {Path(path).parent} for the database file")
    # isolation_level None: autocommit, transactions only where Queries asks for them;
    # check_same_thread off: the pool hands a connection to whichever worker thread runs.
    return sqlite3.connect(
        path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )


def _open(connection: Any) -> bool:
    try:
        connection.execute("SELECT 1")
    except Exception:
        return False
    return True


@contextmanager
def _closing(connection: Any) -> Iterator[Any]:
    try:
        yield connection
    finally:
        connection.close()


__all__ = ["DuckDbDialect", "FileDialect", "SqliteDialect"]
