"""The NATS connection every NATS task and trigger shares, on nats-py (``[nats]``).

nats-py is asynchronous: a task runs its coroutine with `asyncio.run` in the worker's
thread. Consuming uses JetStream (a stream must capture the subject), like Kestra.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from orchestrator.models.base import KestrelModel
from plugins.extras import require
from plugins.messaging import failure

Render = Callable[[Any, str], Any]
CONNECT_TIMEOUT = 5.0
"""Seconds allowed to connect."""


class NatsConnection(KestrelModel):
    """Connection properties of every NATS task and trigger."""

    url: str
    """``nats://host:4222`` (a token may be given as ``nats://token@host:4222``)."""
    username: str | None = None
    """The user name."""
    password: str | None = None
    """The password (masked in logs and outputs)."""
    token: str | None = None
    """A connection token (masked in logs and outputs)."""
    creds: str | None = None
    """A credentials file's path."""
    subject: str
    """The subject (consumers may use wildcards: ``kestra.>``)."""

    def secrets(self, render: Render) -> set[str]:
        """The rendered values to mask."""
        found = {str(render(self.password, "password"))} if self.password else set()
        if self.token:
            found.add(str(render(self.token, "token")))
        password = urlsplit(str(render(self.url, "url"))).password
        return found | ({password} if password else set())


def server_name(url: str) -> str:
    """How messages name the server: ``NATS at host:port`` (never a token or password)."""
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    return f"NATS at {parts.hostname or 'localhost'}:{parts.port or 4222}"


@asynccontextmanager
async def connected(
    task_id: str, task_type: str, spec: NatsConnection, render: Render
) -> AsyncIterator[tuple[Any, str]]:
    """A connection to ``spec.url``, closed after.

    Yields:
        The client and how messages name the server.

    Raises:
        MessagingError: refused, unreachable, or bad credentials.
    """
    nats = require("nats", extra="nats", task_type=task_type)
    url = str(render(spec.url, "url"))
    name = server_name(url)
    errors: list[BaseException] = []

    async def on_error(error: BaseException) -> None:  # nats-py prints them otherwise
        errors.append(error)

    options: dict[str, Any] = {
        "servers": [url],
        "connect_timeout": CONNECT_TIMEOUT,
        "allow_reconnect": False,
        "max_reconnect_attempts": 1,
        "error_cb": on_error,
    }
    if spec.username:
        options["user"] = str(render(spec.username, "username"))
        options["password"] = str(render(spec.password, "password")) if spec.password else None
    if spec.token:
        options["token"] = str(render(spec.token, "token"))
    if spec.creds:
        options["user_credentials"] = str(render(spec.creds, "creds"))
    try:
        client = await asyncio.wait_for(nats.connect(**options), CONNECT_TIMEOUT * 2)
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        cause = errors[-1] if errors else exc
        detail = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
        if isinstance(cause, ConnectionRefusedError):
            detail = "connection refused"
        raise failure(task_id, name, "connecting", detail) from None
    try:
        yield client, name
    finally:
        await client.close()


__all__ = ["NatsConnection", "Render", "connected", "server_name"]
