"""Route librdkafka's own log lines to Python logging, deduplicated and at WARNING at most.

librdkafka retries a broker it cannot reach every few milliseconds and logs each attempt:
left alone, one ``kestrel flow deploy`` against a stopped broker prints hundreds of
``FAIL ... Connection refused`` lines before the clear error of the client wrappers. Each
client therefore gets a `LibrdkafkaLog` that shows a distinct line once per window, never
above WARNING (the wrappers raise typed errors for what really fails), and keeps broker
connection failures at INFO: librdkafka retries them itself, and when they last the
wrappers raise an error naming the broker.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

LIBRDKAFKA_LOGGER = logging.getLogger("kestrel.kafka.librdkafka")
"""librdkafka's messages (connection failures, rebalances ...), served when a client polls."""

DEDUPLICATION_WINDOW = 60.0
"""Seconds during which a line that was already shown is only counted."""

# librdkafka's facilities for a broker connection that failed or dropped, retried by itself.
_CONNECTION_FACILITIES = frozenset({"FAIL", "BROKERFAIL", "CONNECT", "DISCONNECT"})
# Numbers (durations, counts, ports of ephemeral sockets) make otherwise equal lines differ.
_NUMBER = re.compile(r"\d+")
_MAX_REMEMBERED = 1000


class LibrdkafkaLog:
    """The ``logger`` of one librdkafka client: each distinct line once per window.

    confluent-kafka calls ``log(level, "%s [%s] %s", facility, client name, text)`` from the
    thread that polls the client.
    """

    def __init__(
        self, logger: logging.Logger = LIBRDKAFKA_LOGGER, window: float = DEDUPLICATION_WINDOW
    ) -> None:
        """Log to ``logger``; show a repeated line again only ``window`` seconds later."""
        self._logger = logger
        self._window = window
        self._lock = threading.Lock()
        self._shown: dict[str, tuple[float, int]] = {}  # key -> (shown at, repeats since)

    def log(self, level: int, msg: str, *args: Any) -> None:
        """Log one librdkafka line (the signature of `logging.Logger.log`)."""
        text = msg % args if args else msg
        facility = str(args[0]) if args else ""
        key = _NUMBER.sub("#", f"{facility} {args[2] if len(args) > 2 else text}")
        now = time.monotonic()
        with self._lock:
            shown_at, repeats = self._shown.get(key, (None, 0))
            if shown_at is not None and now - shown_at < self._window:
                self._shown[key] = (shown_at, repeats + 1)
                self._logger.debug("%s (repeated)", text)
                return
            if len(self._shown) >= _MAX_REMEMBERED:
                self._shown.clear()
            self._shown[key] = (now, 0)
        if repeats:
            text = f"{text} (and {repeats} similar lines in the last {self._window:g} s)"
        self._logger.log(_level(level, facility), "%s", text)


def _level(level: int, facility: str) -> int:
    if facility in _CONNECTION_FACILITIES:
        return min(level, logging.INFO)
    return min(level, logging.WARNING)


def with_logger(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``config`` plus a `LibrdkafkaLog` of its own, for one librdkafka client."""
    return {**config, "logger": LibrdkafkaLog()}
