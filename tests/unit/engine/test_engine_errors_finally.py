"""Errors and finally branches, of a flowable and of the flow: finally always runs."""

from engine_harness import Harness, load, result_of, run_of, runs_of, states, task_ids

from orchestrator.models.messages import WorkerTask, WorkerTaskResult
from orchestrator.models.state import StateType


def test_a_failure_runs_local_then_flow_errors_each_followed_by_its_finally() -> None:
    harness = Harness(load("errors-finally"))
    execution = harness.run("errors-finally", {"fail": "true"})

    assert execution.state.current is StateType.FAILED  # handled errors still fail the flow
    assert task_ids(execution) == [
        "outer",
        "maybe-boom",
        "local-error",
        "local-finally",
        "flow-error",
        "flow-finally",
    ]
    assert states(execution)["outer"] is StateType.FAILED
    outer = run_of(execution, "outer")
    assert run_of(execution, "local-error").parent_task_run_id == outer.id
    assert run_of(execution, "local-finally").parent_task_run_id == outer.id
    assert run_of(execution, "flow-error").parent_task_run_id is None
    assert run_of(execution, "flow-finally").parent_task_run_id is None


def test_nothing_after_the_failure_runs() -> None:
    harness = Harness(load("errors-finally"))
    execution = harness.run("errors-finally", {"fail": "true"})
    assert runs_of(execution, "next-in-outer") == []
    assert runs_of(execution, "top-next") == []


def test_on_success_finally_branches_run_and_errors_do_not() -> None:
    harness = Harness(load("errors-finally"))
    execution = harness.run("errors-finally", {"fail": "false"})

    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == [
        "outer",
        "maybe-boom",
        "next-in-outer",
        "local-finally",
        "top-next",
        "flow-finally",
    ]


def test_finally_waits_for_the_errors_branch_to_end() -> None:
    harness = Harness(load("errors-finally"))
    execution_id = harness.create("errors-finally", {"fail": "true"})
    harness.answer(harness.task_for("maybe-boom"))

    assert harness.pending_ids() == ["local-error"]
    assert runs_of(harness.execution(execution_id), "local-finally") == []
    harness.finish("local-error", StateType.FAILED)

    assert harness.pending_ids() == ["local-finally"]
    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert run_of(execution, "flow-finally").state.current is StateType.SUCCESS


def test_a_failing_finally_task_does_not_change_the_state_of_its_parent() -> None:
    # As in Kestra, a parent's state comes from its `tasks` alone (guessFinalState(tasks)).
    harness = Harness(load("errors-finally"))
    execution_id = harness.create("errors-finally", {"fail": "false"})

    def fail_local_finally(task: WorkerTask) -> WorkerTaskResult | None:
        return (
            result_of(task, StateType.FAILED) if task.task_run.task_id == "local-finally" else None
        )

    harness.settle(fail_local_finally)
    execution = harness.execution(execution_id)
    assert states(execution)["local-finally"] is StateType.FAILED
    assert states(execution)["outer"] is StateType.SUCCESS
    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution)[-2:] == ["top-next", "flow-finally"]
