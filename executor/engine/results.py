"""Applying what comes back: worker results, a child execution's end, and retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from executor.engine.labels import SYSTEM_PREFIX, merged
from executor.engine.work import Work
from orchestrator.models.execution import TaskRun, TaskRunAttempt, Timer, TimerKind
from orchestrator.models.labels import Label
from orchestrator.models.messages import ChildEnded, WorkerLost, WorkerTaskResult
from orchestrator.models.retry import RetryBehavior
from orchestrator.models.state import StateType
from orchestrator.tasks.base import LogLevel
from orchestrator.tasks.core import Labels
from orchestrator.tasks.flow import Subflow

_TRANSMITTED = (StateType.FAILED, StateType.KILLED, StateType.WARNING, StateType.PAUSED)


def apply_worker_result(work: Work, result: WorkerTaskResult) -> None:
    """Apply a worker's report on one attempt; stale and duplicate reports change nothing."""
    run = work.find(result.task_run_id)
    if run is None or result.attempt != len(run.attempts):
        return
    current = run.state.current
    if current.is_terminated or current in (StateType.RETRYING, StateType.PAUSED):
        return
    attempt = run.attempts[-1]
    if attempt.state.current.is_terminated:
        return
    if result.state is StateType.RUNNING:
        if attempt.state.current is StateType.RUNNING:
            return
        started = TaskRunAttempt(
            state=attempt.state.with_state(StateType.RUNNING, work.when(attempt.state, result.at)),
            worker_id=result.worker_id,
        )
        state = StateType.KILLING if current is StateType.KILLING else StateType.RUNNING
        work.set_run_state(run.id, state, result.at, attempts=(*run.attempts[:-1], started))
        return
    if not result.state.is_terminated:
        return
    failure = result.failure
    error = failure.message if failure else None
    retryable = failure.retryable if failure else True
    finish_attempt(
        work,
        run,
        result.state,
        result.outputs or {},
        error,
        result.worker_id,
        retryable=retryable,
        at=result.at,
    )


def apply_worker_lost(work: Work, event: WorkerLost) -> None:
    """The worker of the current attempt died: close the attempt as lost and run it again.

    Only the attempt the dead worker reported RUNNING is affected; a later attempt, or one
    that already ended, makes this a no-op.
    """
    run = work.find(event.task_run_id)
    if run is None or event.attempt != len(run.attempts):
        return
    last = run.attempts[-1]
    if last.state.current.is_terminated or last.worker_id != event.worker_id:
        return
    message = f"worker {event.worker_id} was lost while running attempt {event.attempt}"
    work.log(LogLevel.WARN, message, run)
    lost = TaskRunAttempt(
        state=last.state.with_state(StateType.FAILED, work.now), worker_id=last.worker_id
    )
    attempts = (*run.attempts[:-1], lost)
    if run.state.current is StateType.KILLING:
        work.set_run_state(run.id, StateType.KILLED, attempts=attempts)
        return
    work.set_run_state(run.id, StateType.CREATED, attempts=attempts, error=message)


def finish_attempt(
    work: Work,
    run: TaskRun,
    outcome: StateType,
    outputs: dict[str, Any],
    error: str | None,
    worker_id: str | None = None,
    *,
    retryable: bool = True,
    at: datetime | None = None,
) -> None:
    """End the current attempt of ``run`` with ``outcome``, then retry or settle its state.

    A failure the task declared not retryable (``TaskFailedError(retryable=False)``, an
    invalid property) ends the run whatever its retry policy says. ``at``: when the worker
    saw it end (default: now).
    """
    task = work.index.task(run.task_id)
    if isinstance(task, Labels) and outcome is StateType.SUCCESS:
        refused = _system_labels(outputs)
        if refused:
            # Kestra's Labels task throws here: its attempt fails, with an ERROR log.
            error = f"system labels cannot be set by a Labels task: {', '.join(refused)}"
            outcome, outputs = StateType.FAILED, {}
            work.log(LogLevel.ERROR, error, run)
    last = run.attempts[-1]
    closed = TaskRunAttempt(
        state=last.state.with_state(outcome, work.when(last.state, at)),
        worker_id=worker_id or last.worker_id,
    )
    attempts = (*run.attempts[:-1], closed)
    run = work.put_fields(run, attempts=attempts, outputs=outputs, error=error)
    if outcome is StateType.FAILED and retryable and schedule_retry(work, run):
        return
    state = outcome
    policy = work.index.retry_for(run.task_id)
    if state is StateType.SUCCESS and policy and policy.warning_on_retry and len(attempts) > 1:
        state = StateType.WARNING
    if task is not None:
        if state is StateType.FAILED and task.allow_failure:
            state = StateType.WARNING
        if state is StateType.WARNING and task.allow_warning:
            state = StateType.SUCCESS
    if isinstance(task, Labels) and outcome is StateType.SUCCESS:
        _apply_labels(work, run, outputs, at)
        return
    work.set_run_state(run.id, state, at)


