"""Log levels of task runs and executions, in a module of their own.

Wire messages (``messages.py``), the task base classes and the plugin API all need the
levels; keeping them here, with no import of the task layer, is what lets each of those
modules be imported first.
"""

from __future__ import annotations

from enum import StrEnum


class LogLevel(StrEnum):
    """Log levels, as Kestra names them."""

    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"

    @property
    def rank(self) -> int:
        """Numeric order, TRACE lowest."""
        return list(LogLevel).index(self)
