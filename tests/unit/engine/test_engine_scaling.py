"""The engine's work per event does not grow with the number of task runs.

Measured without a clock: the Python function calls made while one worker result is
applied (the shell, the guard, the engine, the template variables), counted by a profile
hook. A scan of the task runs on the hot path calls something per run, so the count would
grow with the execution; here it must stay the same at the 9th and at the 399th task.

The snapshot's serialisation is left out of the count (it calls back into Python for each
enum of each run): what it costs is pinned by the size of what is written per change.
"""

from __future__ import annotations

import sys
from collections import Counter
from types import FrameType
from typing import Any

import pydantic_core
import pytest
from engine_harness import NAMESPACE, Harness, result_of

from executor.restore import whole_executions
from orchestrator.flows import parse_flow
from orchestrator.models.flow import Flow
from orchestrator.models.state import StateType


def _sequential(count: int) -> Flow:
    return parse_flow(
        f"id: seq-{count}\nnamespace: {NAMESPACE}\ntasks:\n"
        + "".join(
            f"  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: '{i}'\n"
            for i in range(count)
        )
    )


def _foreach(count: int) -> Flow:
    return parse_flow(
        f"""id: each-{count}
namespace: {NAMESPACE}
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(1, {count}) }}}}"
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}}"
"""
    )


def _calls_for_a_late_result(flow: Flow, tasks: int) -> Counter[str]:
    """Run ``flow`` to its next-to-last worker task; count the calls its result costs.

    Not the last one: ending the execution is done once and may visit every run.
    """
    harness = Harness(flow)
    execution_id = harness.create(flow.id)
    for _ in range(tasks - 2):
        task = next(iter(harness.pending.values()))
        harness.answer(task, result_of(task, StateType.SUCCESS, {"value": "x"}))
        while harness.outbox:
            harness.step()
    task = next(iter(harness.pending.values()))
    harness.apply(harness.running(task))
    harness.pending.clear()
    calls: Counter[str] = Counter()
    encoding = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal encoding
        if event == "c_call" and arg is pydantic_core.to_json:
            encoding += 1
        elif event in ("c_return", "c_exception") and arg is pydantic_core.to_json:
            encoding -= 1
        elif event == "call" and not encoding:
            calls[f"{frame.f_code.co_filename}:{frame.f_code.co_name}"] += 1

    sys.setprofile(count)
    try:
        harness.apply(result_of(task, StateType.SUCCESS, {"value": "x"}))
    finally:
        sys.setprofile(None)
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.RUNNING
    assert len(execution.task_run_list) >= tasks  # the last task's run was created
    return calls


@pytest.mark.parametrize("build", [_sequential, _foreach], ids=["sequential", "foreach"])
def test_the_work_of_an_event_does_not_grow_with_the_execution(build: Any) -> None:
    small = _calls_for_a_late_result(build(10), 10)
    large = _calls_for_a_late_result(build(400), 400)
    # A scan of the runs would cost 40 times more here; a little slack for caches whose
    # misses do not depend on the size.
    grown = {name: (small[name], count) for name, count in large.items() if count > small[name]}
    assert large.total() <= small.total() * 1.1 + 50, grown


def _bytes_written(harness: Harness, result: Any) -> int:
    decision = harness.apply(result)
    assert decision.execution_wire is not None
    records = sum(len(record.to_wire()) for record in decision.task_runs)
    return len(decision.execution_wire) + records


@pytest.mark.parametrize("build", [_sequential, _foreach], ids=["sequential", "foreach"])
def test_what_a_change_writes_does_not_grow_with_the_execution(build: Any) -> None:
    harness = Harness(build(400))
    execution_id = harness.create(f"{'seq' if build is _sequential else 'each'}-400")
    written: list[int] = []
    for _ in range(398):
        task = next(iter(harness.pending.values()))
        harness.apply(harness.running(task))
        harness.pending.clear()
        written.append(_bytes_written(harness, result_of(task, StateType.SUCCESS, {"v": "x"})))
    assert harness.execution(execution_id).state.current is StateType.RUNNING
    # Past the first 50 runs each change writes the header and the runs it changed.
    assert max(written[100:]) <= written[60] * 1.2, (written[60], max(written[100:]))


def test_a_long_execution_is_whole_again_from_its_header_and_task_runs() -> None:
    harness = Harness(_sequential(80))
    execution = harness.run("seq-80")
    assert execution.state.current is StateType.SUCCESS
    latest = {record.task_run.id: record for record in harness.task_run_records}
    header = execution.header()
    assert not header.is_whole and header.task_run_count == 80
    restored = whole_executions({execution.id: header}, latest.values())[execution.id]
    assert restored == execution
