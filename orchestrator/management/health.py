"""Liveness and readiness of the services of one process.

Each service loop holds a `Probe`: it calls `Probe.beat` at every turn of its loop and
`Probe.ready` once it can serve (partitions assigned and their state restored). The
process is alive while every loop has turned recently, and ready while every service is
ready and alive. Kubernetes restarts a process that is not alive and sends no traffic to
one that is not ready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class ProbeStatus:
    """What one service reports.

    Attributes:
        name: The service (``executor``, ``worker``...).
        alive: Its loop turned within the allowed time (or it has stopped on purpose).
        ready: It can serve.
        last_beat_age: Seconds since its loop last turned.
        detail: Why it is not ready, when it is not.
    """

    name: str
    alive: bool
    ready: bool
    last_beat_age: float
    detail: str | None = None


class Probe:
    """The health of one service loop; thread-safe, cheap enough to call at every turn."""

    def __init__(self, name: str, clock: Clock = time.monotonic) -> None:
        """Create the probe of service ``name``: alive from now, not ready yet."""
        self.name = name
        self._clock = clock
        self._last_beat = clock()
        self._ready = False
        self._stopped = False
        self._detail: str | None = "starting"

    def beat(self) -> None:
        """The loop turned: it is not stuck."""
        self._last_beat = self._clock()

    def ready(self, detail: str | None = None) -> None:
        """The service can serve (``detail`` None) or, with a reason, cannot any more."""
        self._ready = detail is None
        self._detail = detail

    @property
    def is_ready(self) -> bool:
        """Whether the service last said it can serve."""
        return self._ready

    def stopped(self) -> None:
        """The loop ended on purpose (shutdown): not a stuck loop, but not ready either."""
        self._stopped = True
        self.ready("stopped")

    def status(self, stalled_after: float) -> ProbeStatus:
        """This probe's state, judged against ``stalled_after`` seconds."""
        age = self._clock() - self._last_beat
        alive = self._stopped or age <= stalled_after
        return ProbeStatus(
            name=self.name,
            alive=alive,
            ready=self._ready and alive,
            last_beat_age=age,
            detail=self._detail if alive else f"loop stuck for {age:.0f} s",
        )


class Health:
    """Every probe of the process."""

    def __init__(self, stalled_after: float = 60.0, clock: Clock = time.monotonic) -> None:
        """Judge loops stuck after ``stalled_after`` seconds without a turn."""
        self.stalled_after = stalled_after
        self._clock = clock
        self._lock = threading.Lock()
        self._probes: dict[str, Probe] = {}

    def probe(self, name: str) -> Probe:
        """A new probe for service ``name`` (a second service of one name gets ``name-2``)."""
        with self._lock:
            unique, number = name, 1
            while unique in self._probes:
                number += 1
                unique = f"{name}-{number}"
            probe = Probe(unique, self._clock)
            self._probes[unique] = probe
            return probe

    def statuses(self) -> list[ProbeStatus]:
        """The status of every probe, by name."""
        with self._lock:
            probes = sorted(self._probes.values(), key=lambda probe: probe.name)
        return [probe.status(self.stalled_after) for probe in probes]

    def alive(self) -> bool:
        """Every loop turned recently."""
        return all(status.alive for status in self.statuses())

    def ready(self) -> bool:
        """At least one service runs, and every one is ready."""
        statuses = self.statuses()
        return bool(statuses) and all(status.ready for status in statuses)


__all__ = ["Health", "Probe", "ProbeStatus"]
