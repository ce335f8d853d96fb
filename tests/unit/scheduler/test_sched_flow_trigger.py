"""Flow triggers: states, conditions, preconditions and each time window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from scheduler_harness import RENDERER, at, definition

from orchestrator.models.messages import TriggerState
from orchestrator.models.state import StateType
from orchestrator.models.trigger_commands import ExecutionEnded
from orchestrator.models.triggers import FlowTrigger
from orchestrator.scheduler.commands import apply_command
from orchestrator.scheduler.decision import new_state

CORE = "io.kestra.plugin.core.condition."


class FlowRun:
    def __init__(self, **properties: Any) -> None:
        raw = {"id": "f", "type": "io.kestra.plugin.core.trigger.Flow", **properties}
        self.definition = definition(raw)
        assert isinstance(self.definition.trigger, FlowTrigger)
        self.state: TriggerState = new_state(
            self.definition.ref, self.definition.trigger, at("2024-01-01T00:00")
        )
        self.creates: list[Any] = []

    def end(
        self, flow: str, state: str = "SUCCESS", when: str = "2024-01-01T10:00", **extra: Any
    ) -> int:
        ended = ExecutionEnded(
            namespace="tests.sched",
            flow_id="flow",
            trigger_id="f",
            execution_id=f"{flow}-{len(self.creates)}-{when}",
            execution_namespace="company",
            execution_flow_id=flow,
            flow_revision=2,
            state=StateType(state),
            ended=at(when),
            **extra,
        )
        decision = apply_command(
            ended, self.state, self.definition.trigger, self.definition.ref, at(when), RENDERER
        )
        if decision.state is not None:
            self.state = decision.state
        self.creates += [firing.create for firing in decision.firings]
        return len(decision.firings)


def test_fires_once_per_upstream_end_with_its_variables_and_rendered_inputs() -> None:
    run = FlowRun(inputs={"rows": "{{ trigger.outputs.rows }}"})
    assert run.end("up", outputs={"rows": 7}) == 1
    create = run.creates[0]
    assert create.inputs == {"rows": "7"}
    variables = create.trigger.variables
    assert variables["flowId"] == "up" and variables["namespace"] == "company"
    assert variables["state"] == "SUCCESS" and variables["flowRevision"] == 2
    assert variables["executionId"].startswith("up-") and variables["outputs"] == {"rows": 7}


def test_states_and_conditions_filter() -> None:
    run = FlowRun(
        states=["FAILED"],
        conditions=[{"type": f"{CORE}ExecutionFlow", "namespace": "company", "flowId": "up"}],
    )
    assert run.end("up", "SUCCESS") == 0
    assert run.end("other", "FAILED") == 0
    assert run.end("up", "FAILED") == 1


def test_default_states_are_the_terminal_ones() -> None:
    run = FlowRun()
    assert run.end("up", "KILLED") == 1
    assert run.end("up", "RUNNING") == 0


def _preconditions(window: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "preconditions": {
            "flows": [
                {"namespace": "company", "flowId": "a"},
                {"namespace": "company", "flowId": "b", "states": ["SUCCESS", "WARNING"]},
            ],
            "timeWindow": window,
            **more,
        }
    }


def test_duration_window_needs_every_flow_within_one_window() -> None:
    run = FlowRun(**_preconditions({"type": "DURATION_WINDOW", "window": "PT1H"}))
    assert run.end("a", when="2024-01-01T10:10") == 0
    assert run.end("b", when="2024-01-01T11:05") == 0  # a new window: a is forgotten
    assert run.end("a", when="2024-01-01T11:30") == 1
    assert run.end("a", when="2024-01-01T11:40") == 0  # reset on success


def test_sliding_window() -> None:
    run = FlowRun(**_preconditions({"type": "SLIDING_WINDOW", "window": "PT1H"}))
    assert run.end("a", when="2024-01-01T10:10") == 0
    assert run.end("b", when="2024-01-01T11:05") == 1  # within the hour before 11:05
    assert run.end("a", when="2024-01-01T12:00") == 0
    assert run.end("b", when="2024-01-01T13:30") == 0  # a is older than an hour


def test_daily_time_deadline() -> None:
    run = FlowRun(**_preconditions({"type": "DAILY_TIME_DEADLINE", "deadline": "09:00:00Z"}))
    assert run.end("a", when="2024-01-01T08:00") == 0
    assert run.end("b", when="2024-01-01T09:30") == 0  # after the deadline: ignored
    assert run.end("b", when="2024-01-02T08:30") == 0  # yesterday's a does not count
    assert run.end("a", when="2024-01-02T08:45") == 1


def test_daily_time_window() -> None:
    window = {"type": "DAILY_TIME_WINDOW", "startTime": "06:00:00Z", "endTime": "12:00:00Z"}
    run = FlowRun(**_preconditions(window))
    assert run.end("a", when="2024-01-01T05:00") == 0  # before the window
    assert run.end("b", when="2024-01-01T07:00") == 0
    assert run.end("a", when="2024-01-01T11:00") == 1


def test_without_reset_on_success_each_new_end_fires_again() -> None:
    run = FlowRun(**_preconditions({"type": "DURATION_WINDOW"}, resetOnSuccess=False))
    assert run.end("a") == 0
    assert run.end("b") == 1
    assert run.end("a", when="2024-01-01T10:30") == 1


def test_where_filters() -> None:
    run = FlowRun(
        preconditions={
            "where": [
                {
                    "id": "failed-in-company",
                    "filters": [
                        {"field": "NAMESPACE", "type": "STARTS_WITH", "value": "comp"},
                        {"field": "STATE", "type": "IN", "values": ["FAILED"]},
                    ],
                }
            ]
        }
    )
    assert run.end("x", "SUCCESS") == 0
    assert run.end("x", "FAILED") == 1


@pytest.mark.parametrize("when", ["2024-01-01T00:00", "2024-06-30T23:59"])
def test_a_window_outside_its_hours_keeps_nothing(when: str) -> None:
    window = {"type": "DAILY_TIME_WINDOW", "startTime": "06:00:00Z", "endTime": "07:00:00Z"}
    run = FlowRun(**_preconditions(window))
    assert run.end("a", when=when) == 0
    assert run.state.window is None or not run.state.window.matched
    assert isinstance(datetime.fromisoformat(when), datetime)
