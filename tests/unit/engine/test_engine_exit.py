"""execution.Exit: the execution ends at once in the chosen state."""

from engine_harness import Harness, load, run_of, task_ids

from orchestrator.models.state import StateType


def test_exit_ends_the_execution_in_its_state_and_kills_the_rest() -> None:
    harness = Harness(load("exit"))
    execution = harness.run("exit")
    assert execution.state.current is StateType.WARNING
    assert run_of(execution, "stop").state.current is StateType.WARNING
    assert run_of(execution, "sleeper").state.current is StateType.KILLED
    assert "never" not in task_ids(execution)
    assert execution.timers == ()
    assert harness.logged("stopping exit")
