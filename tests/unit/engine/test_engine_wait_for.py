"""WaitFor (and its old name LoopUntil): iterations, the interval timer, the limits."""

from datetime import timedelta

from engine_harness import START, Harness, load, result_of, run_of

from orchestrator.models.messages import WorkerTask, WorkerTaskResult
from orchestrator.models.state import StateType


def counted(task: WorkerTask) -> WorkerTaskResult:
    """A worker that returns the iteration number, counted from 1."""
    iteration = task.task_run.iteration
    value = str((iteration or 0) + 1) if task.task_run.task_id == "count" else "3"
    return result_of(task, StateType.SUCCESS, {"value": value})


def test_wait_for_repeats_until_the_condition_holds() -> None:
    harness = Harness(load("wait-for"))
    execution = harness.run("wait-for", outcome=counted)
    assert execution.state.current is StateType.SUCCESS
    counts = [run for run in execution.task_run_list if run.task_id == "count"]
    assert [run.iteration for run in counts] == [0, 1, 2]
    assert run_of(execution, "loop").outputs == {"iterationCount": 3, "conditionMet": True}
    # two waits of the interval between the three iterations
    assert harness.now == START + timedelta(seconds=60)
    assert execution.timers == ()


def test_loop_until_fails_when_its_limits_are_reached() -> None:
    harness = Harness(load("wait-for-limit"))
    execution = harness.run("wait-for-limit")
    loop = run_of(execution, "loop")
    assert loop.state.current is StateType.FAILED
    assert loop.outputs == {"iterationCount": 2, "conditionMet": False}
    assert [r.iteration for r in execution.task_run_list if r.task_id == "step"] == [0, 1]
    assert execution.state.current is StateType.FAILED
    assert harness.logged("reached its limits after 2 iteration(s)")
