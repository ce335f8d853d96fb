"""An in-process shell around the engine: events in a queue, tasks run inline, real timers.

It is what ``kestrel flow test`` uses; the Kafka processor is the production shell. Both
only feed events to `executor.engine.advance` and carry out its decisions.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from executor.engine import Decision, EngineSettings, Event, advance
from orchestrator.errors import OrchestratorError
from orchestrator.models.execution import Execution
from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    CreateExecution,
    LogEntry,
    ResumeExecution,
    TimerFired,
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


class InProcessRunner:
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
        self.executions: dict[str, Execution] = {}
        self._events: deque[Event] = deque()
        self._tasks: deque[WorkerTask] = deque()
        self._timers: list[tuple[datetime, str, str]] = []
        self._killed: set[tuple[str, str]] = set()

    # ---- Environment (read by the engine) -----------------------------------------------

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """Return a flow by namespace and id (files have a single revision)."""
        del revision
        return self._flows.get(namespace, flow_id)

    def running_count(self, namespace: str, flow_id: str) -> int:
        """Count executions of a flow that are RUNNING or PAUSED."""
        return sum(
            1
            for execution in self.executions.values()
            if execution.namespace == namespace
            and execution.flow_id == flow_id
            and execution.state.current in (StateType.RUNNING, StateType.PAUSED)
        )

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
            if not self._timers:
                if execution is None:
                    raise OrchestratorError(f"execution {execution_id} was never created")
                return execution
            due, owner, timer_id = heapq.heappop(self._timers)
            wait = (due - datetime.now(UTC)).total_seconds()
            if deadline is not None and time.monotonic() + max(wait, 0) > deadline:
                heapq.heappush(self._timers, (due, owner, timer_id))
                raise RunTimeoutError(self.executions[followed], timeout or 0)
            if wait > 0:
                time.sleep(wait)  # a real timer (Pause delay, retry backoff, Sleep)
            self.submit(TimerFired(execution_id=owner, timer_id=timer_id, due=due))

    def _done(self, execution: Execution) -> bool:
        state = execution.state.current
        if state is StateType.RETRIED:
            return False  # a new execution follows
        if state.is_terminated:
            return True
        own_timers = [timer for _, owner, timer in self._timers if owner == execution.id]
        return state is StateType.PAUSED and not own_timers

    def _successor(self, execution_id: str) -> str:
        for execution in self.executions.values():
            replayed = any(label.key == "system.replay" for label in execution.labels)
            if execution.parent_id == execution_id and replayed:
                return self._successor(execution.id)
        return execution_id

    def _process(self, event: Event) -> None:
        execution_id = event.execution_id
        decision = advance(
            self.executions.get(execution_id),
            event,
            self,
            now=datetime.now(UTC),
            renderer=self._renderer,
            settings=self._settings,
        )
        self._apply(decision)

    def _apply(self, decision: Decision) -> None:
        for entry in decision.logs:
            self._on_log(entry)
        execution = decision.execution
        if execution is not None:
            previous = self.executions.get(execution.id)
            self.executions[execution.id] = execution
            self._timers = [each for each in self._timers if each[1] != execution.id]
            for timer in execution.timers:
                heapq.heappush(self._timers, (timer.due, execution.id, timer.id))
            heapq.heapify(self._timers)
            was_running = previous is not None and not previous.state.current.is_terminated
            if was_running and execution.state.current.is_terminated:
                self._release_queued(execution)
        for kill in decision.kills:
            self._killed.update((kill.execution_id, run_id) for run_id in kill.task_run_ids)
        self._tasks.extend(decision.worker_tasks)
        self._events.extend(decision.commands)

    def _release_queued(self, ended: Execution) -> None:
        for execution in self.executions.values():
            same_flow = (execution.namespace, execution.flow_id) == (ended.namespace, ended.flow_id)
            if same_flow and execution.state.current is StateType.QUEUED:
                self.submit(ResumeExecution(execution_id=execution.id))
                return

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
