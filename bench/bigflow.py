"""Cost of one long execution: does it grow with the number of task runs?

Runs, against the embedded backends and a `server standalone` process, one execution each
of flows with 200, 1,000 and 2,000 sequential tasks and of a ForEach over 10,000 values,
one after the other. For each it prints the wall time, the time per task at the start and
at the end (from the task runs' end dates: the first and the last 10 % of the tasks), and
the bytes written to Kafka per task run, split by topic (every topic, records of that run
only). A flow that does not end within ``--cap`` seconds is reported as capped, with the
figures of what it did so far. It prints figures; it asserts nothing.

    nice .venv/bin/python bench/bigflow.py [--sizes 200,1000,2000] [--foreach 10000]
        [--cap 300] [--idle-after 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from throughput import rest_when_idle

from orchestrator.backends import resolve_backends
from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, KafkaProducer, TopicTail, ensure_topics
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution, KillExecution
from orchestrator.settings import KestrelSettings, load_settings

NAMESPACE = "kestrel.bench"
# The execution's state is near the start of its JSON; reading it there spares the bench a
# full decode of every (possibly large) snapshot, which would compete for the CPU.
_STATE = re.compile(rb'"state":\{"current":"([A-Z_]+)"')
_ENDED = ("SUCCESS", "FAILED", "WARNING", "KILLED", "CANCELLED")


def sequential_flow(count: int) -> str:
    """A flow of ``count`` tiny sequential Return tasks."""
    return f"id: seq-{count}\nnamespace: {NAMESPACE}\ntasks:\n" + "".join(
        f"  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: '{i}'\n"
        for i in range(count)
    )


def foreach_flow(count: int) -> str:
    """A flow with a ForEach over ``count`` values, one Return per value."""
    return f"""id: foreach-{count}
namespace: {NAMESPACE}
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(0, {count - 1}) }}}}"
    concurrencyLimit: 1
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}}"
"""


@dataclass
class Run:
    """What the bench saw of one execution."""

    execution_id: str
    bytes_by_topic: Counter[str] = field(default_factory=Counter)
    records_by_topic: Counter[str] = field(default_factory=Counter)
    state: str = "CREATED"
    last: bytes = b""


def follow(settings: KestrelSettings, run: Run, tail: TopicTail, cap: float) -> float:
    """Count every record of the execution until it ends or ``cap`` seconds pass."""
    started = time.monotonic()
    names = {tail.topics.name(spec): spec.logical for spec in TOPICS}
    while time.monotonic() - started < cap:
        for record in tail.poll(max_messages=5000, timeout=0.5):
            # One execution at a time: every record of the window is its (worker tasks are
            # keyed by task run id), bar the services' heartbeats.
            topic = names.get(record.topic, record.topic)
            size = len(record.value or b"") + len(record.key or b"")
            run.bytes_by_topic[topic] += size
            run.records_by_topic[topic] += 1
            if topic == "executions" and record.key_str == run.execution_id and record.value:
                found = _STATE.search(record.value[:4096])
                if found:
                    run.state = found.group(1).decode()
                    run.last = record.value
        if run.state in _ENDED:
            break
    return time.monotonic() - started


def warm_up(settings: KestrelSettings, cap: float) -> None:
    """Run one short execution, so that the server has started and warmed up."""
    run = Run(new_id())
    with TopicTail(settings, list(TOPICS), from_beginning=False) as tail:
        with KafkaProducer(settings) as producer:
            create = CreateExecution(
                execution_id=run.execution_id, namespace=NAMESPACE, flow_id="seq-5"
            )
            producer.send(TOPICS.execution_commands, run.execution_id, create)
            producer.flush()
        follow(settings, run, tail, cap)
    print(f"warm-up: {run.state}", flush=True)


def kill(settings: KestrelSettings, execution_id: str) -> None:
    """Kill an execution that ran over the cap."""
    with KafkaProducer(settings) as producer:
        command = KillExecution(execution_id=execution_id, reason="bigflow: over the cap")
        producer.send(TOPICS.execution_commands, execution_id, command)
        producer.flush()


def leaf_runs(settings: KestrelSettings, run: Run) -> list[dict[str, Any]]:
    """The execution's leaf task runs, from its last snapshot (or from task-runs)."""
    runs: list[dict[str, object]] = []
    if run.last:
        runs = list(json.loads(run.last).get("taskRunList", []))
    task_runs = getattr(TOPICS, "task_runs", None)
    if task_runs is not None and not runs:  # a long execution's, on task-runs
        latest: dict[str, dict[str, object]] = {}
        with TopicTail(settings, [task_runs]) as tail:
            idle, waited = 0, time.monotonic()
            # Until the topic has been quiet for a while (longer before the first record: a
            # loaded machine may take seconds to assign the partitions).
            while idle < 3 or (not latest and time.monotonic() - waited < 30):
                records = tail.poll(max_messages=5000, timeout=0.5)
                idle = 0 if records else idle + 1
                for record in records:
                    key = record.key_str or ""
                    if key.startswith(run.execution_id) and record.value:
                        latest[key] = json.loads(record.value)["taskRun"]
        runs = list(latest.values())
    return [
        each for each in runs if isinstance(each.get("state"), dict) and each["taskId"] != "each"
    ]


