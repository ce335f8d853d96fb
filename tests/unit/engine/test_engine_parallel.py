"""Parallel: children at once, at most ``concurrent`` active; a failure stops new starts."""

from engine_harness import Harness, load, run_of, runs_of, states, task_ids

from orchestrator.models.state import StateType


def test_concurrent_limits_active_children_at_every_step() -> None:
    harness = Harness(load("parallel"))
    execution_id = harness.create("parallel")
    assert harness.pending_ids() == ["a", "b"]

    started: list[str] = []
    while harness.pending:
        active = harness.pending_ids()
        assert len(active) <= 2
        assert "after" not in active or len(active) == 1
        task = next(iter(harness.pending.values()))
        started.append(task.task_run.task_id)
        decision = harness.answer(task)
        if task.task_run.task_id in ("a", "b", "c"):
            # each ended child lets exactly one waiting sibling start
            assert len(decision.worker_tasks) == 1

    assert started == ["a", "b", "c", "d", "e", "after"]
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    par = run_of(execution, "par")
    assert {
        run.parent_task_run_id for run in execution.task_run_list if run.task_id in "abcde"
    } == {par.id}


def test_without_a_limit_every_child_starts_at_once() -> None:
    harness = Harness(load("parallel-unbounded"))
    harness.create("parallel-unbounded")
    assert sorted(harness.pending_ids()) == ["boom", "ok-1", "ok-2"]


def test_a_failed_child_fails_the_parallel_at_once_and_the_flow_waits_for_siblings() -> None:
    harness = Harness(load("parallel-unbounded"))
    execution_id = harness.create("parallel-unbounded")

    harness.answer(harness.task_for("boom"))
    execution = harness.execution(execution_id)
    assert run_of(execution, "par").state.current is StateType.FAILED
    assert execution.state.current is StateType.RUNNING  # ok-1 and ok-2 still run

    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert states(execution) == {
        "par": StateType.FAILED,
        "ok-1": StateType.SUCCESS,
        "boom": StateType.FAILED,
        "ok-2": StateType.SUCCESS,
    }
    assert "after" not in task_ids(execution)


def test_after_a_failure_no_waiting_child_starts() -> None:
    harness = Harness(load("parallel-fail-stops"))
    execution_id = harness.create("parallel-fail-stops")
    assert harness.pending_ids() == ["boom", "slow"]

    decision = harness.answer(harness.task_for("boom"))
    assert decision.worker_tasks == []

    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert task_ids(execution) == ["par", "boom", "slow"]
    assert runs_of(execution, "waiting-1") == []
