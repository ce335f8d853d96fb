"""Starting task runs: runIf, flowables, Sleep and Subflow in the engine, the rest to workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from executor.engine.exit import start_exit
from executor.engine.flowables import FlowableStartError, start_outputs
from executor.engine.inputs import typed_inputs
from executor.engine.labels import child_labels
from executor.engine.variables import run_variables
from executor.engine.work import Work
from executor.engine.workdir import shared_directory
from executor.engine.worker_context import worker_context
from orchestrator.models.duration import parse_duration
from orchestrator.models.execution import (
    ExecutionTrigger,
    ParentLink,
    TaskRun,
    TaskRunAttempt,
    Timer,
    TimerKind,
    new_id,
)
from orchestrator.models.inputs import InputValueError
from orchestrator.models.messages import CreateExecution, WorkerTask
from orchestrator.models.state import State, StateType
from orchestrator.plugin import is_truthy
from orchestrator.tasks.base import FlowableTask, LogLevel, Task
from orchestrator.tasks.core import Labels
from orchestrator.tasks.flow import Exit, Sleep, Subflow
from orchestrator.templating import TemplateError, TemplateRenderer

FLOWABLE_FAILURE = "Unable to resolve state from the Flowable task: "


def awaiting_dispatch(run: TaskRun) -> bool:
    """Whether a run is waiting to be started (and was not already sent to a worker)."""
    if run.state.current not in (StateType.CREATED, StateType.RESTARTED):
        return False
    return not (run.attempts and run.attempts[-1].state.current is StateType.CREATED)


def dispatch(work: Work, run: TaskRun, renderer: TemplateRenderer, base: dict[str, Any]) -> None:
    """Start ``run``: evaluate runIf, then run it in the engine or send it to a worker."""
    task = work.index.task(run.task_id)
    if task is None:
        fail(work, run, f"task '{run.task_id}' is not in revision {work.flow.revision} of the flow")
        return
    # Workers get SECRET inputs encrypted; the engine renders with them revealed.
    context = run_variables(work, run, base)
    variables = work.reveal(context)
    if task.run_if is not None and not isinstance(task, Labels):
        try:
            condition = renderer.render(
                task.run_if, variables, task_id=task.id, property_path="runIf"
            )
        except TemplateError as exc:
            fail(work, run, f"Unable to evaluate the runIf condition for task {task.id}: {exc}")
            return
        if not is_truthy(condition):
            work.set_run_state(run.id, StateType.SKIPPED, outputs={})
            return
    if isinstance(task, Sleep):
        _start_sleep(work, run, task, renderer, variables)
    elif isinstance(task, Exit):
        start_exit(work, run, task, renderer, variables)
    elif isinstance(task, Subflow):
        start_subflow(work, run, task, renderer, variables)
    elif isinstance(task, FlowableTask):
        _start_flowable(work, run, task, renderer, variables)
    else:
        _send_to_worker(work, run, task, context)


def fail(work: Work, run: TaskRun, message: str, *, with_attempt: bool = False) -> None:
    """Fail a run from the engine, with an ERROR log naming the reason."""
    updates: dict[str, Any] = {"error": message, "outputs": run.outputs or {}}
    if with_attempt:
        attempt = TaskRunAttempt(state=State.of(StateType.FAILED, work.now))
        updates["attempts"] = (*run.attempts, attempt)
    failed = work.set_run_state(run.id, StateType.FAILED, **updates)
    work.log(LogLevel.ERROR, message, failed)


def _start_flowable(
    work: Work,
    run: TaskRun,
    task: FlowableTask,
    renderer: TemplateRenderer,
    variables: dict[str, Any],
) -> None:
    running = work.set_run_state(run.id, StateType.RUNNING)
    try:
        updates = start_outputs(task, renderer, variables)
    except FlowableStartError as exc:
        fail(work, running, FLOWABLE_FAILURE + str(exc))
        return
    work.put(running.model_copy(update=updates))


def _start_sleep(
    work: Work, run: TaskRun, task: Sleep, renderer: TemplateRenderer, variables: dict[str, Any]
) -> None:
    try:
        duration = _duration(task.duration, renderer, variables, task.id, "duration")
    except (TemplateError, ValueError) as exc:
        fail(work, run, str(exc), with_attempt=True)
        return
    attempt = TaskRunAttempt(state=State.of(StateType.RUNNING, work.now))
    running = work.set_run_state(run.id, StateType.RUNNING, attempts=(*run.attempts, attempt))
    due = work.now + duration
    work.add_timer(Timer(id=f"sleep:{run.id}", kind=TimerKind.SLEEP, due=due, task_run_id=run.id))
    work.log(LogLevel.DEBUG, f"sleeping {duration.total_seconds()}s", running)


def _duration(
    value: timedelta | str,
    renderer: TemplateRenderer,
    variables: dict[str, Any],
    task_id: str,
    name: str,
) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(renderer.render(value, variables, task_id=task_id, property_path=name))


def start_subflow(
    work: Work, run: TaskRun, task: Subflow, renderer: TemplateRenderer, variables: dict[str, Any]
) -> None:
    """Create the child execution of a Subflow run (a new attempt on each retry)."""
    running = work.set_run_state(run.id, StateType.RUNNING)
    try:
        namespace = renderer.render(
            task.namespace, variables, task_id=task.id, property_path="namespace"
        )
        flow_id = renderer.render(task.flow_id, variables, task_id=task.id, property_path="flowId")
        inputs = renderer.render_recursive(
            task.inputs, variables, task_id=task.id, property_path="inputs"
        )
        extra_labels = renderer.render_recursive(
            task.labels, variables, task_id=task.id, property_path="labels"
        )
    except TemplateError as exc:
        fail(work, running, str(exc), with_attempt=True)
        return
    child_flow = work.env.flow(namespace, flow_id, task.revision)
    if child_flow is None or child_flow.deleted:
        revision = task.revision or 0
        message = f"Unable to find flow '{namespace}'.'{flow_id}' with revision '{revision}'"
        fail(work, running, message, with_attempt=True)
        return
    if child_flow.disabled:
        fail(
            work,
            running,
            f"Cannot execute disabled flow '{namespace}'.'{flow_id}'",
            with_attempt=True,
        )
        return
    try:
        typed = typed_inputs(child_flow, inputs, work.secrets)
    except InputValueError as exc:
        fail(
            work,
            running,
            f"invalid inputs for subflow '{namespace}'.'{flow_id}': {exc}",
            with_attempt=True,
        )
        return
    child_id = new_id()
    trigger_variables: dict[str, Any] = {
        "executionId": work.original.id,
        "namespace": work.original.namespace,
        "flowId": work.original.flow_id,
        "flowRevision": work.original.flow_revision,
        "taskRunId": run.id,
        "taskId": task.id,
    }
    if run.value is not None:
        trigger_variables["taskRunValue"] = run.value
    if run.iteration is not None:
        trigger_variables["taskRunIteration"] = run.iteration
    work.commands.append(
        CreateExecution(
            execution_id=child_id,
            namespace=namespace,
            flow_id=flow_id,
            flow_revision=child_flow.revision,
            inputs=typed,
            labels=child_labels(work.labels, extra_labels, inherit=task.inherit_labels),
            trigger=ExecutionTrigger(id=task.id, type=task.type, variables=trigger_variables),
            parent=ParentLink(
                execution_id=work.original.id,
                task_run_id=run.id,
                namespace=work.original.namespace,
                flow_id=work.original.flow_id,
                flow_revision=work.original.flow_revision,
            ),
            created=work.now,
        )
    )
    attempt = TaskRunAttempt(state=State.of(StateType.RUNNING, work.now))
    outputs = {"executionId": child_id, "state": StateType.CREATED.value}
    running = work.put_fields(running, attempts=(*running.attempts, attempt), outputs=outputs)
    if not task.wait:
        done = TaskRunAttempt(state=attempt.state.with_state(StateType.SUCCESS, work.now))
        work.set_run_state(running.id, StateType.SUCCESS, attempts=(*run.attempts, done))


def _send_to_worker(work: Work, run: TaskRun, task: Task, variables: dict[str, Any]) -> None:
    attempt = TaskRunAttempt(state=State.of(StateType.CREATED, work.now))
    sent = work.put_fields(run, attempts=(*run.attempts, attempt))
    definition = task.to_json_dict()
    work.worker_tasks.append(
        WorkerTask(
            task_run=sent,
            attempt=len(sent.attempts),
            task=definition,
            flow_revision=work.original.flow_revision,
            context=worker_context(variables, task, definition, work.flow),
            working_directory=shared_directory(work, run),
        )
    )
