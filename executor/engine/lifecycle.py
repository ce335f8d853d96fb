"""Birth and end of executions: creation, flow outputs, SLA, replay and new-execution retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from executor.engine.concurrency import release_slot, request_slot
from executor.engine.control import kill
from executor.engine.inputs import typed_inputs
from executor.engine.labels import creation_labels, merged
from executor.engine.resolve import Branches, resolve, resolve_state
from executor.engine.variables import execution_variables
from executor.engine.work import Work
from orchestrator.models.execution import (
    Execution,
    ExecutionMetadata,
    TaskRun,
    Timer,
    TimerKind,
    new_id,
)
from orchestrator.models.flow import Flow, Sla
from orchestrator.models.inputs import _INPUT_ADAPTER, InputValueError
from orchestrator.models.labels import Label
from orchestrator.models.messages import ChildEnded, CreateExecution
from orchestrator.models.state import State, StateType
from orchestrator.plugin import is_truthy
from orchestrator.tasks.base import LogLevel
from orchestrator.tasks.flow import Dag, EachParallel, ForEach, Parallel, Subflow
from orchestrator.templating import TemplateError, TemplateRenderer


def new_execution(command: CreateExecution, flow: Flow) -> Execution:
    """Build the first snapshot of an execution (seq 0, CREATED) from its Create command."""
    if command.initial is not None:
        return command.initial
    return Execution(
        id=command.execution_id,
        namespace=command.namespace,
        flow_id=command.flow_id,
        flow_revision=flow.revision or 1,
        state=State.of(StateType.CREATED, command.created),
        labels=creation_labels(flow.labels, command.labels, command.execution_id),
        trigger=command.trigger,
        parent=command.parent,
        parent_id=command.parent.execution_id if command.parent else None,
        original_id=command.execution_id,
        schedule_date=command.schedule_date,
        metadata=ExecutionMetadata(original_created_date=command.created),
    )


def start(work: Work, command: CreateExecution) -> None:
    """Check inputs and limits of a new execution, then let it run (or wait, or end)."""
    if command.initial is not None:
        # A replay or a flow-level retry: its snapshot is prepared, it only has to start.
        if work.state.current in (StateType.CREATED, StateType.RESTARTED):
            admit(work)
        return
    flow = work.flow
    try:
        work.inputs = typed_inputs(flow, command.inputs, work.secrets)
    except InputValueError as exc:
        work.log(LogLevel.ERROR, f"invalid inputs: {exc}")
        finish(work, StateType.FAILED, render_outputs=False)
        return
    if flow.disabled:
        work.log(LogLevel.ERROR, f"flow {flow.namespace}.{flow.id} is disabled")
        finish(work, StateType.FAILED, render_outputs=False)
        return
    for sla in flow.sla:
        if sla.type == "MAX_DURATION" and sla.duration is not None:
            due = work.now + sla.duration
            timer = Timer(id=f"sla:{sla.id}", kind=TimerKind.SLA, due=due, sla_id=sla.id)
            work.add_timer(timer)
    if command.schedule_date is not None and command.schedule_date > work.now:
        due = command.schedule_date
        work.add_timer(Timer(id="schedule", kind=TimerKind.SCHEDULE, due=due))
        return
    admit(work)


def admit(work: Work) -> None:
    """Start the execution, or ask for a slot when its flow has a concurrency limit.

    With a limit, the execution waits (CREATED, or RESTARTED) for the answer of the flow's
    admission owner, which alone sees every execution of the flow.
    """
    if not request_slot(work):
        work.set_state(StateType.RUNNING)


def end_if_done(work: Work, renderer: TemplateRenderer) -> None:
    """End the execution once its active branch has ended (or, killed, once all runs have)."""
    current = work.state.current
    if current is StateType.KILLING:
        if not work.run_index.open:
            from executor.engine.exit import exit_state  # exit imports control, which needs us

            finish(work, exit_state(work) or StateType.KILLED, render_outputs=False)
        return
    if current not in (StateType.RUNNING, StateType.RESTARTED):
        return
    flow = work.flow
    branches = Branches(resolve(flow.tasks), resolve(flow.errors), resolve(flow.finally_))
    state = resolve_state(work, branches, None)
    if state is not None and not work.run_index.open:
        finish(work, state, render_outputs=True, renderer=renderer)


def finish(
    work: Work,
    state: StateType,
    *,
    render_outputs: bool,
    renderer: TemplateRenderer | None = None,
    held_slot: bool = True,
) -> None:
    """Give the execution its final state, its flow outputs, and tell its parent.

    ``held_slot`` False: the execution was refused a slot, so it has none to give back.
    """
    if render_outputs and renderer is not None and state.is_success and work.flow.outputs:
        try:
            work.outputs = flow_outputs(work, renderer)
        except (TemplateError, InputValueError) as exc:
            work.log(LogLevel.ERROR, f"Failed to render output values: {exc}")
            state = StateType.FAILED
    work.timers = [timer for timer in work.timers if timer.kind is TimerKind.NEW_EXECUTION]
    work.set_state(state)
    if held_slot:
        release_slot(work)
    parent = work.original.parent
    if parent is not None and state is not StateType.RETRIED:
        work.commands.append(
            ChildEnded(
                execution_id=parent.execution_id,
                task_run_id=parent.task_run_id,
                # The id the parent waits on: a child retried as a new execution (its
                # CREATE_NEW_EXECUTION retry) answers for the first one.
                child_execution_id=work.original.original_id or work.original.id,
                state=state,
                outputs=work.outputs,
            )
        )


def flow_outputs(work: Work, renderer: TemplateRenderer) -> dict[str, Any]:
    """Render and type the flow's declared outputs."""
    variables = work.reveal(execution_variables(work))
    typed: dict[str, Any] = {}
    for output in work.flow.outputs:
        rendered = renderer.render_recursive(
            output.value, variables, property_path=f"outputs.{output.id}"
        )
        declared = _INPUT_ADAPTER.validate_python({"id": output.id, "type": output.type})
        typed[output.id] = declared.parse(rendered)
    return typed


