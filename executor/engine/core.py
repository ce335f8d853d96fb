"""``advance``: apply one event to one execution and decide what happens next.

The engine is pure: no I/O, no clock of its own, no randomness beyond new ids. The Kafka
processor and the in-process runner are thin shells that feed it events and emit its
decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from executor.engine import wait_for
from executor.engine.concurrency import WAITING, apply_slot, release_slot
from executor.engine.control import fire_timer, kill, restart, resume
from executor.engine.decision import Decision, EngineSettings, Environment
from executor.engine.dispatch import awaiting_dispatch, dispatch, fail
from executor.engine.flowables import needs_pause, nexts_of, state_of
from executor.engine.labels import SYSTEM_PREFIX, merged
from executor.engine.lifecycle import (
    admit,
    check_assertions,
    end_if_done,
    finish,
    new_execution,
    replay_snapshot,
    start,
    violate,
)
from executor.engine.resolve import Branches, current_branch, resolve, sequential_nexts
from executor.engine.results import apply_child_ended, apply_worker_lost, apply_worker_result
from executor.engine.variables import execution_variables, run_variables
from executor.engine.wire import Written, written
from executor.engine.work import Work
from executor.engine.workdir import end_outputs
from orchestrator.models.duration import parse_duration
from orchestrator.models.execution import Execution, TaskRun, Timer, TimerKind, new_id
from orchestrator.models.messages import (
    ChildEnded,
    CreateExecution,
    DeleteExecution,
    ExecutionCommand,
    KillExecution,
    KillNotice,
    LogEntry,
    ReplayExecution,
    RestartExecution,
    ResumeExecution,
    SetExecutionLabels,
    SlotDecision,
    TimerFired,
    WorkerLost,
    WorkerTaskResult,
)
from orchestrator.models.state import State, StateType
from orchestrator.tasks.base import FlowableTask, LogLevel
from orchestrator.tasks.flow import Pause, Subflow, WorkingDirectory
from orchestrator.templating import TemplateError, TemplateRenderer

Event = ExecutionCommand | WorkerTaskResult
_PASS_LIMIT = 100_000


def advance(
    execution: Execution | None,
    event: Event,
    env: Environment,
    *,
    now: datetime,
    renderer: TemplateRenderer,
    settings: EngineSettings | None = None,
) -> Decision:
    """Apply ``event`` to ``execution`` (None before its creation) and decide what follows."""
    settings = settings or EngineSettings()
    if isinstance(event, CreateExecution):
        if execution is not None:
            return Decision()  # a duplicate Create
        flow = env.flow(event.namespace, event.flow_id, event.flow_revision)
        if flow is None:
            return _unknown_flow(event, now)
        work = Work(new_execution(event, flow), flow, env, now)
        work.created = True
        work.secrets = settings.secrets
        work.touch()
        start(work, event)
    else:
        if execution is None or execution.deleted:
            return Decision()
        flow = env.flow(execution.namespace, execution.flow_id, execution.flow_revision)
        if flow is None:
            return _lost_flow(execution, now)
        work = Work(execution, flow, env, now)
        work.secrets = settings.secrets
        if isinstance(event, DeleteExecution):
            return _delete(work)
        _apply(work, event, renderer)
    if not work.state.current.is_terminated:
        check_assertions(work, renderer)
        settle(work, renderer)
    return _decide(work, settings)


def _apply(work: Work, event: Event, renderer: TemplateRenderer) -> None:
    if isinstance(event, SlotDecision):
        refused = apply_slot(work, event)
        if refused is not None:
            finish(work, refused, render_outputs=False, held_slot=False)
    elif isinstance(event, WorkerTaskResult):
        apply_worker_result(work, event)
    elif isinstance(event, WorkerLost):
        apply_worker_lost(work, event)
    elif isinstance(event, ChildEnded):
        apply_child_ended(work, event)
    elif isinstance(event, TimerFired):
        timer = fire_timer(work, event)
        if timer is not None:
            _execution_timer(work, timer)
    elif isinstance(event, SetExecutionLabels):
        _set_labels(work, event)
    elif work.state.current.is_terminated and not isinstance(
        event, RestartExecution | ReplayExecution
    ):
        return
    elif isinstance(event, KillExecution):
        kill(work)
    elif isinstance(event, ResumeExecution):
        resume(work, event)
    elif isinstance(event, RestartExecution):
        restart(work)
    elif isinstance(event, ReplayExecution):
        replayed = replay_snapshot(work, event.task_run_id, work.now)
        replayed = replayed.model_copy(update={"id": event.new_execution_id})
        replayed = _rehome(replayed)
        work.commands.append(_create_from(replayed, work.now))


def _set_labels(work: Work, event: SetExecutionLabels) -> None:
    """Replace the user's labels; the ``system.*`` ones (correlation id...) stay."""
    kept = [label for label in work.labels if label.key.startswith(SYSTEM_PREFIX)]
    given = [label for label in event.labels if not label.key.startswith(SYSTEM_PREFIX)]
    work.labels = merged(kept, given)
    work.touch()


