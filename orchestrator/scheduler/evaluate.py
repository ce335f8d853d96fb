"""One pure entry point for any trigger type: evaluate it at ``now``, or say when to wake."""

from __future__ import annotations

from datetime import datetime, timedelta

from orchestrator.models.messages import TriggerState
from orchestrator.models.triggers import Schedule
from orchestrator.scheduler.decision import Decision, new_state
from orchestrator.scheduler.definitions import TriggerDefinition
from orchestrator.scheduler.polling import PollingTrigger, poll_due
from orchestrator.scheduler.schedules import ScheduleContext, evaluate_schedule, recover, wake_at


def wants_poll(definition: TriggerDefinition, state: TriggerState | None, now: datetime) -> bool:
    """Whether a polling trigger must be polled now."""
    return (
        isinstance(definition.trigger, PollingTrigger)
        and definition.active
        and state is not None
        and poll_due(state, now)
    )


def evaluate(
    definition: TriggerDefinition,
    state: TriggerState | None,
    ctx: ScheduleContext,
    *,
    recovering: bool = False,
) -> Decision:
    """Evaluate a trigger at ``ctx.now``.

    Args:
        definition: The trigger and its flow revision.
        state: Its state, None if it has none yet.
        ctx: The clock and knobs.
        recovering: The state was just restored (after downtime or a failover) or the
            trigger was just re-enabled in its YAML: apply the recovery policy first.
    """
    trigger = definition.trigger
    if isinstance(trigger, Schedule):
        if recovering and state is not None:
            recovered = recover(trigger, state, ctx.now)
            decision = evaluate_schedule(trigger, recovered, definition.ref, ctx)
            if decision.state is None and recovered is not state:
                return Decision(recovered)
            return decision
        return evaluate_schedule(trigger, state, definition.ref, ctx)
    # Flow triggers fire on commands, webhooks through the API, polling triggers when their
    # poll (in a thread) returns: here they only get a state (so that `kestrel trigger
    # list` shows them) that follows the flow's revision.
    if state is None:
        state = new_state(definition.ref, trigger, ctx.now)
        if isinstance(trigger, PollingTrigger):
            state = state.model_copy(update={"next_date": ctx.now})  # poll at once
        return Decision(state)
    if state.flow_revision != definition.ref.revision:
        return Decision(
            state.model_copy(update={"flow_revision": definition.ref.revision, "updated": ctx.now})
        )
    return Decision()


def next_wake(
    definition: TriggerDefinition, state: TriggerState, pace: timedelta
) -> datetime | None:
    """When the trigger must be evaluated again (None: only on a command or a flow change)."""
    if not definition.active:
        return None
    if isinstance(definition.trigger, Schedule):
        return wake_at(definition.trigger, state, pace)
    polling = isinstance(definition.trigger, PollingTrigger)
    if polling and not state.disabled and state.execution_id is None:
        return state.next_date or state.updated
    return None
