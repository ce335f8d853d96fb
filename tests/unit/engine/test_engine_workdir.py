"""WorkingDirectory: the internal end task runs last, in the folder, and its outputFiles
become the WorkingDirectory's outputs; the worker tasks carry what a new folder needs."""

from engine_harness import Harness, load, result_of, run_of

from orchestrator.models.messages import WorkerTask, WorkerTaskResult
from orchestrator.models.state import StateType


def stored(task: WorkerTask) -> WorkerTaskResult:
    """A worker whose end task stored one file."""
    if task.task_run.task_id == "wd_end":
        return result_of(task, StateType.SUCCESS, {"outputFiles": {"a.csv": "kestrel://x/a.csv"}})
    return result_of(task, StateType.SUCCESS, {})


def test_the_end_task_runs_last_and_gives_its_output_files_to_the_working_directory() -> None:
    harness = Harness(load("workdir-end"))
    execution_id = harness.create("workdir-end")
    harness.settle(stored)
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    order = [run.task_id for run in execution.task_run_list]
    assert order.index("make") < order.index("wd_end") < order.index("after")
    assert run_of(execution, "wd").outputs == {"outputFiles": {"a.csv": "kestrel://x/a.csv"}}
    assert run_of(execution, "wd_end").parent_task_run_id == run_of(execution, "wd").id


def test_worker_tasks_carry_the_namespace_files_and_the_cache() -> None:
    harness = Harness(load("workdir-end"))
    harness.create("workdir-end")
    for _ in range(50):
        if harness.pending_ids():
            break
        harness.step()
    task = harness.task_for("make")
    shared = task.working_directory
    assert shared is not None and shared.task_id == "wd"
    assert shared.namespace_files is not None and shared.namespace_files["include"] == ["sql/**"]
    assert shared.cache == {"patterns": ["deps/**"], "ttl": "PT1H"}