def _execution_timer(work: Work, timer: Timer) -> None:
    if timer.kind is TimerKind.SLA:
        sla = next((each for each in work.flow.sla if each.id == timer.sla_id), None)
        if sla is not None and not work.state.current.is_terminated:
            violate(work, sla, f"the execution ran longer than {sla.duration}")
    elif timer.kind is TimerKind.SCHEDULE and work.state.current is StateType.CREATED:
        admit(work)
    elif timer.kind is TimerKind.NEW_EXECUTION:
        work.commands.append(_create_from(_rehome(replay_snapshot(work, None, work.now)), work.now))


def _rehome(execution: Execution) -> Execution:
    """Point every task run of a copied execution at its new execution id."""
    runs = tuple(
        run.model_copy(update={"execution_id": execution.id}) for run in execution.task_run_list
    )
    return execution.model_copy(update={"task_run_list": runs})


def _create_from(execution: Execution, now: datetime) -> CreateExecution:
    return CreateExecution(
        execution_id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        flow_revision=execution.flow_revision,
        inputs=execution.inputs,
        labels=execution.labels,
        trigger=execution.trigger,
        parent=execution.parent,
        created=now,
        initial=execution,
    )


def settle(work: Work, renderer: TemplateRenderer) -> None:
    """Advance the execution as far as it can go without waiting for anything."""
    for _ in range(_PASS_LIMIT):
        before = work.version
        state = work.state.current
        if state.is_terminated or state in WAITING:
            return
        if state is not StateType.KILLING:
            _create_nexts(work)
        _dispatch_waiting(work, renderer)
        _pause_runs(work, renderer)
        wait_for.advance(work, renderer)
        _resolve_flowables(work)
        _update_execution_state(work)
        end_if_done(work, renderer)
        if work.version == before:
            return
    raise RuntimeError("the engine did not settle; this is a bug")  # pragma: no cover


def _create_nexts(work: Work) -> None:
    flow = work.flow
    root = Branches(resolve(flow.tasks), resolve(flow.errors), resolve(flow.finally_))
    branch, current = current_branch(work, root, None)
    for resolved in sequential_nexts(work, current, None, branch):
        _create_run(work, None, resolved.task.id, resolved.value, resolved.iteration)
    for run in work.open_runs():
        task = work.index.task(run.task_id)
        if run.state.current is StateType.RUNNING and _has_children(task):
            assert isinstance(task, FlowableTask)
            for resolved in nexts_of(work, run, task):
                _create_run(work, run, resolved.task.id, resolved.value, resolved.iteration)


def _has_children(task: object) -> bool:
    return isinstance(task, FlowableTask) and not isinstance(task, Subflow)


def _create_run(
    work: Work, parent: TaskRun | None, task_id: str, value: str | None, iteration: int | None
) -> None:
    original = work.original
    work.add(
        TaskRun(
            id=new_id(),
            execution_id=original.id,
            namespace=original.namespace,
            flow_id=original.flow_id,
            task_id=task_id,
            parent_task_run_id=parent.id if parent else None,
            value=value,
            iteration=iteration,
            state=State.of(StateType.CREATED, work.now),
        )
    )


def _dispatch_waiting(work: Work, renderer: TemplateRenderer) -> None:
    waiting = [run for run in work.open_runs() if awaiting_dispatch(run)]
    if not waiting:
        return
    if work.state.current is StateType.KILLING:
        for run in waiting:
            work.set_run_state(run.id, StateType.KILLED)
        return
    base = execution_variables(work)
    for run in waiting:
        dispatch(work, work.run(run.id), renderer, base)


def _pause_runs(work: Work, renderer: TemplateRenderer) -> None:
    for run in work.open_runs():
        task = work.index.task(run.task_id)
        if not isinstance(task, Pause) or not needs_pause(run, task):
            continue
        paused = work.set_run_state(run.id, StateType.PAUSED)
        if task.delay is not None:
            try:
                delay = task.delay
                if isinstance(delay, str):
                    variables = work.reveal(run_variables(work, paused))
                    delay = parse_duration(
                        renderer.render(delay, variables, task_id=task.id, property_path="delay")
                    )
            except (TemplateError, ValueError) as exc:
                fail(work, paused, f"invalid pause delay: {exc}")
                continue
            timer = Timer(
                id=f"pause:{run.id}",
                kind=TimerKind.PAUSE_DELAY,
                due=work.now + delay,
                task_run_id=run.id,
            )
            work.add_timer(timer)
        elif task.timeout is not None:
            due = work.now + task.timeout
            work.add_timer(
                Timer(
                    id=f"pause-timeout:{run.id}",
                    kind=TimerKind.PAUSE_TIMEOUT,
                    due=due,
                    task_run_id=run.id,
                )
            )


