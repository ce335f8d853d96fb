"""Server-Sent Events: a stream of JSON events with keep-alive comments."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web


class EventStream:
    """One SSE answer; `send` an event, `keep_alive` when nothing was sent for a while."""

    def __init__(self, request: web.Request, keepalive_interval: float) -> None:
        """Prepare nothing yet: `open` sends the headers."""
        self._request = request
        self._interval = keepalive_interval
        self._last = time.monotonic()
        self.response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )

    async def open(self) -> None:
        """Send the headers."""
        await self.response.prepare(self._request)

    async def send(self, data: Any, event_id: str = "progress") -> None:
        """Send one event (``id: progress`` then ``id: end``, as Kestra's follow does).

        Raises:
            ConnectionResetError: the client went away.
        """
        payload = json.dumps(data, separators=(",", ":"))
        await self.response.write(f"id: {event_id}\ndata: {payload}\n\n".encode())
        self._last = time.monotonic()

    async def keep_alive(self) -> None:
        """Send a comment line when nothing was sent for the keep-alive interval."""
        if time.monotonic() - self._last >= self._interval:
            await self.response.write(b": keep-alive\n\n")
            self._last = time.monotonic()

    @property
    def client_gone(self) -> bool:
        """Whether the client closed the connection."""
        transport = self._request.transport
        return transport is None or transport.is_closing()
