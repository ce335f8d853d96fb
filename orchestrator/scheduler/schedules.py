"""Schedule triggers, purely: (trigger, state, flow, now) -> new state and Create commands.

Rules (Kestra's, where it documents them):

- a new schedule first fires at its first slot after it is seen (its ``backfill:`` property,
  deprecated, starts a backfill from that date);
- a changed cron, zone or seconds setting starts afresh from now;
- schedules never overlap: while the execution of a slot runs, the trigger is locked to it
  and the next slot waits (a backfill too); the executor reports the end (`ExecutionEnded`);
- a slot started later than ``lateMaximumDelay`` after its date is skipped, and so is one
  whose ``conditions`` do not hold;
- after downtime or a re-enable, `recover` applies ``recoverMissedSchedules``: ALL fires
  every missed slot, LAST the latest one, NONE none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orchestrator.models.messages import TriggerState
from orchestrator.models.trigger_parts import BackfillProgress
from orchestrator.models.triggers import Schedule
from orchestrator.scheduler.conditions import ConditionContext, ConditionError, conditions_hold
from orchestrator.scheduler.cron import CronSchedule, cron_schedule
from orchestrator.scheduler.decision import (
    Decision,
    Firing,
    FlowRef,
    build_create,
    fired,
    new_state,
)
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.scheduler.schedules")

RECOVERY_GRACE = timedelta(seconds=1)
"""Slots this recent are on time, not missed: a quick failover does not drop them."""

_MAX_SKIPS = 100_000  # slots skipped in one evaluation at most (late or failing conditions)


@dataclass(frozen=True)
class ScheduleContext:
    """What a schedule's evaluation needs besides the trigger and its state."""

    now: datetime
    renderer: TemplateRenderer | None = None
    backfill_pace: timedelta = timedelta(0)


def cron_of(trigger: Schedule) -> CronSchedule:
    """The trigger's cron schedule."""
    return cron_schedule(trigger.expression, trigger.timezone, trigger.with_seconds)


def fingerprint(trigger: Schedule) -> str:
    """What the next date is computed from: a change starts the schedule afresh."""
    return f"{trigger.expression}|{trigger.timezone}|{trigger.with_seconds}"


def recover(trigger: Schedule, state: TriggerState, now: datetime) -> TriggerState:
    """Apply ``recoverMissedSchedules`` to the slots missed before ``now``."""
    policy = trigger.recover_missed_schedules or "ALL"
    due = state.next_date
    cutoff = now - RECOVERY_GRACE
    if policy == "ALL" or due is None or due > cutoff:
        return state
    cron = cron_of(trigger)
    if policy == "NONE":
        return state.model_copy(update={"next_date": cron.next_after(cutoff), "updated": now})
    last = cron.previous_before(cutoff + timedelta(microseconds=1))
    if last is None or last < due:
        return state
    return state.model_copy(update={"next_date": last, "updated": now})


def start_backfill(
    trigger: Schedule,
    state: TriggerState,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    inputs: dict[str, Any] | None = None,
    labels: Any = (),
) -> TriggerState:
    """``state`` with a backfill of the slots in ``[start, end]`` (its first slot fires once)."""
    first = cron_of(trigger).next_after(start - timedelta(microseconds=1))
    progress = BackfillProgress(
        start=start,
        end=end,
        next_date=first if first <= end else None,
        inputs=inputs or {},
        labels=labels,
        created=now,
    )
    return state.model_copy(update={"backfill": progress, "backfill_until": end, "updated": now})


def variables(
    trigger: Schedule, slot: datetime, previous_hint: datetime | None = None
) -> dict[str, Any]:
    """``trigger.date``, ``trigger.next`` and ``trigger.previous``, in the trigger's zone.

    ``previous_hint`` (the slot fired before, usually the previous one) spares searching
    backwards, which costs far more than searching forwards.
    """
    cron = cron_of(trigger)
    if (
        previous_hint is not None
        and previous_hint < slot
        and cron.next_after(previous_hint) == slot
    ):
        previous: datetime | None = previous_hint
    else:
        previous = cron.previous_before(slot)
    return {
        "date": cron.local(slot).isoformat(),
        "next": cron.local(cron.next_after(slot)).isoformat(),
        "previous": cron.local(previous).isoformat() if previous else None,
    }


def _holds(trigger: Schedule, ref: FlowRef, slot: datetime, ctx: ScheduleContext) -> bool:
    if not trigger.conditions:
        return True
    trigger_vars = variables(trigger, slot)
    context = ConditionContext(
        variables={
            "trigger": trigger_vars,
            "flow": {"id": ref.flow_id, "namespace": ref.namespace, "revision": ref.revision},
        },
        date=cron_of(trigger).local(slot),
        renderer=ctx.renderer,
    )
    try:
        return conditions_hold(trigger.conditions, context)
    except ConditionError as exc:
        # Skipped, not retried: a condition that cannot be evaluated must not stop time.
        log.error(
            "trigger %s of %s.%s skips %s: %s", trigger.id, ref.namespace, ref.flow_id, slot, exc
        )
        return False


