"""Connections kept per worker process: one pool per (database, URL, user), reused by runs.

Opening a connection costs a network round trip or three and, for PostgreSQL and MySQL, an
authentication; a worker running the same query every minute keeps its connections. Pools
are keyed by a digest of the password, never the password itself.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

MAX_IDLE = 4
"""Idle connections kept per pool; more are opened when runs overlap, and closed after."""

_pools: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()


def pool_key(kind: str, url: str, username: str | None, password: str | None) -> tuple[str, ...]:
    """The key of a pool: the password only as a digest."""
    digest = hashlib.sha256((password or "").encode()).hexdigest()
    return (kind, url, username or "", digest)


def shared(key: tuple[str, ...], create: Callable[[], Any]) -> Any:
    """The pool (or shared handle) under ``key``, made by ``create`` on first use.

    ``create`` runs under the registry's lock so two runs never open two pools; a failure
    leaves nothing behind, and the next run tries again.
    """
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = create()
            _pools[key] = pool
        return pool


def release(key: tuple[str, ...]) -> None:
    """Close and forget the pool under ``key``, if any."""
    with _lock:
        pool = _pools.pop(key, None)
    if pool is not None:
        pool.close()


def close_all() -> None:
    """Close every pool of this process (tests, and a worker's shutdown)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        with suppress(Exception):
            pool.close()


# Connections are closed politely when the worker exits (servers log abrupt ends).
atexit.register(close_all)


class IdlePool:
    """A small pool for drivers without one (PyMySQL, sqlite3): idle connections reused."""

    def __init__(
        self,
        connect: Callable[[], Any],
        is_alive: Callable[[Any], bool],
        max_idle: int = MAX_IDLE,
    ) -> None:
        """Open connections with ``connect``; reuse an idle one if ``is_alive`` says so."""
        self._connect = connect
        self._is_alive = is_alive
        self._max_idle = max_idle
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """Yield a connection; it goes back to the pool after, unless it broke."""
        connection = self._take()
        try:
            yield connection
        except BaseException:
            self._give_back(connection, broken=not self._is_alive(connection))
            raise
        self._give_back(connection, broken=False)

    def close(self) -> None:
        """Close the idle connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            _close(connection)

    def _take(self) -> Any:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect()
            if self._is_alive(connection):
                return connection
            _close(connection)

    def _give_back(self, connection: Any, *, broken: bool) -> None:
        with self._lock:
            if not broken and len(self._idle) < self._max_idle:
                self._idle.append(connection)
                return
        _close(connection)


def _close(connection: Any) -> None:
    with suppress(Exception):
        connection.close()


__all__ = ["MAX_IDLE", "IdlePool", "close_all", "pool_key", "release", "shared"]
