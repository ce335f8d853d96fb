"""Properties of the engine over random flows, random worker outcomes and random orderings.

Flows come from a small grammar: nested Sequential, Parallel, ForEach, If, Switch and
AllowFailure around Return, Fail and Log tasks, with random ``allowFailure``, ``errors``
branches and retries. A deterministic shell drives them: it answers worker tasks in an order
and with outcomes drawn by hypothesis, fires timers by moving a fake clock, sometimes kills
the execution and sometimes re-sends an event it already sent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from engine_harness import NAMESPACE, Harness, result_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executor.engine import Event
from orchestrator.models.execution import Execution, TaskRun
from orchestrator.models.flow import Flow
from orchestrator.models.messages import KillExecution, TimerFired
from orchestrator.models.state import StateType

FLOW_ID = "generated"
MAX_EVENTS = 3_000
KINDS = ("Sequential", "Parallel", "ForEach", "If", "Switch", "AllowFailure")
CORE = "io.kestra.plugin.core"
_RANK = {StateType.KILLED: 4, StateType.FAILED: 3, StateType.WARNING: 2, StateType.PAUSED: 1}


# ---- the grammar -------------------------------------------------------------------------


@dataclass
class Shape:
    """What the checks need to know about a generated flow."""

    # flowable task id -> ids of its children that decide its state (not errors/finally)
    branch_ids: dict[str, set[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    tolerant: set[str] = field(default_factory=set)  # allowFailure: true
    max_attempts: dict[str, int] = field(default_factory=dict)  # leaf id -> attempts allowed
    unmatched_switches: set[str] = field(default_factory=set)


@st.composite
def flows(draw: st.DrawFn) -> tuple[Flow, Shape]:
    ids = itertools.count()
    shape = Shape()

    def leaf() -> dict[str, Any]:
        kind = draw(st.sampled_from(("Return", "Log", "Fail", "Return", "Log")))
        task: dict[str, Any] = {"id": f"{kind.lower()}-{next(ids)}"}
        if kind == "Return":
            task |= {"type": f"{CORE}.debug.Return", "format": "{{ task.id }}"}
        elif kind == "Fail":
            task |= {"type": f"{CORE}.execution.Fail"}
        else:
            task |= {"type": f"{CORE}.log.Log", "message": "{{ taskrun.value ?? 'hello' }}"}
        shape.kinds[task["id"]] = kind
        if draw(st.integers(0, 3)) == 0:
            task["allowFailure"] = True
            shape.tolerant.add(task["id"])
        attempts = 1
        if draw(st.integers(0, 2)) == 0:
            attempts = draw(st.integers(1, 3))
            task["retry"] = {"type": "constant", "interval": "PT0.001S", "maxAttempt": attempts}
        shape.max_attempts[task["id"]] = attempts
        return task

    def children(depth: int, low: int = 1) -> list[dict[str, Any]]:
        return [node(depth + 1) for _ in range(draw(st.integers(low, 3)))]

    def node(depth: int) -> dict[str, Any]:
        if depth >= 3 or draw(st.integers(0, 2)) == 0:
            return leaf()
        kind = draw(st.sampled_from(KINDS))
        task: dict[str, Any] = {"id": f"{kind.lower()}-{next(ids)}", "type": f"{CORE}.flow.{kind}"}
        shape.kinds[task["id"]] = kind
        lists: list[list[dict[str, Any]]]
        if kind == "ForEach":
            task["values"] = draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3))
            task["concurrencyLimit"] = draw(st.integers(0, 2))
            lists = [children(depth)]
            task["tasks"] = lists[0]
        elif kind == "Parallel":
            task["concurrent"] = draw(st.integers(0, 2))
            lists = [children(depth)]
            task["tasks"] = lists[0]
        elif kind == "If":
            task["condition"] = draw(st.sampled_from(("{{ true }}", "{{ false }}")))
            lists = [children(depth), children(depth, low=0)]
            task["then"], task["else"] = lists
        elif kind == "Switch":
            value = draw(st.sampled_from("abz"))
            task["value"] = value
            task["cases"] = {"a": children(depth), "b": children(depth)}
            lists = list(task["cases"].values())
            if draw(st.booleans()):
                task["defaults"] = children(depth)
                lists.append(task["defaults"])
            elif value == "z":
                shape.unmatched_switches.add(task["id"])
        else:  # Sequential, AllowFailure
            lists = [children(depth)]
            task["tasks"] = lists[0]
        shape.branch_ids[task["id"]] = {child["id"] for each in lists for child in each}
        if draw(st.integers(0, 3)) == 0:
            task["errors"] = [leaf()]
        if kind != "AllowFailure" and draw(st.integers(0, 4)) == 0:
            task["allowFailure"] = True
            shape.tolerant.add(task["id"])
        return task

    tasks = [node(0) for _ in range(draw(st.integers(1, 3)))]
    definition: dict[str, Any] = {"id": FLOW_ID, "namespace": NAMESPACE, "tasks": tasks}
    shape.branch_ids[""] = {task["id"] for task in tasks}
    if draw(st.booleans()):
        definition["errors"] = [leaf()]
    return Flow.model_validate(definition), shape


# ---- the shell ---------------------------------------------------------------------------


@dataclass
class Outcome:
    execution: Execution
    killed: bool
    events: int


def drive(harness: Harness, data: st.DataObject) -> Outcome:
    """Play the world around one execution until nothing is left to do."""
    execution_id = harness.create(FLOW_ID)
    sent = [harness.applied[0][0]]
    kill_at = None
    if data.draw(st.sampled_from((False, False, True)), label="kill"):
        kill_at = data.draw(st.integers(1, 10), label="kill at event")
    killed = False
    for events in range(MAX_EVENTS):
        execution = harness.execution(execution_id)
        if events == kill_at and not execution.state.current.is_terminated:
            killed = True
            sent.append(KillExecution(execution_id=execution_id))
            harness.apply(sent[-1])
            continue
        if data.draw(st.sampled_from((False, False, False, True)), label="duplicate"):
            before = harness.execution(execution_id)
            old = sent[data.draw(st.integers(0, len(sent) - 1), label="old event")]
            decision = harness.apply(old)
            assert decision.execution is None, f"re-applying {old.type} changed the execution"
            assert decision.worker_tasks == []
            assert harness.execution(execution_id) == before
        actions = (["answer"] if harness.pending else []) + (["timer"] if execution.timers else [])
        if not actions:
            return Outcome(execution, killed, events)
        if data.draw(st.sampled_from(actions), label="action") == "answer":
            sent.extend(answer(harness, data))
        else:
            timer = min(execution.timers, key=lambda each: each.due)
            harness.now = max(harness.now, timer.due)
            sent.append(TimerFired(execution_id=execution_id, timer_id=timer.id, due=timer.due))
            harness.apply(sent[-1])
    raise AssertionError(f"the execution did not end within {MAX_EVENTS} events")


def answer(harness: Harness, data: st.DataObject) -> list[Event]:
    """Answer one pending worker task, chosen by ``data``, with an outcome chosen by ``data``."""
    tasks = list(harness.pending.values())
    task = tasks[data.draw(st.integers(0, len(tasks) - 1), label="task")]
    harness.pending.pop(task.task_run.id)
    run = next(
        run
        for run in harness.execution(task.task_run.execution_id).task_run_list
        if run.id == task.task_run.id
    )
    sent: list[Event] = []
    if data.draw(st.booleans(), label="report running"):
        sent.append(harness.running(task))
        harness.apply(sent[-1])
    choices = [StateType.FAILED]
    if not task.task["type"].endswith("Fail"):
        choices += [StateType.SUCCESS, StateType.SUCCESS]
    if run.state.current.is_killing:
        choices.append(StateType.KILLED)
    sent.append(result_of(task, data.draw(st.sampled_from(choices), label="outcome")))
    harness.apply(sent[-1])
    return sent


# ---- the checks --------------------------------------------------------------------------


def worst(states: list[StateType]) -> StateType:
    found = StateType.SUCCESS
    for state in states:
        if _RANK.get(state, 0) > _RANK.get(found, 0):
            found = state
    return found


def tolerated(state: StateType, task_id: str, shape: Shape) -> StateType:
    if state is StateType.FAILED and (
        task_id in shape.tolerant or shape.kinds.get(task_id) == "AllowFailure"
    ):
        return StateType.WARNING
    return state


def children_of(execution: Execution, run: TaskRun | None, shape: Shape) -> list[TaskRun]:
    parent_id, key = (run.id, run.task_id) if run else (None, "")
    return [
        child
        for child in execution.task_run_list
        if child.parent_task_run_id == parent_id and child.task_id in shape.branch_ids[key]
    ]


def check_states(execution: Execution, shape: Shape) -> None:
    """Each parent's state follows from its children's: KILLED > FAILED > WARNING > SUCCESS."""
    for run in execution.task_run_list:
        if run.task_id not in shape.branch_ids:
            continue
        if run.task_id in shape.unmatched_switches:
            expected = StateType.FAILED
        else:
            expected = worst([child.state.current for child in children_of(execution, run, shape)])
        assert run.state.current is tolerated(expected, run.task_id, shape), run.task_id
    top = [child.state.current for child in children_of(execution, None, shape)]
    assert execution.state.current is worst(top)


def check_leaves(execution: Execution, shape: Shape) -> None:
    for run in execution.task_run_list:
        if run.task_id in shape.branch_ids:
            assert run.attempts == ()
            continue
        allowed = shape.max_attempts[run.task_id]
        assert 1 <= len(run.attempts) <= allowed, run.task_id
        if shape.kinds[run.task_id] == "Fail":
            assert len(run.attempts) == allowed
            assert run.state.current is tolerated(StateType.FAILED, run.task_id, shape)
        if run.task_id in shape.tolerant:
            assert run.state.current is not StateType.FAILED


def check_values(execution: Execution, shape: Shape) -> None:
    """Children of a ForEach carry one of its values (its errors none); other runs carry none."""
    by_id = {run.id: run for run in execution.task_run_list}
    for run in execution.task_run_list:
        parent = by_id.get(run.parent_task_run_id or "")
        looped = parent is not None and shape.kinds[parent.task_id] == "ForEach"
        if parent is not None and looped and run.task_id in shape.branch_ids[parent.task_id]:
            values = parent.loop_values or ()
            assert run.value in values
            assert run.iteration == values.index(run.value or "")
        else:
            assert (run.value, run.iteration) == (None, None)
    assert all(run.execution_id == execution.id for run in execution.task_run_list)


def check_flow_errors(execution: Execution, flow: Flow, shape: Shape) -> None:
    ran = {run.task_id for run in execution.task_run_list if run.parent_task_run_id is None}
    failed = any(
        child.state.current is StateType.FAILED for child in children_of(execution, None, shape)
    )
    for task in flow.errors:
        assert (task.id in ran) == failed


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=flows(), data=st.data())
def test_random_flows_end_consistently(generated: tuple[Flow, Shape], data: st.DataObject) -> None:
    flow, shape = generated
    harness = Harness(flow)

    outcome = drive(harness, data)
    execution = outcome.execution

    assert execution.state.current.is_terminated
    assert all(run.state.current.is_terminated for run in execution.task_run_list)
    assert execution.timers == ()
    check_values(execution, shape)
    if outcome.killed:
        assert execution.state.current is StateType.KILLED
    else:
        assert all(run.state.current is not StateType.KILLED for run in execution.task_run_list)
        check_states(execution, shape)
        check_leaves(execution, shape)
        check_flow_errors(execution, flow, shape)
    for event, _ in list(harness.applied):
        assert harness.apply(event).execution is None, f"re-applying {event.type} after the end"
