"""Commands on a running execution: kill, resume, restart, timers firing."""

from __future__ import annotations

from typing import Any

from executor.engine import wait_for
from executor.engine.concurrency import request_slot
from executor.engine.labels import merged
from executor.engine.work import Work
from orchestrator.models.execution import TaskRunAttempt, Timer
from orchestrator.models.inputs import InputValueError
from orchestrator.models.labels import Label
from orchestrator.models.messages import KillExecution, KillNotice, ResumeExecution, TimerFired
from orchestrator.models.state import StateType
from orchestrator.tasks.base import LogLevel
from orchestrator.tasks.flow import Pause, Sleep, Subflow


def kill(work: Work) -> None:
    """Stop the execution: nothing new starts; running task runs get KILLING, then KILLED."""
    if work.state.current.is_terminated or work.state.current is StateType.KILLING:
        return
    work.set_state(StateType.KILLING)
    notify: list[str] = []
    for run in list(work.runs):
        state = run.state.current
        if state.is_terminated:
            continue
        task = work.index.task(run.task_id)
        sent_to_worker = bool(run.attempts) and not run.attempts[-1].state.current.is_terminated
        if state in (StateType.PAUSED, StateType.RETRYING) or isinstance(task, Sleep):
            work.drop_timers_of(run.id)
            _kill_attempt(work, run.id)
        elif isinstance(task, Subflow) and state is StateType.RUNNING:
            work.set_run_state(run.id, StateType.KILLING)
            child = (run.outputs or {}).get("executionId")
            if child:
                work.commands.append(KillExecution(execution_id=child, reason="parent killed"))
        elif task is not None and task.is_flowable:
            continue  # ends once its children have
        elif sent_to_worker:
            work.set_run_state(run.id, StateType.KILLING)
            notify.append(run.id)
        else:
            _kill_attempt(work, run.id)
    work.timers = [timer for timer in work.timers if timer.task_run_id is not None]
    if notify:
        work.kills.append(KillNotice(execution_id=work.original.id, task_run_ids=notify))


def _kill_attempt(work: Work, run_id: str) -> None:
    run = work.run(run_id)
    attempts = run.attempts
    if attempts and not attempts[-1].state.current.is_terminated:
        last = attempts[-1]
        killed = TaskRunAttempt(state=last.state.with_state(StateType.KILLED, work.now))
        attempts = (*attempts[:-1], killed)
    work.set_run_state(run_id, StateType.KILLED, attempts=attempts)


def resume(work: Work, command: ResumeExecution) -> None:
    """Resume paused task runs.

    A QUEUED execution is not paused: it starts only when its flow's admission owner grants
    it a slot, so a Resume never lets it pass the limit.
    """
    paused = [
        run
        for run in work.runs
        if run.state.current is StateType.PAUSED
        and (command.task_run_id is None or run.id == command.task_run_id)
    ]
    for run in paused:
        task = work.index.task(run.task_id)
        if not isinstance(task, Pause):
            continue
        try:
            outputs = resume_outputs(task, command.inputs)
        except InputValueError as exc:
            work.log(LogLevel.ERROR, f"resume refused: {exc}", run)
            continue
        resume_pause(work, run.id, StateType.RUNNING, outputs)


def resume_outputs(task: Pause, given: dict[str, Any]) -> dict[str, Any] | None:
    """Type the inputs given to a resume against the Pause's ``onResume`` declarations.

    Raises:
        InputValueError: a required input is missing or a value does not fit.
    """
    if not task.on_resume:
        return None
    typed: dict[str, Any] = {}
    for declared in task.on_resume:
        value = given.get(declared.id, declared.defaults)
        if value is None:
            if declared.required:
                raise InputValueError(declared.id, "missing required input")
            continue
        typed[declared.id] = declared.parse(value)
    return {"onResume": typed}


def resume_pause(work: Work, run_id: str, state: StateType, outputs: dict[str, Any] | None) -> None:
    """End a pause: RUNNING when the Pause has tasks to run now, else its final state."""
    run = work.run(run_id)
    task = work.index.task(run.task_id)
    work.drop_timers_of(run_id)
    if state is StateType.RUNNING and not (isinstance(task, Pause) and task.tasks):
        state = StateType.SUCCESS
    updates: dict[str, Any] = {}
    if outputs is not None:
        updates["outputs"] = outputs
    work.set_run_state(run_id, state, **updates)


