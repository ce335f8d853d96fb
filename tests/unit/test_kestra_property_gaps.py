"""Properties of real Kestra flows: inputs prefill/dependsOn/expression, Pause
pauseDuration, trigger conditions, type-less tasks and triggers, close suggestions."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from executor.engine.inputs import typed_inputs
from orchestrator.models import Flow
from orchestrator.models.inputs import InputValueError
from orchestrator.tasks.base import TASK_TYPES
from orchestrator.tasks.flow import Pause


def flow(**extra: Any) -> Flow:
    body: dict[str, Any] = {
        "id": "f",
        "namespace": "n",
        "tasks": [{"id": "a", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
    }
    return Flow.model_validate({**body, **extra})


def test_inputs_prefill_depends_on_and_select_expression() -> None:
    declared = flow(
        inputs=[
            {"id": "kind", "type": "SELECT", "values": ["A", "B"], "prefill": "A"},
            {
                "id": "choice",
                "type": "SELECT",
                "expression": "{{ kv('choices') }}",
                "dependsOn": {"inputs": ["kind"], "condition": "{{ inputs.kind == 'A' }}"},
            },
            {"id": "many", "type": "MULTISELECT", "expression": "{{ kv('x') }}", "required": False},
            {"id": "old", "type": "MULTISELECT", "options": ["x", "y"], "required": False},
            {"id": "doc", "type": "JSON", "defaults": '{"a": [1, 2]}'},
        ]
    )
    typed = typed_inputs(declared, {"kind": "B", "many": '["anything"]', "old": ["y"]})
    assert typed == {
        "kind": "B",
        "choice": None,  # it depends on another input: never enforced as required
        "many": ["anything"],
        "old": ["y"],
        "doc": {"a": [1, 2]},
    }
    with pytest.raises(InputValueError, match="not among x, y"):
        typed_inputs(declared, {"kind": "A", "old": ["z"]})
    with pytest.raises(ValidationError, match="values .* or an expression"):
        flow(inputs=[{"id": "s", "type": "SELECT"}])


def test_pause_duration_is_the_delay() -> None:
    pause = Pause.model_validate(
        {"id": "p", "type": "io.kestra.plugin.core.flow.Pause", "pauseDuration": "PT5M"}
    )
    assert pause.delay is not None and pause.delay.total_seconds() == 300
    assert pause.behavior == "RESUME"
    with pytest.raises(ValidationError, match="not both"):
        Pause.model_validate({"id": "p", "type": "Pause", "pauseDuration": "PT5M", "delay": "PT1M"})


def trigger_with(conditions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "t", "type": "io.kestra.plugin.core.trigger.Flow", "conditions": conditions}


def test_trigger_conditions_are_type_checked() -> None:
    ok = [
        {"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["SUCCESS"]},
        {"type": "io.kestra.plugin.core.condition.ExpressionCondition", "expression": "x"},
        {
            "type": "io.kestra.core.models.conditions.types.ExecutionFlowCondition",
            "namespace": "company.team",
            "flowId": "upstream",
        },
        {
            "type": "io.kestra.plugin.core.condition.Not",
            "conditions": [{"type": "io.kestra.plugin.core.condition.Weekend"}],
        },
    ]
    assert flow(triggers=[trigger_with(ok)])
    removed = [{"type": "io.kestra.plugin.core.condition.MultipleCondition"}]
    with pytest.raises(
        ValidationError, match="'io.kestra.plugin.core.condition.MultipleCondition' was removed"
    ):
        flow(triggers=[trigger_with(removed)])
    nested = [
        {
            "type": "io.kestra.plugin.core.condition.Or",
            "conditions": [{"type": "io.kestra.plugin.core.condition.Weekendd"}],
        }
    ]
    with pytest.raises(
        ValidationError, match=r"conditions\[0\].conditions\[0\]: unknown .*Weekendd.*did you mean"
    ):
        flow(triggers=[trigger_with(nested)])


def test_a_task_or_trigger_without_type_says_so() -> None:
    with pytest.raises(ValidationError, match="task 'a' has no 'type'"):
        flow(tasks=[{"id": "a", "message": "x"}])
    with pytest.raises(ValidationError, match="a trigger needs a 'type'"):
        flow(triggers=[{"id": "t", "cron": "* * * * *"}])


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("io.kestra.plugin.core.log.Logg", "io.kestra.plugin.core.log.Log"),
        ("io.kestra.plugin.core.flows.Switch", "io.kestra.plugin.core.flow.Switch"),
        ("io.kestra.plugin.core.http.Requests", "io.kestra.plugin.core.http.Request"),
        ("io.kestra.plugin.core.flow.Template", None),
        ("io.kestra.plugin.openai.ChatCompletion", None),
    ],
)
def test_did_you_mean_suggests_only_close_names(written: str, suggested: str | None) -> None:
    found = TASK_TYPES.suggest(written)
    assert (found[0] if found else None) == suggested
