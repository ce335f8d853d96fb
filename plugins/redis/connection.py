"""The Redis connection every Redis task and trigger shares, on redis-py (``[redis]``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from orchestrator.models.base import KestrelModel
from plugins.extras import require
from plugins.messaging import MessagingError, SerdeType, failure, masked_url, password_of

Render = Callable[[Any, str], Any]
TIMEOUT = 5.0
"""Seconds allowed to connect and for a command to answer (a blocking pop waits less)."""


class RedisConnection(KestrelModel):
    """Connection properties of every Redis task and trigger."""

    url: str
    """``redis://[:password@]host:port/db`` (``rediss://`` for TLS)."""
    serde_type: SerdeType = "STRING"
    """How values are encoded: text or JSON."""


def server_name(url: str) -> str:
    """How messages name the server: ``Redis at host:port/db`` (never the password)."""
    parts = urlsplit(url)
    host = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    return f"Redis at {host}{parts.path or '/0'}"


def secrets_of(url: str) -> set[str]:
    """The values to mask: the URL's password and the URL itself."""
    password = password_of(url)
    return {password, url} if password else set()


@contextmanager
def connected(task_id: str, task_type: str, url: str, what: str) -> Iterator[Any]:
    """A client on ``url`` that has answered PING; its errors fail naming task and server.

    Raises:
        MessagingError: refused, unreachable, bad credentials, or a command failed.
    """
    redis = require("redis", extra="redis", task_type=task_type)
    server = server_name(url)
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT * 2
        )
    except ValueError as exc:
        raise MessagingError(
            f"task {task_id!r}: bad url {masked_url(url)}: {exc}", retryable=False
        ) from None
    try:
        client.ping()
        yield client
    except redis.exceptions.AuthenticationError as exc:
        raise failure(task_id, server, "logging in", _clean(exc, url)) from None
    except redis.exceptions.RedisError as exc:
        raise failure(task_id, server, what, _clean(exc, url)) from None
    finally:
        client.close()


def _clean(exc: BaseException, url: str) -> str:
    text = str(exc)
    password = password_of(url)
    return text.replace(password, "********") if password else text


__all__ = ["RedisConnection", "Render", "connected", "secrets_of", "server_name"]
