"""Sequential: children one after another, under their parent, reading earlier outputs."""

from engine_harness import Harness, history, load, run_of, task_ids

from orchestrator.models.state import StateType


def test_children_start_one_at_a_time_in_order() -> None:
    harness = Harness(load("sequential"))
    execution_id = harness.create("sequential")

    assert harness.pending_ids() == ["first"]
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.RUNNING
    assert run_of(execution, "seq").state.current is StateType.RUNNING

    harness.answer(harness.task_for("first"))
    assert harness.pending_ids() == ["second"]

    harness.answer(harness.task_for("second"))
    assert harness.pending_ids() == ["last"]
    assert run_of(harness.execution(execution_id), "seq").state.current is StateType.SUCCESS

    harness.answer(harness.task_for("last"))
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == ["seq", "first", "second", "last"]


def test_children_point_at_their_parent_and_read_earlier_outputs() -> None:
    harness = Harness(load("sequential"))
    execution = harness.run("sequential")

    seq = run_of(execution, "seq")
    assert run_of(execution, "first").parent_task_run_id == seq.id
    assert run_of(execution, "second").parent_task_run_id == seq.id
    assert run_of(execution, "last").parent_task_run_id is None
    assert run_of(execution, "second").outputs == {"value": "one-two"}
    assert run_of(execution, "last").outputs == {"value": "one-two-three"}
    assert seq.outputs == {}
    assert seq.attempts == ()  # flowables never get attempts
    assert [len(run_of(execution, task).attempts) for task in ("first", "second", "last")] == [
        1,
        1,
        1,
    ]


def test_execution_and_runs_record_their_state_history() -> None:
    harness = Harness(load("sequential"))
    execution = harness.run("sequential")

    assert history(execution) == [StateType.CREATED, StateType.RUNNING, StateType.SUCCESS]
    assert history(run_of(execution, "first")) == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
