"""Subflow: the child execution, waiting for it, its outputs, transmitFailed, bad calls."""

from engine_harness import Harness, attempt_states, load, result_of, run_of, task_ids

from orchestrator.models.messages import ChildEnded, CreateExecution, KillExecution
from orchestrator.models.state import StateType

CHILD = "subflow-child"


def _harness(parent: str) -> Harness:
    return Harness(load(parent), load(CHILD))


def _child_of(harness: Harness, parent_id: str) -> str:
    (child,) = [e.id for e in harness.executions.values() if e.parent_id == parent_id]
    return child


def test_the_call_creates_a_child_with_typed_inputs_and_waits_for_it() -> None:
    harness = _harness("subflow-parent")
    parent_id = harness.create("subflow-parent", {})

    (create,) = harness.outbox
    assert isinstance(create, CreateExecution)
    assert (create.namespace, create.flow_id) == ("kestrel.tests", CHILD)
    assert create.inputs == {"count": 21, "note": None}
    call = run_of(harness.execution(parent_id), "call")
    assert create.parent is not None and create.parent.task_run_id == call.id
    assert call.state.current is StateType.RUNNING
    assert call.outputs == {"executionId": create.execution_id, "state": "CREATED"}

    harness.settle()
    parent = harness.execution(parent_id)
    assert parent.state.current is StateType.SUCCESS
    child = harness.execution(create.execution_id)
    assert child.state.current is StateType.SUCCESS
    assert child.parent_id == parent_id


def test_the_call_reads_the_child_flow_outputs() -> None:
    harness = _harness("subflow-parent")
    parent = harness.run("subflow-parent", {"count": "5"})

    call = run_of(parent, "call")
    child_id = _child_of(harness, parent.id)
    assert call.outputs == {
        "executionId": child_id,
        "state": "SUCCESS",
        "outputs": {"doubled": 10},
    }
    assert attempt_states(call) == [StateType.SUCCESS]
    assert run_of(parent, "use").outputs == {"value": "10"}
    ended = [event for event, _ in harness.applied if isinstance(event, ChildEnded)]
    assert [(event.state, event.outputs) for event in ended] == [
        (StateType.SUCCESS, {"doubled": 10})
    ]


def test_a_failed_child_fails_the_call_when_failures_are_transmitted() -> None:
    harness = _harness("subflow-parent")
    parent = harness.run("subflow-parent", {"count": "-1"})

    assert harness.execution(_child_of(harness, parent.id)).state.current is StateType.FAILED
    assert parent.state.current is StateType.FAILED
    call = run_of(parent, "call")
    assert call.state.current is StateType.FAILED
    assert attempt_states(call) == [StateType.FAILED]
    assert task_ids(parent) == ["call"]


def test_a_failed_child_does_not_fail_the_call_without_transmit_failed() -> None:
    harness = _harness("subflow-tolerant")
    parent = harness.run("subflow-tolerant")

    assert parent.state.current is StateType.SUCCESS
    call = run_of(parent, "call")
    assert call.state.current is StateType.SUCCESS
    assert call.outputs is not None and call.outputs["state"] == "FAILED"
    assert [entry.message for entry in harness.logs if entry.task_id == "after"] == [
        "child ended FAILED"
    ]


def test_without_wait_the_call_succeeds_once_the_child_is_created() -> None:
    harness = _harness("subflow-no-wait")
    parent_id = harness.create("subflow-no-wait")

    parent = harness.execution(parent_id)
    assert parent.state.current is StateType.SUCCESS
    (create,) = harness.outbox
    assert run_of(parent, "call").outputs == {
        "executionId": create.execution_id,
        "state": "CREATED",
    }


def test_calling_a_missing_flow_fails_the_call_with_a_clear_log() -> None:
    harness = Harness(load("subflow-missing"))
    execution = harness.run("subflow-missing")

    assert execution.state.current is StateType.FAILED
    call = run_of(execution, "call")
    assert attempt_states(call) == [StateType.FAILED]
    message = "Unable to find flow 'kestrel.tests'.'no-such-flow' with revision '0'"
    assert call.error == message
    assert [entry.task_id for entry in harness.logged(message)] == ["call"]
    assert not harness.outbox  # no child is created


def test_child_inputs_are_typed_and_required_before_the_child_exists() -> None:
    harness = _harness("subflow-bad-inputs")
    execution = harness.run("subflow-bad-inputs")

    assert execution.state.current is StateType.FAILED
    missing, wrong = run_of(execution, "missing-count"), run_of(execution, "wrong-count")
    assert missing.state.current is wrong.state.current is StateType.FAILED
    assert missing.error is not None and "count" in missing.error and "required" in missing.error
    assert wrong.error is not None and "count" in wrong.error
    assert not any(e.flow_id == CHILD for e in harness.executions.values())


def test_killing_the_parent_kills_the_waiting_child() -> None:
    harness = _harness("subflow-parent")
    parent_id = harness.create("subflow-parent", {})
    harness.apply(harness.outbox.popleft())  # the child starts; its task waits for a worker
    child_id = _child_of(harness, parent_id)

    harness.apply(KillExecution(execution_id=parent_id))
    assert run_of(harness.execution(parent_id), "call").state.current is StateType.KILLING
    assert list(harness.outbox) == [KillExecution(execution_id=child_id, reason="parent killed")]

    harness.settle(lambda task: result_of(task, StateType.KILLED))
    assert harness.execution(child_id).state.current is StateType.KILLED
    parent = harness.execution(parent_id)
    assert parent.state.current is StateType.KILLED
    assert attempt_states(run_of(parent, "call")) == [StateType.KILLED]
    assert task_ids(parent) == ["call"]


def test_the_call_waits_for_a_child_retried_as_new_executions() -> None:
    harness = Harness(load("subflow-retried-child"), load("retry-new-execution"))
    parent = harness.run("subflow-retried-child")

    children = [e for e in harness.executions.values() if e.flow_id == "retry-new-execution"]
    assert sorted(child.state.current for child in children) == [
        StateType.FAILED,
        StateType.RETRIED,
        StateType.RETRIED,
    ]
    assert parent.state.current is StateType.FAILED
    call = run_of(parent, "call")
    assert call.state.current is StateType.FAILED
    assert call.outputs is not None and call.outputs["state"] == "FAILED"
