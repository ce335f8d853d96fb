"""The chaos cluster: executor x2, worker x2, a scheduler and an indexer, each its own process.

``Supervisor`` starts them, kills one at random with SIGKILL every few seconds and restarts
it at once under the same instance id: the embedded broker never evicts a member killed
without leaving (BACKENDS.md), so only the same static member id gets its partitions back.
A process that exits without being killed is a finding: it is counted, then restarted so
the run can go on.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime_helpers import KestrelProcess, service_env

from orchestrator.settings import KestrelSettings

# instance id -> role (the CLI command).
INSTANCES = {
    "chaos-executor-0": "executor",
    "chaos-executor-1": "executor",
    "chaos-worker-0": "worker",
    "chaos-worker-1": "worker",
    "chaos-scheduler-0": "scheduler",
    "chaos-indexer-0": "indexer",
}
# A killed worker's attempts are run again once it is judged dead: quickly, for a short run.
FAST_FAILOVER = {"worker_dead_after": 4, "heartbeat_interval": 0.5}
_ASSIGNED = re.compile(r"restored \d+ executions of partitions \[([\d, ]*)\]")
_WORKER_STARTED = re.compile(r"worker (\S+) started with")
_READY = {
    "executor": _ASSIGNED,
    "worker": _WORKER_STARTED,
    "indexer": re.compile(r"indexer \S+ started"),
    "scheduler": re.compile(r"scheduler \S+ restored \d+ triggers"),
}


@dataclass
class Kill:
    """One SIGKILL: whom, when (epoch seconds), and what the victim owned or was."""

    instance: str
    role: str
    at: float
    partitions: set[int] = field(default_factory=set)  # executor: its assignment
    incarnation: str | None = None  # worker: the id of the incarnation killed


@dataclass
class Exit:
    """A process that ended by itself: it crashed, or refused to start."""

    instance: str
    code: int
    at: float
    last_line: str


class Supervisor:
    """Starts, kills and restarts the chaos cluster's processes."""

    def __init__(
        self, settings: KestrelSettings, log_dir: Path, instances: dict[str, str] | None = None
    ) -> None:
        self.instances = dict(instances or INSTANCES)
        self.env = service_env(settings, **FAST_FAILOVER)
        self.log_dir = log_dir
        self.processes: dict[str, KestrelProcess] = {}
        self.kills: list[Kill] = []
        self.exits: list[Exit] = []
        self._lock = threading.Lock()

    def _start(self, instance: str) -> None:
        role = self.instances[instance]
        log = self.log_dir / f"{instance}.log"
        args = [role, "--instance-id", instance]
        self.processes[instance] = KestrelProcess(args, self.env, log).start()

    def start_all(self, timeout: float = 60) -> None:
        """Start every instance and wait until each says it is serving."""
        for instance in self.instances:
            self._start(instance)
        deadline = time.monotonic() + timeout
        waiting = set(self.instances)
        while waiting:
            waiting = {i for i in waiting if not _READY[self.instances[i]].search(self.log(i))}
            self.check_exits()
            if time.monotonic() > deadline:
                raise AssertionError(f"not serving after {timeout}s: {sorted(waiting)}")
            time.sleep(0.1)  # polling the logs for a condition, bounded by the deadline

    def log(self, instance: str) -> str:
        path = self.log_dir / f"{instance}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_and_restart(self, instance: str) -> Kill:
        """SIGKILL ``instance``, note what it owned, and start it again under the same id."""
        with self._lock:
            text = self.log(instance)
            kill = Kill(instance, self.instances[instance], time.time())
            assigned = _ASSIGNED.findall(text)
            if assigned:
                kill.partitions = {int(p) for p in assigned[-1].split(",") if p.strip()}
            incarnations = _WORKER_STARTED.findall(text)
            kill.incarnation = incarnations[-1] if incarnations else None
            process = self.processes[instance]
            if process.process is not None and process.process.poll() is None:
                process.kill9()
            self.kills.append(kill)
            self._start(instance)
            return kill

    def restart(self, instance: str, timeout: float = 60) -> None:
        """Stop ``instance`` cleanly (SIGTERM), start it again and wait until it serves."""
        with self._lock:
            process = self.processes[instance]
            if process.process is not None and process.process.poll() is None:
                process.terminate(timeout=timeout)
            served = len(_READY[self.instances[instance]].findall(self.log(instance)))
            self._start(instance)
        deadline = time.monotonic() + timeout
        while len(_READY[self.instances[instance]].findall(self.log(instance))) <= served:
            self.check_exits()
            if time.monotonic() > deadline:
                raise AssertionError(f"{instance} not serving {timeout}s after a restart")
            time.sleep(0.1)  # polling the log for a condition, bounded by the deadline

    def check_exits(self) -> None:
        """Count and restart every process that ended without being killed."""
        with self._lock:
            for instance, process in list(self.processes.items()):
                code = process.process.poll() if process.process is not None else None
                if code is None:
                    continue
                lines = [line for line in self.log(instance).splitlines() if line.strip()]
                self.exits.append(Exit(instance, code, time.time(), lines[-1] if lines else ""))
                self._start(instance)

    def killer(self, stop: threading.Event, every: float, rng: random.Random) -> threading.Thread:
        """A thread that kills a random instance every ``every`` s (+-50%) until ``stop``."""

        def loop() -> None:
            while not stop.wait(every * rng.uniform(0.5, 1.5)):
                self.check_exits()
                self.kill_and_restart(rng.choice(sorted(self.instances)))

        thread = threading.Thread(target=loop, name="chaos-killer", daemon=True)
        thread.start()
        return thread

    def stop(self, timeout: float = 60) -> dict[str, int]:
        """SIGTERM every process; return the exit codes (0: a clean stop)."""
        self.check_exits()
        codes = {}
        for instance, process in self.processes.items():
            try:
                codes[instance] = process.terminate(timeout=timeout)
            except Exception:  # a stop that hangs is reported, then forced
                process.kill9()
                codes[instance] = -9
        return codes
