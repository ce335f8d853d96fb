"""Log lines as JSON objects, one per line, for cluster log collectors (``--log-format json``).

Each line carries ``@timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``thread``, and, where known, ``service`` and ``instance_id`` (set for each service's
thread by `service_context`) and ``execution_id`` (passed as ``extra`` by the code that
logs about one execution). A traceback goes in ``exception``, still on one line.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_context = threading.local()


@contextmanager
def service_context(service: str, instance_id: str | None = None) -> Iterator[None]:
    """Tag every line logged by this thread, while inside, with its service and instance."""
    previous = getattr(_context, "value", None)
    _context.value = (service, instance_id)
    try:
        yield
    finally:
        _context.value = previous


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single line of JSON."""
        line: dict[str, object] = {
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        context = getattr(_context, "value", None)
        if context is not None:
            line["service"], instance_id = context
            if instance_id is not None:
                line["instance_id"] = instance_id
        execution_id = getattr(record, "execution_id", None)
        if execution_id is not None:
            line["execution_id"] = str(execution_id)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


__all__ = ["JsonFormatter", "service_context"]
