"""SIGTERM and SIGINT noted for a main loop, without taking a lock in the handler.

Python runs a signal handler in the main thread between two bytecodes, possibly while that
thread holds a lock: inside ``Event.wait``, the event's own. A handler that sets the event
then waits for that lock forever (seen: a standalone server that never stopped on SIGTERM).
So the handler only records the signal; the main loop, which wakes every half second,
sees it.
"""

from __future__ import annotations

import signal
from types import FrameType


class StopSignals:
    """Records the first SIGTERM or SIGINT once `install` is called."""

    def __init__(self) -> None:
        """Nothing received yet."""
        self.received: int | None = None

    def install(self) -> None:
        """Handle SIGTERM and SIGINT from now on (call it from the main thread)."""
        signal.signal(signal.SIGTERM, self._note)
        signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.received is None:
            self.received = signum  # a plain assignment: no lock, no logging


__all__ = ["StopSignals"]
