"""Runtime throughput and latency against the embedded backends and a standalone server.

Submits N executions of a 2-task flow (Log + Return), then N of a 10-task flow, as fast as
Kafka accepts them, and prints executions/min and end-to-end latency percentiles (creation
to terminal state, from the snapshots' own timestamps); then the time of one execution of a
flow with 40 tiny sequential tasks. The standalone server includes the indexer, so it also
prints, under this load, the lag from each execution's final snapshot being written to
Kafka to that snapshot being searchable in Elasticsearch. It prints figures; it asserts
nothing.

    .venv/bin/python bench/throughput.py [--executions 500] [--layout standalone|cluster]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from orchestrator.backends import Backends, resolve_backends
from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, KafkaProducer, TopicTail, ensure_topics
from orchestrator.kafka.idle import EMBEDDED_IDLE_AFTER
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.repository.admin import make_client, names_for
from orchestrator.repository.indices import IndexKind
from orchestrator.settings import KestrelSettings, load_settings

NAMESPACE = "kestrel.bench"


def flows(folder: Path) -> None:
    two = """id: two-tasks
namespace: kestrel.bench
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ execution.id }}"
  - id: return
    type: io.kestra.plugin.core.debug.Return
    format: "{{ flow.id }}"
"""
    ten = "id: ten-tasks\nnamespace: kestrel.bench\ntasks:\n" + "".join(
        f"  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: '{i}'\n"
        for i in range(10)
    )
    forty = "id: forty-tasks\nnamespace: kestrel.bench\ntasks:\n" + "".join(
        f"  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: '{i}'\n"
        for i in range(40)
    )
    for name, text in (("two.yaml", two), ("ten.yaml", ten), ("forty.yaml", forty)):
        (folder / name).write_text(text)


def prepare(backends: Backends, work: Path, name: str) -> tuple[KestrelSettings, dict[str, str]]:
    """Settings on fresh topics with the bench flows deployed, and the environment that
    points Kestrel processes at them."""
    settings = load_settings(
        kafka={
            "bootstrap": backends.kafka_bootstrap,
            "topic_prefix": f"{name}.{uuid.uuid4().hex[:8]}.",
        },
        elasticsearch={"url": backends.elasticsearch_url},
    )
    ensure_topics(settings)
    flows(work)
    deploy_files(settings, [work])
    env = dict(os.environ)
    env.update(
        KESTREL_KAFKA_BOOTSTRAP=settings.kafka.bootstrap,
        KESTREL_KAFKA__TOPIC_PREFIX=settings.kafka.topic_prefix,
        KESTREL_ELASTICSEARCH_URL=settings.elasticsearch.url,
        KESTREL_MANAGEMENT__PORT="0",  # several processes: any free port each
        KESTREL_WEBSERVER__PORT="0",
    )
    return settings, env


def rest_when_idle(env: dict[str, str], backends: Backends, requested: float | None) -> None:
    """Set the server's ``kafka.idle_after`` in ``env`` and print it.

    ``requested`` None: 0.5 s on the embedded broker, as ``server local`` does; 0: none.
    """
    idle_after = requested
    if idle_after is None and backends.embedded is not None:
        idle_after = EMBEDDED_IDLE_AFTER
    if idle_after:
        env["KESTREL_KAFKA__IDLE_AFTER"] = str(idle_after)
    print(f"kafka.idle_after: {idle_after or None}")


def submit(settings: KestrelSettings, flow_id: str, count: int) -> list[str]:
    ids = []
    with KafkaProducer(settings) as producer:
        for _ in range(count):
            create = CreateExecution(execution_id=new_id(), namespace=NAMESPACE, flow_id=flow_id)
            producer.send(TOPICS.execution_commands, create.execution_id, create)
            ids.append(create.execution_id)
        producer.flush()
    return ids


def wait(
    tail: TopicTail,
    ids: list[str],
    seen: dict[str, Execution],
    timeout: float,
    written: dict[str, float] | None = None,
) -> None:
    """Follow snapshots until every execution ended; ``written``: epoch of the final one."""
    pending = set(ids)
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(pending)} executions did not end within {timeout}s")
        for record in tail.poll(max_messages=5000, timeout=0.5):
            execution = record.decoded(TOPICS.executions)
            if execution is None:
                continue
            seen[execution.id] = execution
            if execution.state.current.is_terminated:
                pending.discard(execution.id)
                if written is not None and record.timestamp is not None:
                    written[execution.id] = record.timestamp / 1000


def indexer_lag(
    settings: KestrelSettings, seen: dict[str, Execution], written: dict[str, float]
) -> None:
    """Poll Elasticsearch until each final snapshot is searchable; print the lag."""
    client = make_client(settings)
    alias = names_for(settings).alias(IndexKind.EXECUTIONS)
    pending = dict(written)
    lags: list[float] = []
    deadline = time.monotonic() + 600  # under heavy load the indexer catches up afterwards
    while pending and time.monotonic() < deadline:
        ids = list(pending)[:1000]
        try:
            found = client.search(
                index=alias,
                query={"terms": {"id": ids}},
                source=["id", "seq"],
                size=len(ids),
            )
        except Exception:  # the index may not exist yet
            time.sleep(1)  # polling Elasticsearch, bounded by the deadline
            continue
        now = time.time()
        for hit in found["hits"]["hits"]:
            doc = hit["_source"]
            if doc["id"] in pending and doc.get("seq", 0) >= seen[doc["id"]].seq:
                lags.append((now - pending.pop(doc["id"])) * 1000)
        # Once a second: a tighter probe competes with the indexer for the one ES node.
        time.sleep(1)
    if len(lags) < len(written):
        print(f"  indexer lag: {len(written) - len(lags)} final snapshots not searchable in 600 s")
    if lags:
        print(
            f"  indexer lag (final snapshot written -> searchable) ms: "
            f"p50 {percentile(lags, 0.5):.0f}  p99 {percentile(lags, 0.99):.0f}"
            f"  ({len(lags)} of {len(written)} measured)"
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, ids: list[str], seen: dict[str, Execution]) -> None:
    executions = [seen[each] for each in ids]
    failed = [e.id for e in executions if e.state.current.value != "SUCCESS"]
    starts = [e.state.start_date for e in executions if e.state.start_date]
    ends = [e.state.end_date for e in executions if e.state.end_date]
    latencies = [e.state.duration.total_seconds() * 1000 for e in executions if e.state.duration]
    span = (max(ends) - min(starts)).total_seconds()
    print(
        f"{name}: {len(ids)} executions in {span:.1f}s = {len(ids) / span * 60:,.0f} executions/min"
    )
    print(
        f"  latency ms: p50 {percentile(latencies, 0.5):.0f}  p95 {percentile(latencies, 0.95):.0f}"
        f"  p99 {percentile(latencies, 0.99):.0f}  mean {statistics.mean(latencies):.0f}"
        f"  (failed: {len(failed)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=500)
    parser.add_argument(
        "--layout",
        choices=["standalone", "cluster"],
        default="standalone",
        help="one `server standalone` process, or `server cluster` (2 executors, 2 workers...)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kestrel-bench-"))
    backends = resolve_backends(work / "backends")
    with backends:
        settings, env = prepare(backends, work, "bench")
        env["KESTREL_KAFKA__INSTANCE_ID"] = f"bench-{uuid.uuid4().hex[:6]}"
        env["KESTREL_WEBSERVER__PORT"] = "0"  # its API on any free port
        kestrel = Path(sys.executable).parent / "kestrel"
        log = (work / "server.log").open("w")
        command = ["server", "standalone"]
        if args.layout == "cluster":
            command = ["server", "cluster", "--base-port", "0", "--data-dir", str(work)]
        server = subprocess.Popen([str(kestrel), *command], env=env, stdout=log, stderr=log)
        print(f"layout: {args.layout}")
        seen: dict[str, Execution] = {}
        try:
            with TopicTail(settings, [TOPICS.executions]) as tail:
                warmup = submit(settings, "two-tasks", 5)
                wait(tail, warmup, seen, 120)
                for flow_id in ("two-tasks", "ten-tasks"):
                    ids = submit(settings, flow_id, args.executions)
                    written: dict[str, float] = {}
                    wait(tail, ids, seen, 900, written)
                    report(flow_id, ids, seen)
                    indexer_lag(settings, seen, written)
                single = submit(settings, "forty-tasks", 1)
                wait(tail, single, seen, 300)
                duration = seen[single[0]].state.duration
                assert duration is not None
                seconds = duration.total_seconds()
                print(f"forty-tasks: one execution of 40 sequential tasks in {seconds:.2f}s")
        finally:
            server.terminate()
            server.wait(60)
    print(f"(server log: {work / 'server.log'})")


if __name__ == "__main__":
    main()
