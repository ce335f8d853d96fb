"""Indexer benchmark: documents per second, and the lag from produced to searchable.

Against the embedded backends (or those named by KESTREL_KAFKA_BOOTSTRAP and
KESTREL_ELASTICSEARCH_URL), with the executor's snapshot pattern: every execution is written
several times (seq 1..S), each snapshot carries its task runs so far, and every execution logs
a few lines; one in ten fails.

1. Throughput: a backlog of N executions is produced first, then the indexer starts; it
   reports documents written per second until everything is committed and searchable.
2. Lag: with the indexer running, executions start at a steady rate, one snapshot per tick;
   for each execution, the time from its last snapshot being acknowledged by Kafka to that
   ``seq`` being searchable is measured by polling Elasticsearch. Prints p50 / p99 / max.

Prints figures; asserts nothing. About a minute with the defaults.

    python bench/indexer.py [--executions 3000] [--lag-executions 600] [--rate 60]

``BENCH_DIR=dir`` keeps the embedded backends' data and log there instead of a temporary
directory.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/indexer.py` puts bench/ first on sys.path, where this very file would shadow
# the `indexer` package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import argparse
import logging
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import confluent_kafka

from indexer.service import Indexer
from orchestrator.backends import resolve_backends
from orchestrator.kafka import TOPICS, KafkaProducer, Topics, ensure_topics
from orchestrator.models import Execution, State, StateType, TaskRun, TaskRunAttempt
from orchestrator.models.messages import LogEntry
from orchestrator.repository import IndexKind, Repositories
from orchestrator.settings import KestrelSettings, load_settings

TASKS = ("extract", "transform", "load")


def snapshot(execution_id: str, seq: int, last: int, started: datetime) -> Execution:
    """Snapshot ``seq`` of ``last`` of an execution: one more task run per snapshot."""
    failed = int(execution_id.rsplit("-", 1)[1]) % 10 == 0
    final = StateType.FAILED if failed else StateType.SUCCESS
    state = State.of(StateType.CREATED, started).with_state(StateType.RUNNING, started)
    runs = []
    for n, task in enumerate(TASKS[: max(0, min(seq - 1, len(TASKS)))]):
        at = started + timedelta(milliseconds=100 * n)
        run_state = State.of(StateType.RUNNING, at).with_state(
            final if n == len(TASKS) - 1 else StateType.SUCCESS, at + timedelta(milliseconds=90)
        )
        runs.append(
            TaskRun(
                id=f"{execution_id}-{task}",
                execution_id=execution_id,
                namespace="bench.team",
                flow_id=f"flow-{hash(execution_id) % 20}",
                task_id=task,
                attempts=(TaskRunAttempt(state=run_state, worker_id="w1"),),
                state=run_state,
                outputs={"rows": n * 100},
            )
        )
    if seq == last:
        state = state.with_state(final, started + timedelta(milliseconds=300))
    return Execution(
        id=execution_id,
        namespace="bench.team",
        flow_id=f"flow-{hash(execution_id) % 20}",
        flow_revision=1,
        seq=seq,
        state=state,
        task_run_list=tuple(runs),
        inputs={"day": "2026-11-24"},
    )


def log(execution_id: str, n: int, started: datetime) -> LogEntry:
    """Log line ``n`` of an execution."""
    return LogEntry(
        execution_id=execution_id,
        namespace="bench.team",
        flow_id=f"flow-{hash(execution_id) % 20}",
        task_id=TASKS[n % len(TASKS)],
        message=f"processed batch {n} of {execution_id}",
        timestamp=started + timedelta(milliseconds=n),
    )


def produce_backlog(settings: KestrelSettings, count: int, seqs: int, logs: int) -> int:
    """Produce every snapshot and log line of ``count`` executions; return the record count."""
    started = datetime.now(UTC)
    records = 0
    with KafkaProducer(settings) as producer:
        for e in range(count):
            execution_id = f"backlog-{e}"
            for seq in range(1, seqs + 1):
                producer.send(
                    TOPICS.executions, execution_id, snapshot(execution_id, seq, seqs, started)
                )
            for n in range(logs):
                producer.send(TOPICS.logs, execution_id, log(execution_id, n, started))
            records += seqs + logs
        producer.flush(60)
    return records


def uncommitted(settings: KestrelSettings) -> int:
    """Records of the executions and logs topics the indexer's group has not committed."""
    topics = Topics.from_settings(settings)
    probe = confluent_kafka.Consumer(
        {"bootstrap.servers": settings.kafka.bootstrap, "group.id": settings.indexer.group_id}
    )
    try:
        left = 0
        for name in (topics.executions, topics.logs):
            partitions = probe.list_topics(name, timeout=10).topics[name].partitions
            wanted = [confluent_kafka.TopicPartition(name, p) for p in partitions]
            for committed in probe.committed(wanted, timeout=10):
                _, high = probe.get_watermark_offsets(committed, timeout=10)
                left += high - max(committed.offset, 0)
        return left
    finally:
        probe.close()


