"""Switch (cases, defaults, no match) and If (then, else, no else)."""

import pytest
from engine_harness import Harness, load, run_of, runs_of, states, task_ids

from orchestrator.models.state import StateType


@pytest.mark.parametrize(
    ("choice", "ran"),
    [("a", ["case-a"]), ("b", ["case-b", "case-b-2"]), ("zzz", ["fallback"])],
)
def test_switch_runs_the_matching_case_or_the_defaults(choice: str, ran: list[str]) -> None:
    harness = Harness(load("switch"))
    execution = harness.run("switch", {"choice": choice})

    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == ["route", *ran, "after"]
    route = run_of(execution, "route")
    assert route.outputs == {"value": choice, "defaults": choice == "zzz"}
    assert all(run_of(execution, task).parent_task_run_id == route.id for task in ran)


def test_switch_children_read_the_switch_outputs_through_parent() -> None:
    harness = Harness(load("switch"))
    execution = harness.run("switch", {"choice": "b"})
    assert run_of(execution, "case-b-2").outputs == {"value": "b"}


def test_switch_defaults_see_the_value() -> None:
    harness = Harness(load("switch"))
    execution = harness.run("switch", {"choice": "zzz"})
    assert run_of(execution, "fallback").outputs == {"value": "default for zzz"}


def test_switch_without_match_nor_defaults_fails_with_no_children() -> None:
    harness = Harness(load("switch-no-defaults"))
    execution = harness.run("switch-no-defaults", {"choice": "zzz"})

    assert execution.state.current is StateType.FAILED
    assert task_ids(execution) == ["route"]
    assert run_of(execution, "route").state.current is StateType.FAILED


@pytest.mark.parametrize("flag", ["true", "false"])
def test_if_runs_then_or_else(flag: str) -> None:
    harness = Harness(load("if"))
    execution = harness.run("if", {"flag": flag})

    assert execution.state.current is StateType.SUCCESS
    check = run_of(execution, "check")
    assert check.outputs == {"evaluationResult": flag == "true"}
    chosen, other = ("when-true", "when-false") if flag == "true" else ("when-false", "when-true")
    assert run_of(execution, chosen).parent_task_run_id == check.id
    assert runs_of(execution, other) == []
    assert run_of(execution, chosen).outputs == {"value": "yes" if flag == "true" else "no"}


def test_if_without_else_and_a_false_condition_succeeds_with_no_child() -> None:
    harness = Harness(load("if"))
    execution = harness.run("if", {"flag": "false"})

    assert states(execution)["only-then"] is StateType.SUCCESS
    assert runs_of(execution, "then-only") == []
    assert len(execution.task_run_list) == 3
