"""Kestra's protocol for scripts to talk back: ``::{json}::`` lines on stdout or stderr.

A line that is exactly ``::`` + a JSON object + ``::`` is a message, not a log line:

- ``{"outputs": {"key": value}}`` adds to the task's ``vars`` output,
- ``{"metrics": [{"name": "rows", "type": "counter", "value": 3, "tags": {}}]}`` reports
  metrics (``counter`` or ``timer``),
- ``{"logs": [{"level": "INFO", "message": "text"}]}`` writes log lines at a level.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from threading import Lock
from typing import Any

from orchestrator.plugin import LogLevel, TaskLogger

_MESSAGE = re.compile(r"^::(\{.*\})::$")

STDERR_TAIL_LINES = 20
"""How many of the last stderr lines a failure message quotes."""


def parse_message(line: str) -> dict[str, Any] | None:
    """Return the JSON object of a ``::{...}::`` line, None for an ordinary line.

    Raises:
        ValueError: the line has the form of a message but its JSON is not an object.
    """
    match = _MESSAGE.match(line.strip())
    if match is None:
        return None
    decoded = json.loads(match.group(1))
    if not isinstance(decoded, dict):
        raise ValueError("a message must be a JSON object")
    return decoded


class OutputCollector:
    """Consumes a command's output lines: logs them, and gathers outputs and counts.

    The two streams are read by two threads; a lock keeps their log lines whole and in the
    order they were read.
    """

    def __init__(self, logger: TaskLogger) -> None:
        """Log through ``logger`` (stdout at INFO, stderr at WARN)."""
        self._logger = logger
        self._lock = Lock()
        self.vars: dict[str, Any] = {}
        self.metrics: list[dict[str, Any]] = []
        self.stdout_count = 0
        self.stderr_count = 0
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def stdout(self, line: str) -> None:
        """Handle one line of stdout."""
        with self._lock:
            self.stdout_count += 1
            if not self._message(line):
                self._logger.info(line)

    def stderr(self, line: str) -> None:
        """Handle one line of stderr."""
        with self._lock:
            self.stderr_count += 1
            if not self._message(line):
                self.stderr_tail.append(line)
                self._logger.warn(line)

    def _message(self, line: str) -> bool:
        try:
            message = parse_message(line)
        except ValueError as exc:
            self._logger.warn(f"Invalid message from the script ({exc}): {line}")
            return True
        if message is None:
            return False
        outputs = message.get("outputs")
        if isinstance(outputs, dict):
            self.vars.update(outputs)
        for metric in _dicts(message.get("metrics")):
            self.metrics.append(metric)
            tags = metric.get("tags") or {}
            self._logger.debug(
                f"Metric {metric.get('name')} ({metric.get('type', 'counter')}): "
                f"{metric.get('value')}" + (f" {tags}" if tags else "")
            )
        for log in _dicts(message.get("logs")):
            level = str(log.get("level", "INFO")).upper()
            level = {"WARNING": "WARN"}.get(level, level)
            known = level in LogLevel.__members__
            self._logger.log(LogLevel(level) if known else LogLevel.INFO, str(log.get("message")))
        return True


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


__all__ = ["STDERR_TAIL_LINES", "OutputCollector", "parse_message"]