def _resolve_flowables(work: Work) -> None:
    killing = work.state.current is StateType.KILLING
    for run in reversed(work.open_runs()):
        current = work.run(run.id)
        task = work.index.task(current.task_id)
        if current.state.current is not StateType.RUNNING or not _has_children(task):
            continue
        assert isinstance(task, FlowableTask)
        # A Pause without tasks that runs again after its pause (a restart) ends SUCCESS.
        state = state_of(work, current, task)
        if state is None and killing:
            children = work.children(current.id)
            if all(child.state.current.is_terminated for child in children):
                state = StateType.KILLED
        if state is not None:
            outputs = (
                end_outputs(work, current, task) if isinstance(task, WorkingDirectory) else None
            )
            if outputs is not None:
                work.set_run_state(
                    current.id, state, outputs={**(current.outputs or {}), **outputs}
                )
            else:
                work.set_run_state(current.id, state)


def _update_execution_state(work: Work) -> None:
    if work.state.current not in (StateType.RUNNING, StateType.PAUSED, StateType.RETRYING):
        return
    states = {run.state.current for run in work.open_runs()}
    if StateType.PAUSED in states:
        work.set_state(StateType.PAUSED)
    elif StateType.RETRYING in states:
        work.set_state(StateType.RETRYING)
    else:
        work.set_state(StateType.RUNNING)


def _delete(work: Work) -> Decision:
    running = [run.id for run in work.runs if not run.state.current.is_terminated]
    kills = [KillNotice(execution_id=work.original.id, task_run_ids=running)] if running else []
    if not work.state.current.is_terminated:
        release_slot(work)
    deleted = work.original.model_copy(update={"deleted": True, "seq": work.original.seq + 1})
    return Decision(execution=deleted, kills=kills, admission=work.admission)


def error_log(
    execution_id: str, namespace: str, flow_id: str, message: str, now: datetime
) -> LogEntry:
    """An ERROR line of the executor about an execution (not about one of its task runs)."""
    return LogEntry(
        execution_id=execution_id,
        namespace=namespace,
        flow_id=flow_id,
        level=LogLevel.ERROR,
        message=message,
        timestamp=now,
        source="executor",
    )


def _unknown_flow(event: CreateExecution, now: datetime) -> Decision:
    message = f"Unable to find flow '{event.namespace}'.'{event.flow_id}'" + (
        f" with revision '{event.flow_revision}'" if event.flow_revision else ""
    )
    log = error_log(event.execution_id, event.namespace, event.flow_id, message, now)
    if event.parent is None:
        return Decision(logs=[log])
    ended = ChildEnded(
        execution_id=event.parent.execution_id,
        task_run_id=event.parent.task_run_id,
        child_execution_id=event.execution_id,
        state=StateType.FAILED,
    )
    return Decision(commands=[ended], logs=[log])


def _lost_flow(execution: Execution, now: datetime) -> Decision:
    if execution.state.current.is_terminated:
        return Decision()
    message = (
        f"flow {execution.namespace}.{execution.flow_id} "
        f"revision {execution.flow_revision} no longer exists"
    )
    log = error_log(execution.id, execution.namespace, execution.flow_id, message, now)
    failed = execution.model_copy(
        update={
            "state": execution.state.with_state(StateType.FAILED, now),
            "seq": execution.seq + 1,
        }
    )
    return Decision(execution=failed, logs=[log])


def _decide(work: Work, settings: EngineSettings) -> Decision:
    if not work.changed:
        work.release()
        return _effects(work)
    snapshot = work.snapshot()
    out = written(work, snapshot, settings.max_snapshot_bytes)
    if out.largest > settings.max_snapshot_bytes:
        return _oversized(work, out.largest, settings)
    return _effects(work, snapshot, out, worker_tasks=work.worker_tasks)


def _effects(
    work: Work, execution: Execution | None = None, out: Written | None = None, **extra: Any
) -> Decision:
    """The decision carrying ``execution`` and every effect the work collected."""
    if out is not None:
        extra.update(
            execution_wire=out.wire,
            whole=out.whole,
            task_runs=out.task_runs,
            removed_task_runs=out.removed,
        )
    return Decision(
        execution=execution,
        commands=work.commands,
        kills=work.kills,
        logs=work.logs,
        admission=work.admission,
        **extra,
    )


def _oversized(work: Work, size: int, settings: EngineSettings) -> Decision:
    """Fail an execution whose snapshot would not fit in a Kafka message."""
    message = (
        f"the execution state is {size} bytes, over the limit of {settings.max_snapshot_bytes}: "
        "the execution fails and task outputs are dropped from its state"
    )
    work.log(LogLevel.ERROR, message)
    work.worker_tasks = []
    kill(work)
    for run in list(work.runs):
        outputs: dict[str, object] | None = {} if run.outputs is not None else None
        state = run.state.current if run.state.current.is_terminated else StateType.KILLED
        if state is not run.state.current:
            work.set_run_state(run.id, state, outputs=outputs)
        else:
            work.put_fields(run, outputs=outputs)
    work.outputs = {}
    finish(work, StateType.FAILED, render_outputs=False)
    snapshot = work.snapshot()
    out: Written | None = written(work, snapshot, settings.max_snapshot_bytes)
    if out is not None and out.largest > settings.max_snapshot_bytes:
        snapshot = snapshot.model_copy(update={"task_run_list": ()})
        out = None
    return _effects(work, snapshot, out)
