"""A stop signal is noted even when it lands while the main thread holds a lock.

Python runs handlers in the main thread between bytecodes: inside ``Event.wait``, the
event's own lock is held, and a handler that set that event waited for it forever (a
standalone server that never stopped on SIGTERM). The handler must take no lock.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from orchestrator.cli.signals import StopSignals


@pytest.fixture
def restored_handlers() -> Iterator[None]:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("restored_handlers")
@pytest.mark.timeout(10)
def test_a_signal_inside_an_event_wait_lock_is_noted() -> None:
    signals = StopSignals()
    signals.install()
    event = threading.Event()
    # The window the server's loop was caught in: its event's lock held by the main thread.
    with event._cond:  # the lock Event.wait holds
        os.kill(os.getpid(), signal.SIGTERM)
        noted = [signals.received for _ in range(1000)]  # bytecodes: the handler runs here
    assert signals.received == signal.SIGTERM
    assert signal.SIGTERM in noted


@pytest.mark.usefixtures("restored_handlers")
def test_only_the_first_signal_is_kept() -> None:
    signals = StopSignals()
    signals.install()
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)
    assert signals.received == signal.SIGINT
