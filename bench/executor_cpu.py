"""The executor's CPU cost per event, without Kafka: the engine plus the wire encoding.

Runs N executions of a 10-task flow in this process (tasks run in-process too, as `flow
test` does) and times only what the executor does for each event: the engine's `advance`
and the serialisation of everything it then produces (snapshot, worker tasks, commands,
kill notices, logs). Prints events/s and microseconds per event, split between the two. It
prints figures; it asserts nothing.

    .venv/bin/python bench/executor_cpu.py [--executions 300]
"""

from __future__ import annotations

import argparse
import time

from executor.engine import Decision
from orchestrator.flows import parse_flow
from orchestrator.kafka.serde import encode
from orchestrator.local.runner import FileFlows, InProcessRunner
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.templating import TemplateRenderer

TEN_TASKS = "id: ten-tasks\nnamespace: kestrel.bench\ntasks:\n" + "".join(
    f"  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: '{i}'\n"
    for i in range(10)
)


class TimedRunner(InProcessRunner):
    """The in-process runner, timing the engine and encoding what the processor would send."""

    engine_seconds = 0.0
    encode_seconds = 0.0
    events = 0

    def _process(self, event: object) -> None:
        started = time.perf_counter()
        super()._process(event)  # type: ignore[arg-type]
        # _apply (which encodes) runs inside; count the engine as the rest.
        self.engine_seconds += time.perf_counter() - started
        self.events += 1

    def _apply(self, decision: Decision) -> None:
        started = time.perf_counter()
        after = decision.execution
        if after is not None and not after.deleted and decision.execution_wire is None:
            encode(after)  # what the processor does when the engine did not serialise it
        for message in (*decision.worker_tasks, *decision.commands, *decision.kills):
            encode(message)
        for entry in decision.logs:
            encode(entry)
        spent = time.perf_counter() - started
        self.encode_seconds += spent
        self.engine_seconds -= spent
        super()._apply(decision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=300)
    args = parser.parse_args()
    flow = parse_flow(TEN_TASKS)
    runner = TimedRunner(FileFlows([flow]), TemplateRenderer())
    wall = time.perf_counter()
    for _ in range(args.executions):
        create = CreateExecution(execution_id=new_id(), namespace=flow.namespace, flow_id=flow.id)
        ended = runner.run(create)
        assert ended.state.current.is_terminated, ended.state.current
    wall = time.perf_counter() - wall
    busy = runner.engine_seconds + runner.encode_seconds
    per_event = busy / runner.events * 1e6
    print(
        f"{args.executions} executions of 10 tasks, {runner.events} events, "
        f"{wall:.1f}s wall (tasks included)"
    )
    print(
        f"executor work: {runner.events / busy:,.0f} events/s, {per_event:.0f} us/event "
        f"(engine {runner.engine_seconds / runner.events * 1e6:.0f} us, "
        f"encoding {runner.encode_seconds / runner.events * 1e6:.0f} us)"
    )


if __name__ == "__main__":
    main()