def _fire(
    trigger: Schedule,
    ref: FlowRef,
    state: TriggerState,
    slot: datetime,
    ctx: ScheduleContext,
    progress: BackfillProgress | None = None,
) -> tuple[TriggerState, Firing]:
    # The slot fired before is the previous one unless conditions or lateness skipped some.
    trigger_vars = variables(trigger, slot, None if progress else state.last_date)
    if progress is None:
        state = state.model_copy(update={"last_date": slot})
    create = build_create(
        ref,
        trigger,
        trigger_vars,
        inputs={**trigger.inputs, **(progress.inputs if progress else {})},
        labels=progress.labels if progress else (),
        schedule_date=slot,
        renderer=ctx.renderer,
        now=ctx.now,
    )
    return fired(state, create, ctx.now, lock=True), Firing(create, slot)


def _next_slot(
    trigger: Schedule, ref: FlowRef, state: TriggerState, ctx: ScheduleContext
) -> tuple[TriggerState, datetime | None]:
    """Skip the due slots that are too late or fail the conditions; return the one to fire."""
    cron = cron_of(trigger)
    late = trigger.late_maximum_delay
    for _ in range(_MAX_SKIPS):
        slot = state.next_date
        if slot is None or slot > ctx.now:
            return state, None
        following = cron.next_after(slot)
        if (late is not None and ctx.now - slot > late) or not _holds(trigger, ref, slot, ctx):
            state = state.model_copy(update={"next_date": following, "updated": ctx.now})
            continue
        advanced = state.model_copy(update={"next_date": following})
        return advanced, slot
    return state, None


def _backfill_slot(
    trigger: Schedule, state: TriggerState, ctx: ScheduleContext
) -> tuple[TriggerState, BackfillProgress, datetime] | None:
    progress = state.backfill
    if progress is None or progress.paused or progress.next_date is None:
        return None
    if progress.last_fired is not None and ctx.now - progress.last_fired < ctx.backfill_pace:
        return None
    slot = progress.next_date
    following = cron_of(trigger).next_after(slot)
    advanced = progress.model_copy(
        update={
            "next_date": following if following <= progress.end else None,
            "fired": progress.fired + 1,
            "last_fired": ctx.now,
        }
    )
    return state.model_copy(update={"backfill": advanced}), advanced, slot


def evaluate_schedule(
    trigger: Schedule,
    state: TriggerState | None,
    ref: FlowRef,
    ctx: ScheduleContext,
) -> Decision:
    """Decide what a schedule does at ``ctx.now``: at most one firing (schedules never overlap).

    Args:
        trigger: The schedule, as in the flow's latest revision.
        state: Its state (None: never seen before).
        ref: The flow revision.
        ctx: The clock and the knobs.

    Returns:
        The new state (None if unchanged) and the Create command to commit with it.
    """
    now = ctx.now
    before = state
    if state is None:
        state = new_state(ref, trigger, now)
        if trigger.backfill is not None and trigger.backfill.start is not None:
            end = trigger.backfill.end or now
            state = start_backfill(trigger, state, trigger.backfill.start, end, now)
    identity = fingerprint(trigger)
    if state.fingerprint != identity or state.next_date is None:
        state = state.model_copy(
            update={
                "fingerprint": identity,
                "next_date": cron_of(trigger).next_after(now),
                "trigger_type": trigger.type,
                "updated": now,
            }
        )
    if state.flow_revision != ref.revision:
        state = state.model_copy(update={"flow_revision": ref.revision, "updated": now})
    active = not (state.disabled or trigger.disabled or ref.flow.disabled)
    if active and state.execution_id is None:
        state, slot = _next_slot(trigger, ref, state, ctx)
        if slot is not None:
            state, firing = _fire(trigger, ref, state, slot, ctx)
            return Decision(state, (firing,))
        backfill = _backfill_slot(trigger, state, ctx)
        if backfill is not None:
            state, progress, slot = backfill
            state, firing = _fire(trigger, ref, state, slot, ctx, progress)
            return Decision(state, (firing,))
    return Decision(state if state is not before else None)


def wake_at(trigger: Schedule, state: TriggerState, pace: timedelta) -> datetime | None:
    """When the schedule needs evaluating next (None: only when a command arrives)."""
    if state.disabled or state.execution_id is not None:
        return None
    wakes = [state.next_date] if state.next_date is not None else []
    progress = state.backfill
    if progress is not None and not progress.paused and progress.next_date is not None:
        wakes.append(progress.last_fired + pace if progress.last_fired else progress.created)
    return min(wakes) if wakes else None