def throughput(settings: KestrelSettings, args: argparse.Namespace) -> None:
    """Phase 1: index a backlog; documents/s from joining the group to the last commit."""
    records = produce_backlog(settings, args.executions, args.snapshots, args.logs)
    indexer = Indexer(settings)
    thread = threading.Thread(target=indexer.run)
    thread.start()
    while not indexer.ready.is_set():
        time.sleep(0.01)
    started = time.monotonic()
    while indexer.stats.records < records or uncommitted(settings):
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    with Repositories.from_settings(settings) as repos:
        while repos.executions.count() < args.executions:
            time.sleep(0.05)
    searchable = time.monotonic() - started
    indexer.stop()
    thread.join()
    stats = indexer.stats
    print(f"backlog: {args.executions} executions x {args.snapshots} snapshots + {args.logs} logs")
    print(f"  records consumed        {stats.records:>9}")
    print(f"  documents written       {stats.written:>9}  (newest version per flush)")
    print(f"  bulk requests           {stats.flushes:>9}  ({stats.bulk_seconds:.2f} s in bulk)")
    print(f"  all committed after     {elapsed:>9.2f} s")
    print(f"  records/s               {stats.records / elapsed:>9.0f}")
    print(f"  documents/s             {stats.written / elapsed:>9.0f}")
    print(f"  documents/s in bulk     {stats.written / stats.bulk_seconds:>9.0f}")
    print(f"  all executions searchable after {searchable:.2f} s")


def lag(settings: KestrelSettings, args: argparse.Namespace) -> None:
    """Phase 2: steady load; lag from the last snapshot's ack to its seq being searchable."""
    # The same static member id as phase 1: the embedded broker never evicts a static member
    # that closed, so a new id would wait for partitions forever (BACKENDS.md).
    indexer = Indexer(settings)
    thread = threading.Thread(target=indexer.run)
    thread.start()
    while not indexer.ready.is_set():
        time.sleep(0.05)
    tick = 0.05
    produced: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def poll() -> None:
        with Repositories.from_settings(settings) as repos:
            index = repos.names.alias(IndexKind.EXECUTIONS)
            while not done.is_set() or len(seen) < len(produced):
                pending = [i for i in produced if i not in seen][:1000]
                if pending:
                    found = repos.client.search(
                        index=index,
                        query={
                            "bool": {
                                "filter": [
                                    {"terms": {"id": pending}},
                                    {"term": {"seq": args.snapshots}},
                                ]
                            }
                        },
                        size=len(pending),
                        source_includes=["id"],
                    ).body["hits"]["hits"]
                    now = time.monotonic()
                    for hit in found:
                        seen.setdefault(hit["_source"]["id"], now)
                time.sleep(0.1)  # the polling itself loads the server

    poller = threading.Thread(target=poll)
    poller.start()
    started_at = datetime.now(UTC)
    active: dict[str, int] = {}
    next_id = 0
    per_tick = args.rate * tick
    credit = 0.0
    with KafkaProducer(settings) as producer:
        while next_id < args.lag_executions or active:
            beat = time.monotonic()
            credit += per_tick
            while credit >= 1 and next_id < args.lag_executions:
                active[f"lag-{next_id}"] = 0
                next_id += 1
                credit -= 1
            finished = []
            for execution_id in list(active):
                seq = active[execution_id] = active[execution_id] + 1
                producer.send(
                    TOPICS.executions,
                    execution_id,
                    snapshot(execution_id, seq, args.snapshots, started_at),
                )
                producer.send(TOPICS.logs, execution_id, log(execution_id, seq, started_at))
                if seq == args.snapshots:
                    finished.append(execution_id)
            producer.flush(30)
            acked = time.monotonic()
            for execution_id in finished:
                produced[execution_id] = acked
                del active[execution_id]
            time.sleep(max(0.0, tick - (time.monotonic() - beat)))
    done.set()
    poller.join(120)
    indexer.stop()
    thread.join()
    lags = sorted(seen[i] - produced[i] for i in produced if i in seen)
    if not lags:
        print("lag: nothing became searchable")
        return
    print(
        f"lag: {args.lag_executions} executions started at {args.rate}/s, "
        f"{args.snapshots} snapshots each, one per {tick * 1000:.0f} ms"
    )
    options = settings.indexer
    print(f"  flush interval {options.flush_interval:g} s, batch {options.batch_size}")
    print(f"  measured                {len(lags):>9}")
    print(f"  p50 produced->searchable {statistics.median(lags):8.3f} s")
    print(f"  p99 produced->searchable {lags[int(0.99 * (len(lags) - 1))]:8.3f} s")
    print(f"  max produced->searchable {lags[-1]:8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=3000, help="backlog executions")
    parser.add_argument("--snapshots", type=int, default=4, help="snapshots per execution")
    parser.add_argument("--logs", type=int, default=5, help="log lines per execution")
    parser.add_argument("--lag-executions", type=int, default=600)
    parser.add_argument("--rate", type=float, default=60, help="executions started per second")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--flush-interval", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="kestrel-bench-") as tmp,
        resolve_backends(Path(os.environ.get("BENCH_DIR") or tmp)) as backends,
    ):
        run = uuid.uuid4().hex[:8]
        settings = load_settings(
            kafka={
                "bootstrap": backends.kafka_bootstrap,
                "topic_prefix": f"bench.{run}.",
                "partitions": 4,
            },
            elasticsearch={"url": backends.elasticsearch_url, "index_prefix": f"bench-{run}-"},
            indexer={
                "group_id": f"bench-{run}",
                "instance_id": f"bench-{run}",
                "batch_size": args.batch_size,
                "flush_interval": args.flush_interval,
            },
        )
        ensure_topics(settings)
        throughput(settings, args)
        lag(settings, args)


if __name__ == "__main__":
    main()