def restart(work: Work) -> None:
    """Restart a failed execution from its failed task runs, keeping what succeeded.

    Failed (or killed, or paused) task runs get a new attempt; their flowable parents run
    again. The ``errors`` and ``finally`` branches of what runs again (the flow's own, and
    those of the restarted flowables) are dropped, so they run again after the new attempt,
    as in Kestra; those of flowables that are not restarted keep their runs.
    """
    if not (work.state.current.is_terminated or work.state.current is StateType.PAUSED):
        work.log(LogLevel.WARN, "restart ignored: the execution has not ended")
        return
    restartable = (StateType.FAILED, StateType.KILLED, StateType.PAUSED)
    targets = {run.id for run in work.runs if run.state.current in restartable}
    for run_id in list(targets):
        targets.update(parent.id for parent in work.ancestors(work.run(run_id)))
    if not targets:
        work.log(LogLevel.WARN, "restart ignored: no failed task run to restart from")
        return
    closing = {
        run.id
        for run in work.runs
        if work.index.in_closing_branch(run.task_id)
        and (run.parent_task_run_id is None or run.parent_task_run_id in targets)
    }
    doomed = {
        run.id
        for run in work.runs
        if run.id in closing or any(parent.id in closing for parent in work.ancestors(run))
    }
    work.remove(doomed)
    for run_id in targets - doomed:
        flowable = work.index.is_flowable(work.run(run_id).task_id)
        sleeping = isinstance(work.index.task(work.run(run_id).task_id), Sleep)
        # A Subflow is called again (a new child execution), not resolved from children.
        calls = isinstance(work.index.task(work.run(run_id).task_id), Subflow)
        resolved = flowable and not sleeping and not calls
        new_state = StateType.RUNNING if resolved else StateType.RESTARTED
        work.set_run_state(run_id, new_state, error=None)
    work.timers = []
    work.set_state(StateType.RESTARTED)
    work.labels = merged(work.labels, [Label(key="system.restarted", value="true")])
    work.metadata = work.metadata.model_copy(
        update={"attempt_number": work.metadata.attempt_number + 1}
    )
    if not request_slot(work):  # with a concurrency limit, it waits for a slot again
        work.set_state(StateType.RUNNING)


_PAUSE_ENDS = {"WARN": StateType.WARNING, "FAIL": StateType.FAILED, "CANCEL": StateType.KILLED}
"""The state a Pause ends in when its duration elapses, by its ``behavior``."""


def fire_timer(work: Work, event: TimerFired) -> Timer | None:
    """Apply a due timer of a task run; return execution-level timers for the caller.

    A stale notice (its timer since removed, or rescheduled under the same id to another
    date) changes nothing: a timer fires only at its own due date.
    """
    timer = work.drop_timer(event.timer_id, due=event.due)
    if timer is None:
        return None
    run = work.find(timer.task_run_id) if timer.task_run_id else None
    if timer.kind == "RETRY" and run and run.state.current is StateType.RETRYING:
        work.set_run_state(run.id, StateType.CREATED)
    elif timer.kind == "PAUSE_DELAY" and run and run.state.current is StateType.PAUSED:
        task = work.index.task(run.task_id)
        behavior = task.behavior if isinstance(task, Pause) else "RESUME"
        if behavior == "RESUME":
            resume_pause(work, run.id, StateType.RUNNING, None)
        else:
            state = _PAUSE_ENDS[behavior]
            message = f"the pause duration elapsed with no resume (behavior {behavior})"
            resume_pause(work, run.id, state, None)
            work.log(LogLevel.WARN, message, work.run(run.id))
    elif timer.kind == "PAUSE_TIMEOUT" and run and run.state.current is StateType.PAUSED:
        work.set_run_state(run.id, StateType.FAILED, error="the pause timed out")
        work.log(LogLevel.ERROR, "the pause timed out", work.run(run.id))
    elif timer.kind == "WAIT_FOR" and run and run.state.current is StateType.RUNNING:
        wait_for.next_iteration(work, run)
    elif timer.kind == "SLEEP" and run and run.state.current is StateType.RUNNING:
        last = run.attempts[-1]
        done = TaskRunAttempt(state=last.state.with_state(StateType.SUCCESS, work.now))
        work.set_run_state(
            run.id, StateType.SUCCESS, attempts=(*run.attempts[:-1], done), outputs={}
        )
    elif timer.task_run_id is None:
        return timer
    return None
