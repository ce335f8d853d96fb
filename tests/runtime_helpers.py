"""Running Kestrel services as real OS processes in tests, and watching their output topics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from orchestrator.kafka import TOPICS, DeserializationError, TopicTail, send_commands
from orchestrator.models.execution import Execution
from orchestrator.models.messages import CreateExecution, LogEntry, WorkerTask
from orchestrator.settings import KestrelSettings

KESTREL = Path(sys.executable).parent / "kestrel"
TEST_SECRET_KEY = "pEq3mTGXqTq4lJnUuO9E3gvZ8b1bo2QqkkS4GkC6uXo="
"""The key every process of a test cluster shares (a test value, not a real secret)."""


def kestrel_cli(settings: KestrelSettings, *args: str) -> Result:
    """Run ``kestrel ARGS`` in this process (click's runner) against the test's settings."""
    from orchestrator.cli.main import cli

    env = {
        "KESTREL_CONFIG": "",
        "KESTREL_KAFKA_BOOTSTRAP": settings.kafka.bootstrap,
        "KESTREL_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "KESTREL_KAFKA_PARTITIONS": str(settings.kafka.partitions),
        "KESTREL_ELASTICSEARCH_URL": settings.elasticsearch.url,
        "KESTREL_ELASTICSEARCH_INDEX_PREFIX": settings.elasticsearch.index_prefix,
        "KESTREL_STORAGE__BASE_DIR": str(settings.storage.base_dir),
    }
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def service_env(settings: KestrelSettings, **runtime: Any) -> dict[str, str]:
    """Environment variables that point a Kestrel process at the test's settings."""
    env = dict(os.environ)
    env.update(
        {
            "KESTREL_KAFKA_BOOTSTRAP": settings.kafka.bootstrap,
            "KESTREL_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
            "KESTREL_KAFKA__PARTITIONS": str(settings.kafka.partitions),
            "KESTREL_ELASTICSEARCH_URL": settings.elasticsearch.url,
            "KESTREL_ELASTICSEARCH__INDEX_PREFIX": settings.elasticsearch.index_prefix,
            "KESTREL_STORAGE__BASE_DIR": str(settings.storage.base_dir),
            "KESTREL_SECURITY__SECRET_KEY": TEST_SECRET_KEY,
            # Several services run at once: each serves health and metrics on a free port.
            "KESTREL_MANAGEMENT__PORT": "0",
            # The API of `server standalone` on a free port: tests run side by side.
            "KESTREL_WEBSERVER__PORT": "0",
        }
    )
    if settings.kafka.idle_after is not None:
        env["KESTREL_KAFKA__IDLE_AFTER"] = str(settings.kafka.idle_after)
    for key, value in runtime.items():
        env[f"KESTREL_RUNTIME__{key.upper()}"] = str(value)
    return env


class KestrelProcess:
    """One ``kestrel ...`` service process; its output goes to a log file for diagnosis."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args = args
        self._env = env
        self._log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> KestrelProcess:
        log = self._log_path.open("ab")
        self.process = subprocess.Popen(
            [str(KESTREL), *self.args], env=self._env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def kill9(self) -> None:
        """Kill the process with SIGKILL: no cleanup, no leaving the group."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        """Stop gracefully (SIGTERM) and return the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self._log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 120) -> str:
        """Wait until ``text`` is in the output (the process must keep running); return it."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process is not None and self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()[-3000:]
            time.sleep(0.2)  # polling the process log for a condition, bounded by the deadline
        return self.output()


@contextmanager
def standalone_server(
    settings: KestrelSettings, log_dir: Path, instance_id: str | None = None
) -> Iterator[KestrelProcess]:
    """``kestrel server standalone`` on the test's topics; it must stop cleanly afterwards.

    A restart must reuse the ``instance_id``: the embedded broker never evicts a static
    member, so a new id would wait for the old one's partitions forever (BACKENDS.md).
    """
    from orchestrator.kafka import ensure_topics
    from orchestrator.models.execution import new_id

    ensure_topics(settings)
    env = service_env(settings)
    env["KESTREL_KAFKA__INSTANCE_ID"] = instance_id or f"standalone-{new_id()[:8]}"
    server = KestrelProcess(["server", "standalone"], env, log_dir / "server.log").start()
    yield server
    assert server.terminate() == 0, server.output()[-3000:]


class SnapshotWatcher:
    """Records every committed snapshot on ``executions`` and every log line, as they come."""

    def __init__(self, settings: KestrelSettings) -> None:
        self._tail = TopicTail(settings, [TOPICS.executions, TOPICS.logs], from_beginning=True)
        self.snapshots: dict[str, list[Execution]] = {}
        self.logs: list[LogEntry] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for record in self._tail.poll(timeout=0.2):
                spec = self._tail.topics.spec_of(record.topic)
                try:
                    value = record.decoded(spec)
                except DeserializationError:
                    continue
                with self._lock:
                    if isinstance(value, Execution):
                        self.snapshots.setdefault(value.id, []).append(value)
                    elif isinstance(value, LogEntry):
                        self.logs.append(value)

    def logged(self, text: str) -> list[LogEntry]:
        """Log lines seen so far whose message contains ``text``."""
        return [entry for entry in list(self.logs) if text in entry.message]

    def latest(self, execution_id: str) -> Execution | None:
        with self._lock:
            seen = self.snapshots.get(execution_id)
            return seen[-1] if seen else None

    def chain(self, execution_id: str) -> list[Execution]:
        """The execution and the ones a CREATE_NEW_EXECUTION retry started after it."""
        chain = []
        current = self.latest(execution_id)
        while current is not None:
            chain.append(current)
            with self._lock:
                successors = [
                    seen[-1]
                    for seen in self.snapshots.values()
                    if seen[-1].parent_id == current.id
                    and any(label.key == "system.replay" for label in seen[-1].labels)
                ]
            current = successors[0] if successors else None
        return chain

    def wait_for(
        self,
        execution_ids: Iterable[str],
        done: Callable[[Execution], bool],
        timeout: float,
    ) -> dict[str, Execution]:
        """Wait until every execution satisfies ``done``; raise with the stragglers if not."""
        wanted = list(execution_ids)
        deadline = time.monotonic() + timeout
        while True:
            latest = {each: (self.chain(each) or [None])[-1] for each in wanted}
            pending = [each for each, ex in latest.items() if ex is None or not done(ex)]
            if not pending:
                return {each: ex for each, ex in latest.items() if ex is not None}
            if time.monotonic() > deadline:
                states = {
                    each: latest[each].state.current if latest[each] else None
                    for each in pending[:10]
                }
                details = [
                    (
                        each,
                        latest[each].seq,
                        [
                            (r.task_id, r.value, r.state.current.value, len(r.attempts))
                            for r in latest[each].task_run_list  # type: ignore[union-attr]
                        ],
                    )
                    for each in pending[:3]
                    if latest[each] is not None
                ]
                raise AssertionError(
                    f"{len(pending)} executions not done in {timeout}s: {states}; {details}"
                )
            time.sleep(0.1)  # polling a condition, bounded by the deadline

    def wait_count(
        self,
        execution_ids: list[str],
        done: Callable[[Execution], bool],
        at_least: int,
        timeout: float,
    ) -> int:
        """Wait until at least ``at_least`` of the executions satisfy ``done``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count = sum(1 for each in execution_ids if (ex := self.latest(each)) and done(ex))
            if count >= at_least:
                return count
            time.sleep(0.02)  # polling a condition, bounded by the deadline
        raise AssertionError(f"fewer than {at_least} executions done in {timeout}s")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._tail.close()


