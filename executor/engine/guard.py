"""What to decide when the engine itself fails on an event: fail that execution, go on.

An unexpected error inside `advance` is a bug, but one bad event must not stop the
platform: the event would abort its transaction and kill the executor again after every
restart. The shells call `advance` through `guarded_advance`, which turns such an error
into a decision that fails the one execution concerned, with an ERROR log line saying
what happened; when there is no execution left to fail, the caller dead-letters the event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from executor.engine.core import Event, advance, error_log
from executor.engine.decision import Decision, EngineSettings, Environment
from executor.engine.wire import run_records
from orchestrator.models.concurrency import SlotRelease
from orchestrator.models.execution import Execution
from orchestrator.models.messages import ChildEnded, CreateExecution, KillNotice
from orchestrator.models.state import State, StateType
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.executor.engine")


@dataclass
class Outcome:
    """A decision, or why the event could not be applied and must be dead-lettered."""

    decision: Decision
    dead_letter: str | None = None


def guarded_advance(
    execution: Execution | None,
    event: Event,
    env: Environment,
    *,
    now: datetime,
    renderer: TemplateRenderer,
    settings: EngineSettings,
) -> Outcome:
    """`advance`, with an unexpected error failing the execution instead of escaping."""
    try:
        return Outcome(
            advance(execution, event, env, now=now, renderer=renderer, settings=settings)
        )
    except Exception as exc:  # a bug in the engine: contained to this execution
        reason = f"internal error applying a '{event.type}' event: {type(exc).__name__}: {exc}"
        log.exception("execution %s: %s", event.execution_id, reason)
        try:
            failed = _failed(execution, event, reason, now)
        except Exception:  # even the fallback failed: keep the event for a human
            log.exception("execution %s: cannot be failed", event.execution_id)
            failed = None
        if failed is None:
            return Outcome(Decision(), dead_letter=reason)
        return Outcome(failed)


def _failed(
    execution: Execution | None, event: Event, reason: str, now: datetime
) -> Decision | None:
    if execution is None and isinstance(event, CreateExecution):
        execution = Execution(
            id=event.execution_id,
            namespace=event.namespace,
            flow_id=event.flow_id,
            flow_revision=event.flow_revision or 1,
            state=State.of(StateType.CREATED, now),
            labels=event.labels,
            trigger=event.trigger,
            parent=event.parent,
            parent_id=event.parent.execution_id if event.parent else None,
            original_id=event.execution_id,
        )
    if execution is None or execution.deleted or execution.state.current.is_terminated:
        return None
    running = [run for run in execution.task_run_list if not run.state.current.is_terminated]
    runs = tuple(
        run.model_copy(update={"state": run.state.with_state(StateType.FAILED, now)})
        if not run.state.current.is_terminated
        else run
        for run in execution.task_run_list
    )
    failed = execution.model_copy(
        update={
            "seq": execution.seq + 1,
            "state": execution.state.with_state(StateType.FAILED, now),
            "task_run_list": runs,
            "timers": (),
        }
    )
    message = f"{reason}; the execution is failed (please report this bug)"
    decision = Decision(
        execution=failed,
        logs=[error_log(execution.id, execution.namespace, execution.flow_id, message, now)],
        # The flow may be why it failed: give back a slot it may hold (a no-op otherwise).
        admission=[
            SlotRelease(
                namespace=execution.namespace,
                flow_id=execution.flow_id,
                execution_id=execution.id,
            )
        ],
    )
    if failed.task_run_count is not None:
        # A long execution's snapshot is a header: the failed runs go to ``task-runs``.
        changed = [i for i, run in enumerate(runs) if run is not execution.task_run_list[i]]
        decision.task_runs = run_records(failed, changed)
    if running:
        decision.kills.append(
            KillNotice(execution_id=execution.id, task_run_ids=[run.id for run in running])
        )
    if execution.parent is not None:
        decision.commands.append(
            ChildEnded(
                execution_id=execution.parent.execution_id,
                task_run_id=execution.parent.task_run_id,
                child_execution_id=execution.original_id or execution.id,
                state=StateType.FAILED,
            )
        )
    return decision


__all__ = ["Outcome", "guarded_advance"]
