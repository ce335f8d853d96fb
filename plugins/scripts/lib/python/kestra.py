"""Kestra's helper for Python scripts, as its ``kestra`` package offers it.

A script run by a Kestrel Python task can ``from kestra import Kestra`` and call
``Kestra.outputs({...})``, ``Kestra.counter(...)``, ``Kestra.timer(...)`` or log through
``Kestra.logger()``: each call prints one ``::{json}::`` line that the task reads back.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any


class Kestra:
    """Talk back to the task running this script."""

    @staticmethod
    def _send(message: dict[str, Any]) -> None:
        print("::" + json.dumps(message, default=str) + "::", flush=True)

    @staticmethod
    def outputs(values: dict[str, Any]) -> None:
        """Add ``values`` to the task's ``vars`` output."""
        Kestra._send({"outputs": values})

    @staticmethod
    def counter(key: str, value: float, tags: dict[str, str] | None = None) -> None:
        """Report a counter metric."""
        Kestra._send(
            {"metrics": [{"name": key, "type": "counter", "value": value, "tags": tags or {}}]}
        )

    @staticmethod
    def timer(
        key: str, duration: float | Callable[[], Any], tags: dict[str, str] | None = None
    ) -> None:
        """Report a timer metric: seconds, or the time a callable takes."""
        if callable(duration):
            start = time.perf_counter()
            duration()
            duration = time.perf_counter() - start
        Kestra._send(
            {"metrics": [{"name": key, "type": "timer", "value": duration, "tags": tags or {}}]}
        )

    @staticmethod
    def logger() -> logging.Logger:
        """A logger whose records become log lines of the task at their level."""
        logger = logging.getLogger("Kestra")
        if not any(isinstance(each, _Handler) for each in logger.handlers):
            logger.addHandler(_Handler())
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
        return logger


class _Handler(logging.Handler):
    _LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR"}

    def emit(self, record: logging.LogRecord) -> None:
        level = self._LEVELS.get(record.levelname, record.levelname)
        message = {"logs": [{"level": level, "message": self.format(record)}]}
        sys.stdout.write("::" + json.dumps(message) + "::\n")
        sys.stdout.flush()


__all__ = ["Kestra"]