def ended(execution: Execution) -> bool:
    """Terminal (and not a retry handing over to a new execution), or waiting for a resume."""
    state = execution.state.current
    if state.value == "RETRIED":
        return False
    return state.is_terminated or (state.value == "PAUSED" and not execution.timers)


def submit(settings: KestrelSettings, creates: Iterable[CreateExecution]) -> list[str]:
    """Publish Create commands; return their execution ids."""
    records = [(create.execution_id, create) for create in creates]
    send_commands(settings, TOPICS.execution_commands, records)
    return [execution_id for execution_id, _ in records]


def worker_task_of(settings: KestrelSettings, execution_id: str, timeout: float = 60) -> WorkerTask:
    """The first task run the executor sent to the workers for ``execution_id``."""
    deadline = time.monotonic() + timeout
    with TopicTail(settings, [TOPICS.worker_tasks]) as tail:
        while time.monotonic() < deadline:
            for record in tail.poll(timeout=0.5):
                task = record.decoded(TOPICS.worker_tasks)
                if task is not None and task.task_run.execution_id == execution_id:
                    return task
    raise AssertionError(f"no worker task for {execution_id}")


FAST_FAILOVER = {"worker_dead_after": 4, "heartbeat_interval": 0.5}
"""Runtime settings that let a test see a dead worker's attempts run again quickly."""


class Cluster:
    """Kestrel processes of one test, each restartable with the same instance id."""

    def __init__(self, settings: KestrelSettings, tmp_path: Path) -> None:
        self.settings = settings
        self.tmp_path = tmp_path
        self.env = service_env(settings, **FAST_FAILOVER)
        self.processes: list[KestrelProcess] = []

    def start(self, role: str, instance_id: str) -> KestrelProcess:
        log = self.tmp_path / f"{instance_id}.log"
        process = KestrelProcess([role, "--instance-id", instance_id], self.env, log).start()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.output()[-1500:] for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.process is not None and process.process.poll() is None:
                process.terminate(timeout=60)
