"""An in-process shell around the engine: events in a queue, tasks run inline, real timers.

It is what ``kestrel flow test`` uses; the Kafka processor is the production shell. Both
only feed events to `executor.engine.advance` and carry out its decisions.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from executor.engine import EngineSettings, Event
from executor.shell import EngineShell, Sink
from orchestrator.errors import OrchestratorError
from orchestrator.kv import MemoryKvStore, set_default_store
from orchestrator.models.concurrency import (
    ConcurrencyMessage,
    FlowSlots,
    SlotRelease,
    SlotRequest,
)
from orchestrator.models.execution import Execution, TaskRunRecord
from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    CreateExecution,
    ExecutionCommand,
    KillNotice,
    LogEntry,
    WorkerTask,
)
from orchestrator.models.state import StateType
from orchestrator.secrets import SecretCodec
from orchestrator.templating import TemplateRenderer
from worker.runner import run_task, started

WORKER_ID = "in-process"


class RunTimeoutError(OrchestratorError):
    """The followed execution did not end within the allowed time."""

    def __init__(self, execution: Execution, seconds: float) -> None:
        super().__init__(f"execution {execution.id} did not end within {seconds:g}s")
        self.execution = execution


class FileFlows:
    """Flows loaded from files: one revision each, found by namespace and id."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        """Index ``flows`` by namespace and id."""
        self._flows = {(flow.namespace, flow.id): flow for flow in flows}

    def get(self, namespace: str, flow_id: str) -> Flow | None:
        """Return the flow, or None."""
        return self._flows.get((namespace, flow_id))


class InProcessRunner(Sink):
    """Runs executions to their end in this process."""

    def __init__(
        self,
        flows: FileFlows,
        renderer: TemplateRenderer,
        on_log: Callable[[LogEntry], None] = lambda entry: None,
        settings: EngineSettings | None = None,
    ) -> None:
        """Prepare a runner over ``flows``; ``on_log`` receives every log line as it happens."""
        self._flows = flows
        self._renderer = renderer
        self._on_log = on_log
        self._secrets = SecretCodec(SecretCodec.new_key())  # one process: its own key
        self._settings = settings or EngineSettings(secrets=self._secrets)
        self._shell = EngineShell(self, renderer, self._settings)
        self.executions: dict[str, Execution] = {}
        self._events: deque[Event | ConcurrencyMessage] = deque()
        self._tasks: deque[WorkerTask] = deque()
        self._killed: set[tuple[str, str]] = set()
        # No Kafka here: KV tasks and kv() use a store of this process (empty at start).
        set_default_store(MemoryKvStore())

    # ---- Environment (read by the engine) -----------------------------------------------

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """Return a flow by namespace and id (files have a single revision)."""
        del revision
        return self._flows.get(namespace, flow_id)

    # ---- Sink (what the engine decided) -------------------------------------------------

    def snapshot(self, execution: Execution, wire: bytes | None) -> None:
        """Keep the latest snapshot of every execution, to follow and to report it."""
        self.executions[execution.id] = execution

    def task_runs(
        self, execution_id: str, records: list[TaskRunRecord], removed: list[str]
    ) -> None:
        """Kept whole in memory: nothing to do."""

    def worker_task(self, task: WorkerTask) -> None:
        """Queue a task run for the inline worker."""
        self._tasks.append(task)

    def command(self, command: ExecutionCommand) -> None:
        """Queue a command (a subflow's creation, a slot answer...)."""
        self._events.append(command)

    def kill(self, notice: KillNotice) -> None:
        """Remember which task runs were killed before the inline worker took them."""
        self._killed.update((notice.execution_id, run_id) for run_id in notice.task_run_ids)

    def log(self, entry: LogEntry) -> None:
        """Pass an executor log line on."""
        self._on_log(entry)

    def admission(self, message: ConcurrencyMessage) -> None:
        """Queue a slot request or release for this process, the owner of every flow."""
        self._events.append(message)

    def slots(self, slots: FlowSlots) -> None:
        """Nothing to do: the shell keeps the slots."""

    # ---- running --------------------------------------------------------------------------

    def submit(self, event: Event) -> None:
        """Queue an event (a Create, a Resume, a Kill...)."""
        self._events.append(event)

    def run(self, create: CreateExecution, timeout: float | None = None) -> Execution:
        """Create an execution and run until it (or the retry it became) ends or waits."""
        self.submit(create)
        return self.follow(create.execution_id, timeout)

    def follow(self, execution_id: str, timeout: float | None = None) -> Execution:
        """Run until ``execution_id`` ends, or is paused with nothing else to wait for.

        A flow-level retry that creates a new execution is followed to that execution.

        Raises:
            RunTimeoutError: ``timeout`` seconds passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        followed = execution_id
        timers = self._shell.store.timers
        while True:
            followed = self._successor(followed)
            if self._events:
                self._process(self._events.popleft())
                continue
            if self._tasks:
                self._run_task(self._tasks.popleft())
                continue
            execution = self.executions.get(followed)
            if execution is not None and self._done(execution):
                return execution
            due = timers.next_due()
            if due is None:
                if execution is None:
                    raise OrchestratorError(f"execution {execution_id} was never created")
                return execution
            wait = (due - datetime.now(UTC)).total_seconds()
            if deadline is not None and time.monotonic() + max(wait, 0) > deadline:
                raise RunTimeoutError(self.executions[followed], timeout or 0)
            if wait > 0:
                time.sleep(wait)  # a real timer (Pause delay, retry backoff, Sleep)
            self._events.extend(self._shell.due_timers(due))
            self._shell.commit()

    def _done(self, execution: Execution) -> bool:
        state = execution.state.current
        if state is StateType.RETRIED:
            return False  # a new execution follows
        if state.is_terminated:
            return True
        waiting = self._shell.store.timers.pending_of(execution.id)
        return state is StateType.PAUSED and not waiting

    def _successor(self, execution_id: str) -> str:
        for execution in self.executions.values():
            replayed = any(label.key == "system.replay" for label in execution.labels)
            if execution.parent_id == execution_id and replayed:
                return self._successor(execution.id)
        return execution_id

    def _process(self, event: Event | ConcurrencyMessage) -> None:
        if isinstance(event, SlotRequest | SlotRelease):
            self._shell.admit(event, self)
        else:
            # An engine error fails the execution; one with nothing to fail is logged.
            self._shell.apply(event, datetime.now(UTC), self)
        self._shell.commit()

    def _run_task(self, worker_task: WorkerTask) -> None:
        run = worker_task.task_run
        if (run.execution_id, run.id) in self._killed:
            self._process(started(worker_task, WORKER_ID))
            killed = started(worker_task, WORKER_ID).model_copy(update={"state": StateType.KILLED})
            self._process(killed)
            return
        self._process(started(worker_task, WORKER_ID))
        self._process(
            run_task(
                worker_task,
                self._renderer,
                self._on_log,
                WORKER_ID,
                secrets=self._settings.secrets,
            )
        )
