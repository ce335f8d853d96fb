"""Trigger commands applied to a trigger's state, purely (see `models/trigger_commands.py`)."""

from __future__ import annotations

from datetime import datetime

from orchestrator.models.messages import TriggerState
from orchestrator.models.trigger_commands import (
    ChangeBackfill,
    ExecutionEnded,
    SetTriggerEnabled,
    StartBackfill,
    TriggerCommand,
    UnlockTrigger,
)
from orchestrator.models.triggers import FlowTrigger, Schedule, Trigger
from orchestrator.scheduler.decision import Decision, FlowRef, new_state
from orchestrator.scheduler.flow_triggers import on_upstream_end
from orchestrator.scheduler.schedules import recover, start_backfill
from orchestrator.templating import TemplateRenderer


def apply_command(
    command: TriggerCommand,
    state: TriggerState | None,
    trigger: Trigger,
    ref: FlowRef,
    now: datetime,
    renderer: TemplateRenderer | None = None,
) -> Decision:
    """Apply ``command`` to the trigger's state.

    Returns:
        The new state and any execution to create (a flow trigger firing), or a problem
        when the command does not apply to this trigger (it goes to dead-letters).
    """
    current = state if state is not None else new_state(ref, trigger, now)
    if isinstance(command, SetTriggerEnabled):
        updated = current.model_copy(update={"disabled": not command.enabled, "updated": now})
        if command.enabled and current.disabled and isinstance(trigger, Schedule):
            # Re-enabled: the slots missed meanwhile follow the recovery policy (Kestra
            # #6027 ignored NONE here).
            updated = recover(trigger, updated, now)
        return Decision(updated)
    if isinstance(command, UnlockTrigger):
        return Decision(current.model_copy(update={"execution_id": None, "updated": now}))
    if isinstance(command, ExecutionEnded):
        return _ended(command, current, trigger, ref, now, renderer)
    if not isinstance(trigger, Schedule):
        return Decision(problem=f"trigger {trigger.id!r} is not a Schedule: it has no backfill")
    if isinstance(command, StartBackfill):
        end = command.end or now
        if end < command.start:
            return Decision(problem=f"backfill end {end} is before its start {command.start}")
        updated = start_backfill(
            trigger,
            current,
            command.start,
            end,
            now,
            inputs=command.inputs,
            labels=command.labels,
        )
        return Decision(updated)
    return _change_backfill(command, current, now)


def _change_backfill(command: ChangeBackfill, state: TriggerState, now: datetime) -> Decision:
    progress = state.backfill
    if progress is None:
        return Decision(problem=f"no backfill to {command.action}")
    if command.action == "delete":
        # The schedule's own next date is untouched: nothing already fired is replayed.
        return Decision(
            state.model_copy(update={"backfill": None, "backfill_until": None, "updated": now})
        )
    paused = command.action == "pause"
    return Decision(
        state.model_copy(
            update={"backfill": progress.model_copy(update={"paused": paused}), "updated": now}
        )
    )


def _ended(
    command: ExecutionEnded,
    state: TriggerState,
    trigger: Trigger,
    ref: FlowRef,
    now: datetime,
    renderer: TemplateRenderer | None,
) -> Decision:
    if command.started_by_trigger:
        update: dict[str, object] = {"updated": now}
        if state.execution_id == command.execution_id:
            update["execution_id"] = None
        if command.state.value in trigger.stop_after:
            update["disabled"] = True
        return Decision(state.model_copy(update=update))
    if isinstance(trigger, FlowTrigger):
        return on_upstream_end(trigger, state, ref, command, now, renderer)
    return Decision(problem=f"trigger {trigger.id!r} does not listen to other executions")
