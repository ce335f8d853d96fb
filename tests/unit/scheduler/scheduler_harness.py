"""Helpers of the scheduler's unit tests: flows with triggers, and a clock you move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.models.flow import Flow
from orchestrator.models.messages import TriggerState
from orchestrator.models.trigger_parts import trigger_key
from orchestrator.models.triggers import Schedule
from orchestrator.scheduler.decision import Decision, FlowRef
from orchestrator.scheduler.definitions import TriggerDefinition
from orchestrator.scheduler.evaluate import evaluate
from orchestrator.scheduler.schedules import ScheduleContext
from orchestrator.templating import TemplateRenderer

RENDERER = TemplateRenderer()


def at(text: str) -> datetime:
    """An aware UTC datetime from ``2024-03-10T06:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def definition(trigger: dict[str, Any], *, flow_disabled: bool = False) -> TriggerDefinition:
    """The definition of ``trigger`` in a one-task flow ``tests.sched/flow``."""
    flow = Flow.model_validate(
        {
            "id": "flow",
            "namespace": "tests.sched",
            "disabled": flow_disabled,
            "tasks": [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
            "triggers": [trigger],
        }
    )
    parsed = flow.triggers[0]
    return TriggerDefinition(
        trigger_key("tests.sched", "flow", parsed.id), FlowRef(flow, 1), parsed
    )


def schedule(**properties: Any) -> TriggerDefinition:
    """A Schedule trigger ``s`` (every minute unless ``cron`` is given)."""
    raw = {"id": "s", "type": "io.kestra.plugin.core.trigger.Schedule", "cron": "* * * * *"}
    raw.update(properties)
    return definition(raw)


class ScheduleRun:
    """Evaluates one trigger over time as the scheduler would, ending each execution at once
    (or never, with ``end_executions=False``)."""

    def __init__(self, trigger: TriggerDefinition, start: datetime) -> None:
        self.trigger = trigger
        self.now = start
        self.state: TriggerState | None = None
        self.dates: list[str] = []
        self.creates: list[Any] = []

    def step(self, recovering: bool = False, pace: timedelta = timedelta(0)) -> Decision:
        ctx = ScheduleContext(now=self.now, renderer=RENDERER, backfill_pace=pace)
        decision = evaluate(self.trigger, self.state, ctx, recovering=recovering)
        if decision.state is not None:
            self.state = decision.state
        for firing in decision.firings:
            self.creates.append(firing.create)
            assert firing.create.trigger is not None
            self.dates.append(firing.create.trigger.variables["date"])
        return decision

    def unlock(self) -> None:
        assert self.state is not None
        self.state = self.state.model_copy(update={"execution_id": None})

    def run_until(self, end: datetime, tick: timedelta, end_executions: bool = True) -> None:
        """Evaluate every ``tick`` until ``end``, draining what is due at each tick."""
        while self.now <= end:
            while self.step().firings:
                if not end_executions:
                    break
                self.unlock()
            self.now += tick


def trigger_of(run: ScheduleRun) -> Schedule:
    assert isinstance(run.trigger.trigger, Schedule)
    return run.trigger.trigger
