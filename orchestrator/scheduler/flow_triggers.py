"""Flow triggers, purely: an upstream execution ended -> maybe one downstream execution.

The executor sends `ExecutionEnded` to each listening trigger's key inside its transaction,
and the scheduler owning the key applies it inside its own: one upstream end is one
message, consumed once, so it starts at most one downstream execution whatever the number
of executors (Kestra #14196).

With ``preconditions``, the trigger fires once every upstream flow and ``where`` filter was
satisfied within its time window; what was satisfied is kept in the state's ``window``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from orchestrator.models.messages import TriggerState
from orchestrator.models.trigger_commands import ExecutionEnded
from orchestrator.models.trigger_parts import PreconditionWindow, UpstreamRun
from orchestrator.models.triggers import FlowTrigger, Preconditions, TimeWindow, WhereFilter
from orchestrator.scheduler.conditions import (
    ConditionContext,
    ConditionError,
    UpstreamExecution,
    conditions_hold,
)
from orchestrator.scheduler.decision import Decision, Firing, FlowRef, build_create, fired
from orchestrator.templating import TemplateRenderer

DEFAULT_WINDOW = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def flow_variables(ended: ExecutionEnded) -> dict[str, Any]:
    """The ``trigger`` variables of an execution started by a flow trigger."""
    return {
        "executionId": ended.execution_id,
        "namespace": ended.execution_namespace,
        "flowId": ended.execution_flow_id,
        "flowRevision": ended.flow_revision,
        "state": ended.state.value,
        "outputs": dict(ended.outputs),
        "executionLabels": {label.key: label.value for label in ended.labels},
    }


def _context(ended: ExecutionEnded, renderer: TemplateRenderer | None) -> ConditionContext:
    return ConditionContext(
        variables={"trigger": flow_variables(ended)},
        execution=UpstreamExecution(
            id=ended.execution_id,
            namespace=ended.execution_namespace,
            flow_id=ended.execution_flow_id,
            state=ended.state.value,
            labels={label.key: label.value for label in ended.labels},
            outputs=ended.outputs,
        ),
        renderer=renderer,
    )


def on_upstream_end(
    trigger: FlowTrigger,
    state: TriggerState,
    ref: FlowRef,
    ended: ExecutionEnded,
    now: datetime,
    renderer: TemplateRenderer | None = None,
) -> Decision:
    """Decide whether the end of an upstream execution starts a downstream one."""
    if state.disabled or trigger.disabled or ref.flow.disabled:
        return Decision()
    if not trigger.listens_to(ended.state.value):
        return Decision()
    context = _context(ended, renderer)
    if not conditions_hold(trigger.conditions, context):
        return Decision()
    if trigger.preconditions is not None:
        window, complete = advance_window(trigger.preconditions, state.window, ended, context)
        if window == state.window and not complete:
            return Decision()
        state = state.model_copy(update={"window": window, "updated": now})
        if not complete:
            return Decision(state)
    create = build_create(
        ref,
        trigger,
        flow_variables(ended),
        inputs=trigger.inputs,
        renderer=renderer,
        now=now,
    )
    after = fired(state, create, now, lock=False).model_copy(update={"last_date": now})
    return Decision(after, (Firing(create, ended.ended),))


# ---- preconditions ----------------------------------------------------------------------


def window_start(window: TimeWindow, at: datetime) -> datetime | None:
    """Start of the window ``at`` falls in (None: ``at`` is outside every window)."""
    at = at.astimezone(UTC)
    midnight = datetime.combine(at.date(), time(0), tzinfo=UTC)
    if window.type == "SLIDING_WINDOW":
        return at - (window.window or DEFAULT_WINDOW)
    if window.type == "DAILY_TIME_DEADLINE":
        deadline = _clock(window.deadline, at) or midnight + DEFAULT_WINDOW
        return midnight if at <= deadline else None
    if window.type == "DAILY_TIME_WINDOW":
        start = _clock(window.start_time, at) or midnight
        end = _clock(window.end_time, at) or midnight + DEFAULT_WINDOW
        return start if start <= at <= end else None
    length = window.window or DEFAULT_WINDOW
    base = _EPOCH + (window.window_advance or timedelta(0))
    return base + ((at - base) // length) * length


def _clock(text: str | None, day: datetime) -> datetime | None:
    if not text:
        return None
    parsed = time.fromisoformat(text)
    zone = parsed.tzinfo or UTC
    local = day.astimezone(zone)
    return datetime.combine(local.date(), parsed.replace(tzinfo=None), tzinfo=zone)


def _matches_filter(where: WhereFilter, context: ConditionContext) -> bool:
    upstream = context.execution
    assert upstream is not None
    if where.field == "EXPRESSION":
        text = context.render(str(where.value))
        return text.strip().lower() == "true"
    actual = {"FLOW_ID": upstream.flow_id, "NAMESPACE": upstream.namespace}.get(
        where.field, upstream.state
    )
    value = "" if where.value is None else str(where.value)
    checks = {
        "EQUAL_TO": actual == value,
        "NOT_EQUAL_TO": actual != value,
        "IN": actual in where.values,
        "NOT_IN": actual not in where.values,
        "STARTS_WITH": actual.startswith(value),
        "ENDS_WITH": actual.endswith(value),
        "IS_TRUE": actual.lower() == "true",
    }
    return checks[where.type]


def _satisfied(preconditions: Preconditions, context: ConditionContext) -> list[str]:
    """The preconditions the upstream execution satisfies (their window keys)."""
    upstream = context.execution
    assert upstream is not None
    keys = []
    for flow in preconditions.flows:
        if (
            flow.namespace == upstream.namespace
            and flow.flow_id == upstream.flow_id
            and upstream.state in flow.states
            and all(upstream.labels.get(label.key) == label.value for label in flow.labels)
        ):
            keys.append(f"flow:{flow.namespace}/{flow.flow_id}")
    for where in preconditions.where:
        results = [_matches_filter(each, context) for each in where.filters]
        if all(results) if where.operand == "AND" else any(results):
            keys.append(f"where:{where.id}")
    return keys


def required_keys(preconditions: Preconditions) -> set[str]:
    """Every key the window must hold before the trigger fires."""
    return {f"flow:{each.namespace}/{each.flow_id}" for each in preconditions.flows} | {
        f"where:{each.id}" for each in preconditions.where
    }


def advance_window(
    preconditions: Preconditions,
    window: PreconditionWindow | None,
    ended: ExecutionEnded,
    context: ConditionContext,
) -> tuple[PreconditionWindow | None, bool]:
    """The window after an upstream end, and whether every precondition is now met."""
    start = window_start(preconditions.time_window, ended.ended)
    if start is None:  # outside the daily window: nothing counts
        return window, False
    kept = {
        key: run for key, run in (window.matched.items() if window else ()) if run.ended >= start
    }
    keys = _satisfied(preconditions, context)
    if not keys:
        if window is not None and len(kept) != len(window.matched):
            return PreconditionWindow(start=start, matched=kept), False
        return window, False
    run = UpstreamRun(
        execution_id=ended.execution_id,
        namespace=ended.execution_namespace,
        flow_id=ended.execution_flow_id,
        state=ended.state.value,
        ended=ended.ended,
        outputs=dict(ended.outputs),
    )
    for key in keys:
        kept[key] = run
    complete = required_keys(preconditions) <= set(kept)
    if complete and preconditions.reset_on_success:
        return PreconditionWindow(start=start, matched={}), True
    return PreconditionWindow(start=start, matched=kept), complete


_PREFILTERED = {"ExecutionFlow", "ExecutionNamespace", "ExecutionStatus"}


def may_concern(trigger: FlowTrigger, namespace: str, flow_id: str, state: str) -> bool:
    """A cheap first filter, for the executor: whether an end may concern ``trigger``.

    Only ``states``, the preconditions' flows and the top-level conditions on the flow,
    namespace and state are checked; the scheduler evaluates everything again.
    """
    if trigger.disabled or not trigger.listens_to(state):
        return False
    preconditions = trigger.preconditions
    if preconditions is not None and preconditions.flows and not preconditions.where:
        named = {(each.namespace, each.flow_id) for each in preconditions.flows}
        if (namespace, flow_id) not in named:
            return False
    simple = [
        each
        for each in trigger.conditions
        if str(each.get("type", "")).rsplit(".", 1)[-1].removesuffix("Condition") in _PREFILTERED
    ]
    if not simple:
        return True
    context = ConditionContext(
        execution=UpstreamExecution(id="", namespace=namespace, flow_id=flow_id, state=state)
    )
    try:
        return conditions_hold(simple, context)
    except ConditionError:
        return True  # the scheduler reports it
