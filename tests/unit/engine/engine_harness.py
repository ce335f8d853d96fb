"""A deterministic shell around the engine for its tests: no Kafka, no threads, a fake clock.

The harness is the `Environment` the engine reads. It applies one event at a time with
`advance`, checks that every new snapshot's ``seq`` is exactly one more than the previous,
and keeps what the engine emitted (worker tasks, commands, kill notices, logs) so a test can
look at them and decide what happens next. `Harness.settle` plays the rest of the world:
it routes commands between executions, answers worker tasks (running them for real with
`worker.runner.run_task`, or with an outcome chosen by the test) and fires the earliest
timer by moving the clock forward, never by sleeping.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from executor.engine import Decision, EngineSettings, Event
from executor.shell import EngineShell
from orchestrator.flows import load_flow_file
from orchestrator.models.concurrency import (
    ConcurrencyMessage,
    FlowSlots,
    SlotRelease,
    SlotRequest,
)
from orchestrator.models.execution import Execution, TaskRun, TaskRunRecord, new_id
from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    CreateExecution,
    ExecutionCommand,
    KillNotice,
    LogEntry,
    TaskFailure,
    TimerFired,
    WorkerTask,
    WorkerTaskResult,
)
from orchestrator.models.state import StateType
from orchestrator.templating import TemplateRenderer
from worker.runner import run_task, started

FLOWS = Path(__file__).resolve().parents[2] / "flows" / "engine"
NAMESPACE = "kestrel.tests"
START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
WORKER = "test-worker"

Outcome = Callable[[WorkerTask], WorkerTaskResult | None]
"""Decides how a worker task ends; returning None runs it for real."""


def load(name: str) -> Flow:
    """Load ``tests/flows/engine/<name>.yaml``."""
    return load_flow_file(FLOWS / f"{name}.yaml")


def result_of(
    task: WorkerTask,
    state: StateType,
    outputs: dict[str, Any] | None = None,
    message: str = "failed on purpose",
) -> WorkerTaskResult:
    """The report a worker would send when ``task`` ends in ``state``."""
    run = task.task_run
    failure = TaskFailure(error_type="Test", message=message) if state is StateType.FAILED else None
    return WorkerTaskResult(
        execution_id=run.execution_id,
        task_run_id=run.id,
        attempt=task.attempt,
        state=state,
        worker_id=WORKER,
        outputs=outputs if outputs is not None else {},
        failure=failure,
    )


class Harness:
    """Flows in memory, executions by id, and everything the engine emitted.

    It is the `Sink` of the engine shell the processor and the local runner use too, so the
    policies under test (queue release, timers, engine-error guard) are the production ones.
    """

    def __init__(self, *flows: Flow, settings: EngineSettings | None = None) -> None:
        self.flows = {(flow.namespace, flow.id): flow for flow in flows}
        self.settings = settings
        self.renderer = TemplateRenderer()
        self.shell = EngineShell(self, self.renderer, settings or EngineSettings())
        self.now = START
        self.executions: dict[str, Execution] = {}
        self.applied: list[tuple[Event, Decision]] = []
        self.pending: dict[str, WorkerTask] = {}  # worker tasks not answered yet, by run id
        self.outbox: deque[ExecutionCommand | ConcurrencyMessage] = deque()
        self.kills: list[KillNotice] = []
        self.logs: list[LogEntry] = []
        self.task_run_records: list[TaskRunRecord] = []
        self.dead_letters: list[tuple[Event, str]] = []
        self._fired: deque[TimerFired] = deque()

    # ---- Environment ----------------------------------------------------------------------

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        del revision
        return self.flows.get((namespace, flow_id))

    # ---- Sink -----------------------------------------------------------------------------

    def snapshot(self, execution: Execution, wire: bytes | None) -> None:
        previous = self.executions.get(execution.id)
        base = previous.seq if previous is not None else self._base_seq
        assert execution.seq == base + 1, "seq must grow by exactly one"
        self.executions[execution.id] = execution

    def task_runs(
        self, execution_id: str, records: list[TaskRunRecord], removed: list[str]
    ) -> None:
        self.task_run_records.extend(records)

    def worker_task(self, task: WorkerTask) -> None:
        self.pending[task.task_run.id] = task

    def command(self, command: ExecutionCommand) -> None:
        self.outbox.append(command)

    def kill(self, notice: KillNotice) -> None:
        self.kills.append(notice)

    def log(self, entry: LogEntry) -> None:
        self.logs.append(entry)

    def admission(self, message: ConcurrencyMessage) -> None:
        self.outbox.append(message)

    def slots(self, slots: FlowSlots) -> None:
        del slots  # kept by the shell

    # ---- applying events ------------------------------------------------------------------

    def apply(self, event: Event) -> Decision:
        """Apply one event to its execution and record what the engine decided."""
        initial = event.initial if isinstance(event, CreateExecution) else None
        self._base_seq = initial.seq if initial is not None else 0
        outcome = self.shell.apply(event, self.now, self)
        self.shell.commit()
        if outcome.dead_letter is not None:
            self.dead_letters.append((event, outcome.dead_letter))
        self.applied.append((event, outcome.decision))
        return outcome.decision

    def admit(self, message: ConcurrencyMessage) -> None:
        """Apply a slot request or release as the flow's admission owner."""
        self.shell.admit(message, self)
        self.shell.commit()

    def create(self, flow_id: str, inputs: dict[str, Any] | None = None, **extra: Any) -> str:
        """Create an execution of ``kestrel.tests.<flow_id>``; return its id."""
        execution_id = new_id()
        self.apply(
            CreateExecution(
                execution_id=execution_id,
                namespace=NAMESPACE,
                flow_id=flow_id,
                inputs=inputs,
                created=self.now,
                **extra,
            )
        )
        return execution_id

    def execution(self, execution_id: str) -> Execution:
        return self.executions[execution_id]

    # ---- the worker ----------------------------------------------------------------------

    def task_for(self, task_id: str) -> WorkerTask:
        """The one pending worker task of ``task_id``."""
        found = [task for task in self.pending.values() if task.task_run.task_id == task_id]
        assert len(found) == 1, f"{len(found)} pending worker tasks for {task_id}"
        return found[0]

    def pending_ids(self) -> list[str]:
        """Task ids of the pending worker tasks, in the order they were emitted."""
        return [task.task_run.task_id for task in self.pending.values()]

    def running(self, task: WorkerTask) -> WorkerTaskResult:
        """The RUNNING report of ``task``, dated by the fake clock."""
        return started(task, WORKER).model_copy(update={"at": self.now})

    def report_running(self, task: WorkerTask) -> Decision:
        return self.apply(self.running(task))

    def answer(self, task: WorkerTask, result: WorkerTaskResult | None = None) -> Decision:
        """Send RUNNING then the end of ``task`` (run for real unless ``result`` is given)."""
        self.pending.pop(task.task_run.id, None)
        self.apply(self.running(task))
        if result is None:
            result = run_task(task, self.renderer, self.logs.append, WORKER)
        return self.apply(result)

    def finish(
        self,
        task_id: str,
        state: StateType = StateType.SUCCESS,
        outputs: dict[str, Any] | None = None,
    ) -> Decision:
        """End the pending worker task of ``task_id`` in ``state``."""
        task = self.task_for(task_id)
        return self.answer(task, result_of(task, state, outputs))

    # ---- the rest of the world ------------------------------------------------------------

    def fire_next_timer(self) -> Decision | None:
        """Move the clock to the earliest timer of any execution and fire it."""
        if not self._fired:
            due = self.shell.store.timers.next_due()
            if due is None:
                return None
            self.now = max(self.now, due)
            self._fired.extend(self.shell.due_timers(self.now))
            self.shell.commit()
        return self.apply(self._fired.popleft())

    def advance_clock(self, delta: timedelta) -> None:
        self.now += delta

    def step(self, outcome: Outcome | None = None, *, timers: bool = True) -> bool:
        """Do the next thing the world would do; False when nothing is left."""
        if self.outbox:
            message = self.outbox.popleft()
            if isinstance(message, SlotRequest | SlotRelease):
                self.admit(message)
            else:
                self.apply(message)
            return True
        if self.pending:
            task = next(iter(self.pending.values()))
            self.answer(task, outcome(task) if outcome else None)
            return True
        return timers and self.fire_next_timer() is not None

    def settle(
        self, outcome: Outcome | None = None, *, timers: bool = True, limit: int = 2_000
    ) -> None:
        """Run until nothing is left to do (a manual pause waits for a test's resume)."""
        for _ in range(limit):
            if not self.step(outcome, timers=timers):
                return
        raise AssertionError(f"still busy after {limit} steps")

    def run(self, flow_id: str, inputs: dict[str, Any] | None = None, **kw: Any) -> Execution:
        """Create an execution and settle; return its last snapshot."""
        execution_id = self.create(flow_id, inputs)
        self.settle(**kw)
        return self.execution(execution_id)

    def logged(self, text: str) -> list[LogEntry]:
        """Log entries whose message contains ``text``."""
        return [entry for entry in self.logs if text in entry.message]


# ---- reading executions ------------------------------------------------------------------


def runs_of(execution: Execution, task_id: str) -> list[TaskRun]:
    return [run for run in execution.task_run_list if run.task_id == task_id]


def run_of(execution: Execution, task_id: str) -> TaskRun:
    """The single task run of ``task_id``."""
    found = runs_of(execution, task_id)
    assert len(found) == 1, f"{len(found)} task runs of {task_id}"
    return found[0]


def task_ids(execution: Execution) -> list[str]:
    """Task ids of the execution's task runs, in creation order."""
    return [run.task_id for run in execution.task_run_list]


def states(execution: Execution) -> dict[str, StateType]:
    """The state of each task's run (for tasks that ran once)."""
    return {run.task_id: run.state.current for run in execution.task_run_list}


def history(run: TaskRun | Execution) -> list[StateType]:
    return [entry.state for entry in run.state.histories]


def attempt_states(run: TaskRun) -> list[StateType]:
    return [attempt.state.current for attempt in run.attempts]
