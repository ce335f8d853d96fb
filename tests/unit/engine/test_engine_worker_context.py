"""A worker task carries the run-wide variables only when its task may read them."""

from __future__ import annotations

from engine_harness import NAMESPACE, Harness, result_of

from orchestrator.flows import parse_flow
from orchestrator.models.state import StateType
from orchestrator.templating import ERROR_LOGS_KEY

FLOW = f"""id: context
namespace: {NAMESPACE}
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "plain"
  - id: second
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.first.value }}}}"
  - id: third
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ render('x') }}}}"
"""


def test_only_a_task_that_names_them_gets_outputs_and_task_states() -> None:
    harness = Harness(parse_flow(FLOW))
    harness.create("context")
    contexts = {}
    for _ in range(3):
        task = next(iter(harness.pending.values()))
        contexts[task.task_run.task_id] = task.context
        harness.answer(task, result_of(task, StateType.SUCCESS, {"value": "v"}))
    first, second, third = contexts["first"], contexts["second"], contexts["third"]
    assert "outputs" not in first and "tasks" not in first and ERROR_LOGS_KEY not in first
    assert first["execution"]["id"] and first["taskrun"]["id"]  # the rest is all there
    assert second["outputs"] == {"first": {"value": "v"}}
    assert "tasks" not in second
    # render() may read any variable: a task that calls it gets them all.
    assert set(third) >= {"outputs", "tasks", ERROR_LOGS_KEY}