def _dates(each: dict[str, Any]) -> dict[str, datetime]:
    """The first date of each state in a run's history."""
    dates: dict[str, datetime] = {}
    for entry in each["state"].get("histories") or []:
        dates.setdefault(str(entry["state"]), datetime.fromisoformat(str(entry["date"])))
    return dates


def task_end_dates(runs: list[dict[str, Any]]) -> list[datetime]:
    """End dates of the runs that succeeded, in order."""
    ends = []
    for each in runs:
        histories = each["state"].get("histories") or []
        if each["state"].get("current") == "SUCCESS" and histories:
            ends.append(datetime.fromisoformat(str(histories[-1]["date"])))
    return sorted(ends)


def phases_ms(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median milliseconds of each step of a task, over runs taken one after the other.

    ``dispatch``: created by the executor -> RUNNING on a worker (the executor's commit, the
    worker's fetch); ``task``: RUNNING -> SUCCESS on the worker; ``back``: SUCCESS of a run ->
    creation of the next (the result's way back, the executor's batch).
    """
    dated = sorted((_dates(each) for each in runs), key=lambda d: d.get("CREATED", d["SUCCESS"]))
    steps: dict[str, list[float]] = {"dispatch": [], "task": [], "back": []}
    for before, after in zip([None, *dated], dated, strict=False):
        if {"CREATED", "RUNNING", "SUCCESS"} <= after.keys():
            steps["dispatch"].append((after["RUNNING"] - after["CREATED"]).total_seconds())
            steps["task"].append((after["SUCCESS"] - after["RUNNING"]).total_seconds())
        if before is not None and "SUCCESS" in before and "CREATED" in after:
            steps["back"].append((after["CREATED"] - before["SUCCESS"]).total_seconds())
    return {k: statistics.median(v) * 1000 for k, v in steps.items() if v}


def per_task_ms(ends: list[datetime]) -> tuple[float, float]:
    """Mean milliseconds between task ends in the first and in the last 10 % of tasks."""
    if len(ends) < 20:
        return float("nan"), float("nan")
    tenth = max(2, len(ends) // 10)
    first = (ends[tenth - 1] - ends[0]).total_seconds() / (tenth - 1)
    last = (ends[-1] - ends[-tenth]).total_seconds() / (tenth - 1)
    return first * 1000, last * 1000


def report(name: str, run: Run, wall: float, runs: list[dict[str, Any]], cap: float) -> None:
    ends = task_end_dates(runs)
    tasks = len(ends)
    capped = run.state not in _ENDED
    status = f"CAPPED at {cap:.0f}s ({run.state})" if capped else run.state
    start_ms, end_ms = per_task_ms(ends)
    total = sum(run.bytes_by_topic.values())
    print(f"{name}: {status}, {wall:.1f}s wall, {tasks} task runs ended")
    print(f"  per task: {start_ms:.1f} ms at the start, {end_ms:.1f} ms at the end")
    steps = ", ".join(f"{step} {ms:.1f}" for step, ms in phases_ms(runs).items())
    print(f"  median ms per step of a task: {steps}")
    per = max(tasks, 1)
    split = ", ".join(
        f"{topic} {size / per / 1024:,.1f} KiB ({run.records_by_topic[topic]} records)"
        for topic, size in run.bytes_by_topic.most_common()
    )
    print(f"  bytes to Kafka per task run: {total / per / 1024:,.1f} KiB ({split})")
    print(f"  bytes to Kafka in all: {total / 1e6:,.1f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,2000")
    parser.add_argument("--foreach", type=int, default=10_000, help="0 to skip")
    parser.add_argument("--cap", type=float, default=300, help="seconds per execution")
    parser.add_argument(
        "--idle-after",
        type=float,
        help="kafka.idle_after of the server (default: 0.5 on the embedded broker, as "
        "server local; 0 for none)",
    )
    args = parser.parse_args()
    sizes = [int(each) for each in args.sizes.split(",") if each]
    work = Path(tempfile.mkdtemp(prefix="kestrel-bigflow-"))
    flows = work / "flows"
    flows.mkdir()
    for size in {5, *sizes}:
        (flows / f"seq-{size}.yaml").write_text(sequential_flow(size))
    if args.foreach:
        (flows / "foreach.yaml").write_text(foreach_flow(args.foreach))
    with resolve_backends(work / "backends") as backends:
        settings = load_settings(
            kafka={
                "bootstrap": backends.kafka_bootstrap,
                "topic_prefix": f"bigflow.{uuid.uuid4().hex[:8]}.",
            },
            elasticsearch={"url": backends.elasticsearch_url},
        )
        ensure_topics(settings)
        deploy_files(settings, [flows])
        env = dict(os.environ)
        env.update(
            KESTREL_KAFKA_BOOTSTRAP=settings.kafka.bootstrap,
            KESTREL_KAFKA__TOPIC_PREFIX=settings.kafka.topic_prefix,
            KESTREL_ELASTICSEARCH_URL=settings.elasticsearch.url,
            KESTREL_KAFKA__INSTANCE_ID=f"bigflow-{uuid.uuid4().hex[:6]}",
            KESTREL_MANAGEMENT__PORT="0",
            KESTREL_WEBSERVER__PORT="0",
        )
        rest_when_idle(env, backends, args.idle_after)
        kestrel = Path(sys.executable).parent / "kestrel"
        log = (work / "server.log").open("w")
        server = subprocess.Popen(
            [str(kestrel), "server", "standalone"], env=env, stdout=log, stderr=log
        )
        try:
            warm_up(settings, args.cap)  # the server's start is not the first flow's time
            flow_ids = [f"seq-{size}" for size in sizes]
            if args.foreach:
                flow_ids.append(f"foreach-{args.foreach}")
            for flow_id in flow_ids:
                run = Run(new_id())
                with TopicTail(settings, list(TOPICS), from_beginning=False) as tail:
                    with KafkaProducer(settings) as producer:
                        create = CreateExecution(
                            execution_id=run.execution_id, namespace=NAMESPACE, flow_id=flow_id
                        )
                        producer.send(TOPICS.execution_commands, run.execution_id, create)
                        producer.flush()
                    wall = follow(settings, run, tail, args.cap)
                    if run.state not in _ENDED:
                        kill(settings, run.execution_id)  # or it slows down the next flow
                report(flow_id, run, wall, leaf_runs(settings, run), args.cap)
        finally:
            server.terminate()
            server.wait(60)
        data = sum(f.stat().st_size for f in (work / "backends").rglob("*") if f.is_file())
        print(f"backends' data directory: {data / 1e6:,.0f} MB")
    print(f"(server log: {work / 'server.log'})")


if __name__ == "__main__":
    main()
