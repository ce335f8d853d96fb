"""Birth and end of executions: inputs, flow outputs, labels, disabled tasks, runIf, and the
snapshot size limit."""

import pytest
from engine_harness import Harness, attempt_states, load, run_of, runs_of, states, task_ids

from executor.engine import EngineSettings
from orchestrator.models.messages import ChildEnded, CreateExecution
from orchestrator.models.state import StateType


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        ({"count": "abc"}, "input 'count': 'abc' is not an INT"),
        ({}, "input 'count': missing required input"),
    ],
)
def test_invalid_inputs_fail_the_execution_with_a_clear_log(
    inputs: dict[str, str], problem: str
) -> None:
    harness = Harness(load("inputs"))
    execution = harness.run("inputs", inputs)

    assert execution.state.current is StateType.FAILED
    assert execution.task_run_list == ()
    (log,) = harness.logs
    assert log.level == "ERROR"
    assert log.message.startswith("invalid inputs: ")
    assert problem in log.message
    assert log.execution_id == execution.id


def test_valid_inputs_are_typed_and_defaults_applied() -> None:
    harness = Harness(load("inputs"))
    execution = harness.run("inputs", {"count": "3"})

    assert execution.state.current is StateType.SUCCESS
    assert execution.inputs == {"count": 3, "name": "world"}
    assert run_of(execution, "greet").outputs == {"value": "world x4"}


def test_creating_an_execution_of_an_unknown_flow_only_logs() -> None:
    harness = Harness(load("inputs"))
    decision = harness.apply(
        CreateExecution(execution_id="lost", namespace="kestrel.tests", flow_id="nope")
    )
    assert decision.execution is None
    assert [entry.message for entry in decision.logs] == [
        "Unable to find flow 'kestrel.tests'.'nope'"
    ]


def test_flow_outputs_are_rendered_and_typed_at_the_end() -> None:
    harness = Harness(load("outputs"))
    execution = harness.run("outputs")

    assert execution.state.current is StateType.SUCCESS
    assert execution.outputs == {"greeting": "hello world", "answer": 42}


def test_a_flow_output_that_cannot_render_fails_the_execution() -> None:
    harness = Harness(load("outputs-invalid"))
    execution = harness.run("outputs-invalid")

    assert execution.state.current is StateType.FAILED
    assert states(execution) == {"hello": StateType.SUCCESS}
    assert execution.outputs == {}
    (log,) = harness.logged("Failed to render output values")
    assert "missing" in log.message and log.level == "ERROR"


def test_labels_task_merges_labels_by_key() -> None:
    harness = Harness(load("labels"))
    execution = harness.run("labels")

    assert execution.state.current is StateType.SUCCESS
    labels = {label.key: label.value for label in execution.labels}
    assert labels == {
        "team": "engine",
        "env": "prod",
        "count": "3",
        "system.correlationId": execution.id,
    }
    assert run_of(execution, "read").outputs == {"value": "prod 3 engine"}
    assert len(run_of(execution, "set").attempts) == 1


def test_labels_task_may_not_set_system_labels() -> None:
    harness = Harness(load("labels-system"))
    execution = harness.run("labels-system")

    assert execution.state.current is StateType.FAILED
    assert task_ids(execution) == ["set"]
    failed = run_of(execution, "set")
    assert failed.state.current is StateType.FAILED
    assert attempt_states(failed) == [StateType.FAILED]
    assert failed.error is not None and "system.correlationId" in failed.error
    assert harness.logged("system labels cannot be set")
    labels = {label.key: label.value for label in execution.labels}
    assert labels == {"system.correlationId": execution.id}


def test_disabled_tasks_never_get_a_task_run() -> None:
    harness = Harness(load("disabled"))
    execution = harness.run("disabled")

    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == [
        "enabled-task",
        "all-off",
        "loop",
        "on-in-loop",
        "on-in-loop",
        "tail",
    ]
    assert run_of(execution, "all-off").state.current is StateType.SUCCESS


def test_run_if_false_skips_and_a_broken_run_if_fails_without_attempt() -> None:
    harness = Harness(load("runif"))
    execution = harness.run("runif")

    assert execution.state.current is StateType.FAILED
    assert states(execution) == {
        "skipped": StateType.SKIPPED,
        "kept": StateType.SUCCESS,
        "broken": StateType.FAILED,
    }
    assert run_of(execution, "skipped").attempts == ()
    assert run_of(execution, "broken").attempts == ()
    (log,) = harness.logged("Unable to evaluate the runIf condition for task broken")
    assert log.task_id == "broken" and log.level == "ERROR"
    assert runs_of(execution, "never") == []


def test_an_oversized_snapshot_fails_the_execution_and_the_snapshot_fits() -> None:
    limit = 4_000
    harness = Harness(load("big-output"), settings=EngineSettings(max_snapshot_bytes=limit))
    execution_id = harness.create("big-output")

    decision = harness.finish("big", outputs={"value": "x" * limit})

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert len(execution.model_dump_json(by_alias=True, exclude_none=True)) <= limit
    assert run_of(execution, "big").outputs == {}
    assert decision.worker_tasks == []
    (log,) = harness.logged(f"over the limit of {limit}")
    assert log.level == "ERROR"
    assert "task outputs are dropped" in log.message


def test_a_decision_carries_the_snapshot_it_serialised_to_check_the_size() -> None:
    harness = Harness(load("big-output"))
    harness.create("big-output")
    decision = harness.finish("big", outputs={"value": "small"})
    assert decision.execution is not None
    assert decision.execution_wire == decision.execution.to_wire()  # produced as is


def test_task_runs_are_dropped_when_even_without_outputs_they_do_not_fit() -> None:
    limit = 3_000
    harness = Harness(load("foreach"), settings=EngineSettings(max_snapshot_bytes=limit))
    execution = harness.run("foreach")

    assert execution.state.current is StateType.FAILED
    assert execution.task_run_list == ()
    assert len(execution.model_dump_json(by_alias=True, exclude_none=True)) <= limit
    assert harness.logged(f"over the limit of {limit}")
    assert harness.pending == {}


def test_an_oversized_snapshot_of_a_subflow_tells_its_parent() -> None:
    harness = Harness(
        load("subflow-parent"),
        load("subflow-child"),
        settings=EngineSettings(max_snapshot_bytes=4_000),
    )
    parent_id = harness.create("subflow-parent", {})
    harness.apply(harness.outbox.popleft())
    harness.finish("compute", outputs={"value": "x" * 5_000})

    (ended,) = harness.outbox
    assert isinstance(ended, ChildEnded) and ended.state is StateType.FAILED
    harness.settle()
    assert harness.execution(parent_id).state.current is StateType.FAILED
