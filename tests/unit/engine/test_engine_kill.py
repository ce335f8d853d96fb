"""Kill: running task runs get KILLING then KILLED, workers are told, nothing new starts."""

from engine_harness import Harness, attempt_states, history, load, run_of, runs_of

from orchestrator.models.messages import KillExecution
from orchestrator.models.state import StateType


def _killed_while_running() -> tuple[Harness, str, list[str]]:
    harness = Harness(load("kill"))
    execution_id = harness.create("kill")
    harness.report_running(harness.task_for("left"))  # right was sent but not started yet
    run_ids = [task.task_run.id for task in harness.pending.values()]
    harness.apply(KillExecution(execution_id=execution_id))
    return harness, execution_id, run_ids


def test_kill_marks_running_task_runs_killing_and_notifies_workers() -> None:
    harness, execution_id, run_ids = _killed_while_running()

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.KILLING
    assert run_of(execution, "left").state.current is StateType.KILLING
    assert run_of(execution, "right").state.current is StateType.KILLING
    assert run_of(execution, "par").state.current is StateType.RUNNING  # ends with its children
    (notice,) = harness.kills
    assert notice.execution_id == execution_id
    assert sorted(notice.task_run_ids) == sorted(run_ids)
    assert harness.applied[-1][1].worker_tasks == []


def test_killed_results_end_the_execution_killed_and_nothing_new_starts() -> None:
    harness, execution_id, _ = _killed_while_running()

    harness.finish("left", StateType.KILLED)
    assert harness.execution(execution_id).state.current is StateType.KILLING
    decision = harness.finish("right", StateType.KILLED)

    assert decision.worker_tasks == []
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.KILLED
    assert run_of(execution, "par").state.current is StateType.KILLED
    left = run_of(execution, "left")
    assert history(left)[-2:] == [StateType.KILLING, StateType.KILLED]
    assert attempt_states(left) == [StateType.KILLED]
    assert runs_of(execution, "never") == []


def test_a_second_kill_changes_nothing() -> None:
    harness, execution_id, _ = _killed_while_running()
    decision = harness.apply(KillExecution(execution_id=execution_id))
    assert decision.execution is None
    assert decision.kills == []


def test_killing_an_ended_execution_changes_nothing() -> None:
    harness = Harness(load("kill"))
    execution = harness.run("kill")
    assert execution.state.current is StateType.SUCCESS

    decision = harness.apply(KillExecution(execution_id=execution.id))
    assert decision.execution is None
    assert harness.execution(execution.id) == execution
