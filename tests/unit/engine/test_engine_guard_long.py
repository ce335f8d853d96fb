"""An engine error fails a long execution, and its failed runs reach ``task-runs``.

A long execution's snapshot is a header: a run the guard fails would be lost if only the
header were written, and a restore would bring it back RUNNING.
"""

from __future__ import annotations

from engine_harness import NAMESPACE, Harness

from orchestrator.flows import parse_flow
from orchestrator.models.flow import Flow
from orchestrator.models.state import StateType

VALUES = 60

FLOW = parse_flow(
    f"""id: long-guard
namespace: {NAMESPACE}
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    concurrencyLimit: 0
    values: "{{{{ range(1, {VALUES}) }}}}"
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}}"
"""
)


class BrokenHarness(Harness):
    """Its flow lookup fails once ``broken`` is set: an engine error on the next event."""

    broken = False

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        if self.broken:
            raise RuntimeError("flow store exploded")
        return super().flow(namespace, flow_id, revision)


def test_the_runs_failed_by_the_guard_are_written_to_task_runs() -> None:
    harness = BrokenHarness(FLOW)
    execution_id = harness.create(FLOW.id)
    running = harness.execution(execution_id)
    assert len(running.task_run_list) == VALUES + 1, "every item run was created at once"
    assert running.task_run_count == VALUES + 1, "past the threshold: a long execution"
    task = next(iter(harness.pending.values()))
    harness.broken = True
    harness.task_run_records.clear()
    decision = harness.apply(harness.running(task))
    failed = harness.execution(execution_id)
    assert failed.state.current is StateType.FAILED
    open_runs = [run for run in running.task_run_list if not run.state.current.is_terminated]
    written = {record.task_run.id: record for record in decision.task_runs}
    assert set(written) == {run.id for run in open_runs}
    for record in written.values():
        assert record.task_run.state.current is StateType.FAILED
        assert record.seq == failed.seq
        assert failed.task_run_list[record.position].id == record.task_run.id
    assert harness.task_run_records == decision.task_runs