def _system_labels(outputs: dict[str, Any]) -> list[str]:
    keys = [str(item["key"]) for item in outputs.get("labels", [])]
    return [key for key in keys if key.startswith(SYSTEM_PREFIX)]


def _apply_labels(
    work: Work, run: TaskRun, outputs: dict[str, Any], at: datetime | None = None
) -> None:
    added = [Label(key=str(item["key"]), value=str(item["value"])) for item in outputs["labels"]]
    work.labels = merged(work.labels, added)
    work.set_run_state(run.id, StateType.SUCCESS, at, outputs={})


def schedule_retry(work: Work, run: TaskRun) -> bool:
    """Schedule another attempt of a failed run if its retry policy allows; True if so.

    In-place retries put the run in RETRYING with a timer. A ``CREATE_NEW_EXECUTION`` retry
    ends this execution RETRIED; a timer then creates the next execution.
    """
    policy = work.index.retry_for(run.task_id)
    task = work.index.task(run.task_id)
    if policy is None or task is None or (task.is_flowable and not isinstance(task, Subflow)):
        return False
    if policy.behavior is RetryBehavior.CREATE_NEW_EXECUTION:
        return _retry_as_new_execution(work, run, policy.delay(work.metadata.attempt_number))
    if not run.attempts:
        return False
    first_start = run.attempts[0].state.start_date or work.now
    if not policy.allows(len(run.attempts), work.now - first_start):
        return False
    due = work.now + policy.delay(len(run.attempts))
    work.set_run_state(run.id, StateType.RETRYING)
    timer_id = f"retry:{run.id}:{len(run.attempts)}"
    work.add_timer(Timer(id=timer_id, kind=TimerKind.RETRY, due=due, task_run_id=run.id))
    return True


def _retry_as_new_execution(work: Work, run: TaskRun, delay: Any) -> bool:
    policy = work.index.retry_for(run.task_id)
    assert policy is not None
    number = work.metadata.attempt_number
    if policy.max_attempt is not None and number >= policy.max_attempt:
        return False
    started = work.metadata.original_created_date or work.state.start_date or work.now
    if policy.max_duration is not None and work.now + delay > started + policy.max_duration:
        return False
    for each in (run, *work.ancestors(run)):
        work.set_run_state(each.id, StateType.RETRIED)
    work.set_state(StateType.RETRIED)
    work.add_timer(
        Timer(id=f"new-execution:{number}", kind=TimerKind.NEW_EXECUTION, due=work.now + delay)
    )
    return True


def apply_child_ended(work: Work, event: ChildEnded) -> None:
    """A subflow's execution ended: end the waiting Subflow run accordingly."""
    run = work.find(event.task_run_id)
    if run is None or not run.attempts:
        return
    if run.state.current.is_terminated or run.state.current is StateType.RETRYING:
        return
    if (run.outputs or {}).get("executionId") != event.child_execution_id:
        return  # the child of an earlier attempt
    task = work.index.task(run.task_id)
    transmit = not isinstance(task, Subflow) or task.transmit_failed
    outcome = event.state if transmit and event.state in _TRANSMITTED else StateType.SUCCESS
    if outcome is StateType.PAUSED:
        outcome = StateType.FAILED
    outputs: dict[str, Any] = {"executionId": event.child_execution_id, "state": event.state.value}
    if event.outputs:
        outputs["outputs"] = event.outputs
    error = None
    if outcome is StateType.FAILED:
        error = f"subflow execution {event.child_execution_id} ended {event.state.value}"
    finish_attempt(work, run, outcome, outputs, error)
