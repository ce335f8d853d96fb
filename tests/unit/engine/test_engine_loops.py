"""ForEach (concurrencyLimit 0/1/2), EachSequential, EachParallel and Dag."""

from collections import Counter

import pytest
from engine_harness import Harness, load, run_of, runs_of, task_ids

from orchestrator.models.state import StateType


def _drive(harness: Harness, execution_id: str) -> dict[str, list[list[tuple[str, str]]]]:
    """Answer worker tasks oldest first; record, at each step, the active children per loop."""
    execution = harness.execution(execution_id)
    seen: dict[str, list[list[tuple[str, str]]]] = {}
    while harness.pending:
        execution = harness.execution(execution_id)
        loops = {run.id: run.task_id for run in execution.task_run_list if run.value is None}
        active: dict[str, list[tuple[str, str]]] = {}
        for task in harness.pending.values():
            parent = loops.get(task.task_run.parent_task_run_id or "")
            if parent is not None:
                active.setdefault(parent, []).append(
                    (task.task_run.task_id, task.task_run.value or "")
                )
        for loop, children in active.items():
            seen.setdefault(loop, []).append(children)
        harness.answer(next(iter(harness.pending.values())))
    return seen


@pytest.mark.parametrize(("loop", "limit"), [("limit0", 3), ("limit1", 1), ("limit2", 2)])
def test_foreach_runs_at_most_concurrency_limit_values_at_once(loop: str, limit: int) -> None:
    harness = Harness(load("foreach"))
    execution_id = harness.create("foreach")
    seen = _drive(harness, execution_id)

    assert max(len(step) for step in seen[loop]) == limit
    for step in seen[loop]:
        values = [value for _, value in step]
        assert len(values) == len(set(values)), "tasks of one value run one after another"
    assert harness.execution(execution_id).state.current is StateType.SUCCESS


def test_foreach_children_carry_value_iteration_and_parent() -> None:
    harness = Harness(load("foreach"))
    execution = harness.run("foreach")

    assert execution.state.current is StateType.SUCCESS
    assert len(execution.task_run_list) == 3 * (1 + 3 * 2)
    for loop, task in (("limit0", "r0"), ("limit1", "r1"), ("limit2", "r2")):
        parent = run_of(execution, loop)
        assert parent.value is None
        children = runs_of(execution, task)
        assert [run.value for run in children] == ["a", "b", "c"]
        assert [run.iteration for run in children] == [0, 1, 2]
        assert {run.parent_task_run_id for run in children} == {parent.id}
        suffix = task[-1]
        assert [run.outputs for run in children] == [
            {"value": f"{value}{suffix}"} for value in "abc"
        ]


def test_foreach_with_limit_one_runs_values_strictly_in_order() -> None:
    harness = Harness(load("foreach"))
    execution = harness.run("foreach")
    ordered = [
        (run.task_id, run.value) for run in execution.task_run_list if run.task_id in ("r1", "l1")
    ]
    assert ordered == [
        ("r1", "a"),
        ("l1", "a"),
        ("r1", "b"),
        ("l1", "b"),
        ("r1", "c"),
        ("l1", "c"),
    ]


def test_foreach_outputs_are_keyed_by_value() -> None:
    harness = Harness(load("foreach"))
    execution = harness.run("foreach")

    assert execution.outputs == {"b0": "b0", "c2": "c2"}
    messages = {entry.message for entry in harness.logs if entry.task_id == "l0"}
    assert messages == {"a after a0", "b after b0", "c after c0"}


def test_each_sequential_turns_values_into_text_and_runs_them_in_order() -> None:
    harness = Harness(load("each"))
    execution_id = harness.create("each")
    assert harness.pending_ids() == ["item"]
    harness.answer(harness.task_for("item"))
    assert harness.pending_ids() == ["item"]

    harness.settle()
    execution = harness.execution(execution_id)
    items = runs_of(execution, "item")
    assert [run.value for run in items] == ["1", "x", '{"key":"k","value":"v"}']
    assert [run.outputs for run in items] == [{"value": run.value} for run in items]
    assert {run.parent_task_run_id for run in items} == {run_of(execution, "one-by-one").id}


def test_each_parallel_starts_every_pair_at_once() -> None:
    harness = Harness(load("each"))
    execution_id = harness.create("each")
    for _ in range(3):
        harness.answer(harness.task_for("item"))

    pending = [(task.task_run.task_id, task.task_run.value) for task in harness.pending.values()]
    assert sorted(pending) == [
        ("first-of-pair", "p"),
        ("first-of-pair", "q"),
        ("second-of-pair", "p"),
        ("second-of-pair", "q"),
    ]
    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    assert Counter(task_ids(execution))["limited"] == 3


def test_each_parallel_respects_concurrent() -> None:
    harness = Harness(load("each"))
    execution_id = harness.create("each")
    seen = _drive(harness, execution_id)
    assert max(len(step) for step in seen["two-at-once"]) == 2
    assert max(len(step) for step in seen["all-at-once"]) == 4


def test_dag_starts_tasks_once_their_dependencies_ended() -> None:
    harness = Harness(load("dag"))
    execution_id = harness.create("dag")
    assert harness.pending_ids() == ["a"]

    harness.answer(harness.task_for("a"))
    assert sorted(harness.pending_ids()) == ["b", "c"]

    harness.answer(harness.task_for("b"))
    assert harness.pending_ids() == ["c"]  # d still waits for c

    harness.answer(harness.task_for("c"))
    assert harness.pending_ids() == ["d"]

    harness.answer(harness.task_for("d"))
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    graph = run_of(execution, "graph")
    assert {
        run.parent_task_run_id for run in execution.task_run_list if run.task_id != "graph"
    } == {graph.id}