def check_assertions(work: Work, renderer: TemplateRenderer) -> None:
    """Evaluate EXECUTION_ASSERTION SLAs; the first one violated applies its behaviour."""
    if work.state.current.is_terminated:
        return
    assertions = [sla for sla in work.flow.sla if sla.type == "EXECUTION_ASSERTION" and sla.assert_]
    if not assertions:
        return
    variables = work.reveal(execution_variables(work))
    for sla in assertions:
        try:
            holds = is_truthy(renderer.render(sla.assert_ or "", variables, property_path="assert"))
        except TemplateError as exc:
            work.log(LogLevel.WARN, f"SLA '{sla.id}' could not be evaluated: {exc}")
            continue
        if not holds:
            violate(work, sla, "assertion is false")
            return


def violate(work: Work, sla: Sla, reason: str) -> None:
    """Apply a violated SLA: fail or cancel the execution (or only label it)."""
    wanted = [Label(key=label.key, value=label.value) for label in sla.labels]
    if wanted and not all(label in work.labels for label in wanted):
        work.labels = merged(work.labels, wanted)
        work.touch()
    if sla.behavior not in ("FAIL", "CANCEL"):
        return
    state = StateType.FAILED if sla.behavior == "FAIL" else StateType.CANCELLED
    work.log(
        LogLevel.ERROR, f"Execution {state.value.lower()} due to SLA '{sla.id}' violated: {reason}"
    )
    kill(work)
    for run in work.runs:
        if run.state.current is StateType.KILLING:
            continue
        if not run.state.current.is_terminated:
            work.set_run_state(run.id, state)
    finish(work, state, render_outputs=False)


def replay_snapshot(work: Work, from_run_id: str | None, now: datetime) -> Execution:
    """A new execution replaying this one from ``from_run_id`` (from the start when None).

    Task runs before the replayed one keep their state and outputs under new ids; the
    replayed run and its parents start again; what came after it is dropped.
    """
    original = work.original
    runs = _replayed_runs(work, from_run_id) if from_run_id else []
    execution_id = new_id()
    ids = {run.id: new_id() for run in runs}
    copied = tuple(
        run.model_copy(
            update={
                "id": ids[run.id],
                "execution_id": execution_id,
                "parent_task_run_id": ids.get(run.parent_task_run_id or ""),
            }
        )
        for run in runs
    )
    state = work.state.with_state(StateType.RESTARTED, now) if runs else State.of(at=now)
    return original.model_copy(
        update={
            "id": execution_id,
            "seq": 0,
            "state": state,
            "task_run_list": copied,
            "outputs": {},
            "timers": (),
            "parent_id": original.id,
            "original_id": original.original_id or original.id,
            "labels": tuple(
                merged(list(original.labels), [Label(key="system.replay", value="true")])
            ),
            "metadata": work.metadata.model_copy(
                update={"attempt_number": work.metadata.attempt_number + 1}
            ),
        }
    )


def _replayed_runs(work: Work, from_run_id: str) -> list[TaskRun]:
    target = work.find(from_run_id)
    if target is None:
        return []
    chain = {parent.id for parent in work.ancestors(target)}
    position = {run.id: index for index, run in enumerate(work.runs)}
    kept: list[TaskRun] = []
    for run in work.runs:
        if run.id == target.id or run.id in chain:
            # A Subflow is called again (a new child execution), not resolved from children.
            calls = isinstance(work.index.task(run.task_id), Subflow)
            flowable = work.index.is_flowable(run.task_id) and not calls
            new_state = StateType.RUNNING if flowable else StateType.RESTARTED
            kept.append(run.model_copy(update={"state": run.state.with_state(new_state, work.now)}))
        elif target.id in {parent.id for parent in work.ancestors(run)}:
            continue  # inside the replayed task: it runs again
        elif position[run.id] > position[target.id] and _after(work, run, target):
            continue
        else:
            kept.append(run)
    return kept


def _after(work: Work, run: TaskRun, target: TaskRun) -> bool:
    """Whether ``run`` follows ``target`` in a sequence, rather than beside it in parallel."""
    target_chain = {parent.id for parent in work.ancestors(target)}
    for parent in work.ancestors(run):
        if parent.id in target_chain:
            return not _runs_in_parallel(work.index.task(parent.task_id))
    return True  # the common parent is the flow itself: a sequence


def _runs_in_parallel(task: object) -> bool:
    if isinstance(task, Parallel | EachParallel | Dag):
        return True
    return isinstance(task, ForEach) and task.concurrency_limit != 1
